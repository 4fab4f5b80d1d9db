import { Subject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { DialOptions, FrameReceiver, Link, LinkCloseInfo, Transport, TransportComponents, TransportFactory } from '../transport.js';
import { FaultPlan, type FaultOptions } from './fault-plan.js';

/** Options of {@link faultyTransport} besides the faults themselves. */
export interface FaultyTransportOptions {
  /**
   * Most frames one link holds back (delayed or stalled) at once; past it `send` throws
   * `PC_ERR_LINK_QUEUE_FULL` and the link closes with that code, as the wrapped transport's own
   * queue bound does.
   * @defaultValue 8192
   */
  readonly maxHeldFrames?: number;
}

/**
 * Wraps a transport factory so that every frame its links send is delayed, jittered or lost as
 * `plan` says: a decorator over a real transport (TLS WebSockets across hosts, typically) for
 * testing how an application and the mesh behave on slow, lossy links.
 *
 * @remarks
 * Faults apply to frames this side sends; wrap every peer for faults in both directions. Frames
 * of one link keep their order (a stream never reorders). Inbound links and dials are wrapped
 * alike; a dial also waits the plan's dial delay. What loss means is the plan's
 * {@link LossMode}: `'stall'` holds the frame and those behind it for a retransmission (what TCP
 * does with packet loss), `'drop'` makes it vanish while the link stays open. Closing a link sends
 * its held frames first (they were already "on the wire"), then closes. Pass a {@link FaultPlan}
 * to change faults while links are open, or plain {@link FaultOptions} for fixed ones.
 *
 * @example
 * ```ts
 * const plan = new FaultPlan({ delayMs: 100, loss: 0.05, lossMode: 'stall' }, { seed: 1 });
 * const node = await PeerNode.open('net.p2p://lab', {
 *   transport: faultyTransport(webSocketTransport({ host: '0.0.0.0' }), plan),
 * });
 * ```
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for out-of-range faults or options (at call time).
 */
export function faultyTransport(inner: TransportFactory, plan: FaultPlan | FaultOptions, options: FaultyTransportOptions = {}): TransportFactory {
  const faults = plan instanceof FaultPlan ? plan : new FaultPlan(plan);
  const maxHeld = options.maxHeldFrames ?? 8192;
  if (!Number.isSafeInteger(maxHeld) || maxHeld < 1) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'maxHeldFrames must be a positive integer');
  return (components: TransportComponents) => new FaultyTransport(inner(components), faults, maxHeld);
}

/** @internal The transport {@link faultyTransport} makes. */
export class FaultyTransport implements Transport {
  readonly name: string;
  private readonly inbound = new Subject<Link>();
  /** Hot: each inbound link of the wrapped transport, wrapped. Completes when it does. */
  readonly inbound$: Observable<Link> = this.inbound.asObservable();
  /** Ends the dial delays still running when the transport closes. */
  private readonly closing = new AbortController();

  constructor(
    private readonly inner: Transport,
    private readonly plan: FaultPlan,
    private readonly maxHeld: number,
  ) {
    this.name = `faulty-${inner.name}`;
    inner.inbound$.subscribe({
      next: (link) => this.inbound.next(new FaultyLink(link, plan, maxHeld)),
      complete: () => this.inbound.complete(),
    });
  }

  get addresses(): readonly string[] {
    return this.inner.addresses;
  }

  listen(): Promise<readonly string[]> {
    return this.inner.listen();
  }

  async dial(address: string, options: DialOptions = {}): Promise<Link> {
    const link = await this.inner.dial(address, options);
    const delay = this.plan.dialDelay();
    if (delay > 0) {
      try {
        await wait(delay, options.signal === undefined ? this.closing.signal : AbortSignal.any([options.signal, this.closing.signal]));
      } catch (error) {
        link.close(ErrorCode.ABORTED, 'dial aborted');
        if (this.closing.signal.aborted) throw new PeerChannelError(ErrorCode.CLOSED, 'transport is closed');
        throw error;
      }
    }
    return new FaultyLink(link, this.plan, this.maxHeld);
  }

