import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { mulberry32 } from '../memory/memory-network.js';

/**
 * What "loss" does to a frame on a reliable, ordered stream.
 *
 * - `'stall'`: what packet loss does to TCP. The frame is not lost; it and every frame behind it on
 *   the link wait `retransmitMs` more (head-of-line blocking). Nothing is ever missing, order holds.
 * - `'drop'`: the whole frame vanishes and the link stays open, as if a relay lost it. Protocols
 *   above see gaps they must survive: duplicate suppression must hold, directed calls must end in a
 *   reply or a coded error, a lost handshake frame makes that handshake time out.
 */
export type LossMode = 'stall' | 'drop';

/** Faults a {@link FaultPlan} injects into every frame a wrapped transport sends. */
export interface FaultOptions {
  /**
   * Fixed delay added to every frame, in ms (order on a link is kept).
   * @defaultValue 0
   */
  readonly delayMs?: number;
  /**
   * Extra random delay in `[0, jitterMs)` per frame, in ms. Order on a link is still kept (a
   * stream cannot reorder), so jitter shows as bunching, not reordering.
   * @defaultValue 0
   */
  readonly jitterMs?: number;
  /**
   * Probability in `[0, 1]` that a frame is lost (see {@link LossMode}).
   * @defaultValue 0
   */
  readonly loss?: number;
  /** @defaultValue 'drop' */
  readonly lossMode?: LossMode;
  /**
   * Extra wait of a frame lost in `'stall'` mode, in ms (Linux's minimum TCP RTO is 200 ms).
   * @defaultValue 200
   */
  readonly retransmitMs?: number;
  /**
   * Delay added to each dial before the link is handed over, in ms (connection set-up latency).
   * @defaultValue `delayMs`
   */
  readonly dialDelayMs?: number;
}

/** Counters of a {@link FaultPlan}, over every link of every transport it wraps. */
export interface FaultStats {
  /** Frames handed to the plan. */
  frames: number;
  /** Frames that vanished (`'drop'` mode). */
  dropped: number;
  /** Frames that were lost and retransmitted (`'stall'` mode). */
  stalled: number;
  /** Frames that waited (any delay, jitter or stall). */
  delayed: number;
}

type Resolved = Required<Omit<FaultOptions, 'dialDelayMs'>> & { readonly dialDelayMs: number | undefined };

/** The decision for one frame. */
export type FrameFate =
  | {
      /** The frame is lost. */
      readonly drop: true;
    }
  | {
      /** The frame is sent. */
      readonly drop: false;
      /** After waiting this many milliseconds. */
      readonly waitMs: number;
    };

/**
 * A live, seeded set of faults shared by the transports {@link faultyTransport} wraps: change it
 * with {@link FaultPlan.set} while links are open (form a mesh cleanly, then inject faults).
 *
 * @remarks Decisions come from one seeded PRNG (mulberry32), so a run with the same seed and the
 * same order of sends loses the same frames.
 *
 * @example
 * ```ts
 * const plan = new FaultPlan({ delayMs: 100, jitterMs: 20, loss: 0.05 }, { seed: 7 });
 * const node = await PeerNode.open('net.p2p://lab', { transport: faultyTransport(webSocketTransport(), plan) });
 * plan.set({ loss: 0 });
 * ```
 */
export class FaultPlan {
  /** Counts of frames decided, dropped, stalled and delayed; live, not a copy. */
  readonly stats: FaultStats = { frames: 0, dropped: 0, stalled: 0, delayed: 0 };
  private current: Resolved;
  private readonly random: () => number;

  /** @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for an out-of-range fault. */
  constructor(faults: FaultOptions = {}, options: { readonly seed?: number } = {}) {
    this.current = resolve({ delayMs: 0, jitterMs: 0, loss: 0, lossMode: 'drop', retransmitMs: 200, dialDelayMs: undefined }, faults);
    this.random = mulberry32(options.seed ?? 1);
  }

  /** The faults in force. */
  get faults(): Readonly<Resolved> {
    return this.current;
  }

  /**
   * Changes the faults for every frame sent from now on; omitted fields keep their value.
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for an out-of-range fault.
   */
  set(faults: FaultOptions): void {
    this.current = resolve(this.current, faults);
  }

  /** Delay of one dial, in ms. */
  dialDelay(): number {
    return this.current.dialDelayMs ?? this.current.delayMs;
  }

  /** @internal Decides what happens to one frame, and counts it. */
  fate(): FrameFate {
    const f = this.current;
    this.stats.frames += 1;
    const lost = f.loss > 0 && this.random() < f.loss;
    if (lost && f.lossMode === 'drop') {
      this.stats.dropped += 1;
      return { drop: true };
    }
    let waitMs = f.delayMs + (f.jitterMs > 0 ? this.random() * f.jitterMs : 0);
    if (lost) {
      this.stats.stalled += 1;
      waitMs += f.retransmitMs;
    }
    if (waitMs > 0) this.stats.delayed += 1;
    return { drop: false, waitMs };
  }
}

function resolve(base: Resolved, faults: FaultOptions): Resolved {
  const next: Resolved = {
    delayMs: faults.delayMs ?? base.delayMs,
    jitterMs: faults.jitterMs ?? base.jitterMs,
    loss: faults.loss ?? base.loss,
    lossMode: faults.lossMode ?? base.lossMode,
    retransmitMs: faults.retransmitMs ?? base.retransmitMs,
    dialDelayMs: 'dialDelayMs' in faults ? faults.dialDelayMs : base.dialDelayMs,
  };
  for (const key of ['delayMs', 'jitterMs', 'retransmitMs'] as const) {
    if (!(Number.isFinite(next[key]) && next[key] >= 0 && next[key] <= 600_000)) invalid(`${key} must be in 0..600000 ms`);
  }
  if (next.dialDelayMs !== undefined && !(Number.isFinite(next.dialDelayMs) && next.dialDelayMs >= 0 && next.dialDelayMs <= 600_000)) {
    invalid('dialDelayMs must be in 0..600000 ms');
  }
  if (!(next.loss >= 0 && next.loss <= 1)) invalid('loss must be in [0, 1]');
  if (next.lossMode !== 'stall' && next.lossMode !== 'drop') invalid("lossMode must be 'stall' or 'drop'");
  return Object.freeze(next);
}

function invalid(message: string): never {
  throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `fault plan: ${message}`);
}
