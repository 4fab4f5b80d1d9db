import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import type { MemoryTransport } from './memory-transport.js';

/** Faults applied to every frame on a {@link MemoryNetwork}. */
export interface MemoryFaults {
  /**
   * Probability in [0, 1] that a frame is silently lost.
   * @defaultValue 0
   */
  readonly dropRate?: number;
  /**
   * Extra delay for every frame, in milliseconds (order on a link is kept).
   * @defaultValue 0
   */
  readonly delayMs?: number;
}

/**
 * An in-process network that {@link memoryTransport}s attach to, with fault injection.
 *
 * @remarks
 * For unit tests and large simulations. Frames are delivered asynchronously (on `setImmediate`,
 * or after `delayMs`) and in order per link. Partitions drop frames without closing links, like a
 * real network; {@link MemoryNetwork.cut} closes a link on both sides.
 *
 * @example
 * ```ts
 * const net = new MemoryNetwork();
 * const node = await PeerNode.open('net.p2p://room', { transport: memoryTransport(net), resolver: null });
 * await node.connect(other.addresses[0]);
 * net.partition([a.peerId], [b.peerId]);
 * ```
 */
export class MemoryNetwork {
  private readonly transports = new Map<string, MemoryTransport>();
  private readonly byAddress = new Map<string, MemoryTransport>();
  private readonly groups = new Map<string, number>();
  private faults: Required<MemoryFaults> = { dropRate: 0, delayMs: 0 };
  private nextAddress = 0;
  private rng: () => number;
  /** Frames handed to the network since creation (for simulations and benchmarks). */
  framesSent = 0;

  constructor(options: { seed?: number } = {}) {
    this.rng = options.seed === undefined ? Math.random : mulberry32(options.seed);
  }

  /** Sets faults for all links; omitted fields keep their value. */
  setFaults(faults: MemoryFaults): void {
    const dropRate = faults.dropRate ?? this.faults.dropRate;
    const delayMs = faults.delayMs ?? this.faults.delayMs;
    if (!(dropRate >= 0 && dropRate <= 1) || !(delayMs >= 0)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'dropRate must be in [0, 1] and delayMs >= 0');
    }
    this.faults = { dropRate, delayMs };
  }

  /** Current fault settings. */
  get currentFaults(): Readonly<Required<MemoryFaults>> {
    return this.faults;
  }

  /**
   * Splits peers into groups that cannot reach each other; peers not named stay reachable by all.
   * Links across groups stay open but lose every frame, until {@link MemoryNetwork.heal}.
   */
  partition(...groups: readonly (readonly string[])[]): void {
    this.groups.clear();
    groups.forEach((group, index) => group.forEach((peerId) => this.groups.set(peerId, index)));
  }

  /** Ends every partition. */
  heal(): void {
    this.groups.clear();
  }

  /** Closes every link between peers `a` and `b`, on both sides, as a network failure. */
  cut(a: string, b: string): number {
    let count = 0;
    for (const t of [this.transports.get(a), this.transports.get(b)]) {
      if (t === undefined) continue;
      count += t.closeLinksTo(t.peerId === a ? b : a);
    }
    return count;
  }

  /** @internal */
  reachable(a: string, b: string): boolean {
    const ga = this.groups.get(a);
    const gb = this.groups.get(b);
    return ga === undefined || gb === undefined || ga === gb;
  }

  /** @internal Decides the fate of one frame: `-1` drop, else delay in ms. */
  fate(): number {
    this.framesSent += 1;
    if (this.faults.dropRate > 0 && this.rng() < this.faults.dropRate) return -1;
    return this.faults.delayMs;
  }

  /** @internal */
  attach(transport: MemoryTransport): string {
    this.nextAddress += 1;
    const address = `memory://${this.nextAddress}`;
    this.transports.set(transport.peerId, transport);
    this.byAddress.set(address, transport);
    return address;
  }

  /** @internal */
  detach(transport: MemoryTransport): void {
    if (this.transports.get(transport.peerId) === transport) this.transports.delete(transport.peerId);
    for (const address of transport.addresses) this.byAddress.delete(address);
  }

  /** @internal */
  lookup(address: string): MemoryTransport | undefined {
    return this.byAddress.get(address);
  }
}

/** Small seeded PRNG so simulations can be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