  close(): Promise<void> {
    this.closing.abort();
    return this.inner.close();
  }
}

/** @internal One link whose sends go through a {@link FaultPlan}. */
class FaultyLink implements Link {
  readonly closed: Promise<LinkCloseInfo>;
  readonly exportKeyingMaterial?: (length: number, label: string) => Uint8Array;
  private held: { frame: Uint8Array; at: number }[] = [];
  private head = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closing: { code: LinkCloseInfo['code']; reason: string } | undefined;

  constructor(
    private readonly inner: Link,
    private readonly plan: FaultPlan,
    private readonly maxHeld: number,
  ) {
    this.closed = inner.closed.then((info) => {
      clearTimeout(this.timer);
      this.held = [];
      this.head = 0;
      return info;
    });
    if (inner.exportKeyingMaterial) this.exportKeyingMaterial = (length, label) => inner.exportKeyingMaterial!(length, label);
  }

  get id(): string {
    return this.inner.id;
  }
  get direction(): Link['direction'] {
    return this.inner.direction;
  }
  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }
  get remotePeerId(): string | undefined {
    return this.inner.remotePeerId;
  }
  get pendingSends(): number {
    return this.inner.pendingSends + this.held.length - this.head;
  }
  get isOpen(): boolean {
    return this.closing === undefined && this.inner.isOpen;
  }

  send(frame: Uint8Array): void {
    if (!this.isOpen) throw new PeerChannelError(ErrorCode.LINK_CLOSED, 'link is closed');
    const fate = this.plan.fate();
    if (fate.drop) return;
    const queued = this.held.length - this.head;
    if (fate.waitMs === 0 && queued === 0) {
      this.inner.send(frame);
      return;
    }
    if (queued >= this.maxHeld) {
      // Overflow is a failure, not an orderly close: the held frames go with the link at once.
      clearTimeout(this.timer);
      this.held = [];
      this.head = 0;
      this.closing = { code: ErrorCode.LINK_QUEUE_FULL, reason: 'held frames over the bound' };
      this.inner.close(ErrorCode.LINK_QUEUE_FULL, `more than ${this.maxHeld} frames held by injected faults`);
      throw new PeerChannelError(ErrorCode.LINK_QUEUE_FULL, `more than ${this.maxHeld} frames held by injected faults`);
    }
    // A stream delivers in order: a frame never overtakes the one sent before it.
    this.lastAt = Math.max(this.lastAt, Date.now() + fate.waitMs);
    this.held.push({ frame, at: this.lastAt });
    if (queued === 0) this.schedule();
  }

  setReceiver(receiver: FrameReceiver | undefined): void {
    this.inner.setReceiver(receiver);
  }

  close(code: LinkCloseInfo['code'], reason: string): void {
    if (this.closing !== undefined) return;
    this.closing = { code, reason };
    if (this.head >= this.held.length) this.inner.close(code, reason);
  }

  private schedule(): void {
    const next = this.held[this.head];
    if (next === undefined) return;
    this.timer = setTimeout(() => this.release(), Math.max(0, next.at - Date.now()));
  }

  private release(): void {
    const now = Date.now();
    while (this.head < this.held.length && this.held[this.head]!.at <= now) {
      const { frame } = this.held[this.head++]!;
      if (!this.inner.isOpen) break;
      // The wrapped link throws only when it has just closed itself (queue bound): its
      // `closed` then ends this link too, and the frames still held go with it.
      try {
        this.inner.send(frame);
      } catch {
        break;
      }
    }
    if (this.head >= this.held.length || !this.inner.isOpen) {
      this.held = [];
      this.head = 0;
      if (this.closing !== undefined) this.inner.close(this.closing.code, this.closing.reason);
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
    this.schedule();
  }
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PeerChannelError(ErrorCode.ABORTED, 'dial aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PeerChannelError(ErrorCode.ABORTED, 'dial aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
