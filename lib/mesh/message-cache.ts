import { coarseNow } from '../internal/token-bucket.js';

/** A payload kept to answer grafts: the flood frame as this node forwards it. */
export interface CachedMessage {
  readonly origin: string;
  /** The encoded flood frame this node pushes (hop fields already rewritten). */
  readonly frame: Uint8Array;
  /** Hops the message had travelled when it reached this node (0 for its own). */
  readonly depth: number;
  /** Peer id of the neighbour that delivered it first; `undefined` for this node's own. */
  readonly from: string | undefined;
}

/**
 * Recent payloads by message id, bounded by bytes and age, so tree mode can answer GRAFTs.
 *
 * @remarks Insertion order is expiry order, so pruning from the head is O(1) amortised; past
 * `maxBytes` the oldest entries go first.
 */
export class MessageCache {
  private readonly entries = new Map<string, { m: CachedMessage; expires: number }>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly ttlMs: number,
    /** A clock read once per synchronous run: the cache is touched per payload and per duplicate. */
    private readonly now: () => number = coarseNow,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(key: string, m: CachedMessage): void {
    if (this.maxBytes === 0 || m.frame.length > this.maxBytes || this.entries.has(key)) return;
    const now = this.now();
    this.prune(now);
    while (this.bytes + m.frame.length > this.maxBytes) this.evictOldest();
    this.entries.set(key, { m, expires: now + this.ttlMs });
    this.bytes += m.frame.length;
  }

  get(key: string): CachedMessage | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expires <= this.now()) return undefined;
    return e.m;
  }

  private evictOldest(): void {
    const first = this.entries.entries().next().value;
    if (first === undefined) return;
    this.entries.delete(first[0]);
    this.bytes -= first[1].m.frame.length;
  }

  private prune(now: number): void {
    for (const [key, e] of this.entries) {
      if (e.expires > now) return;
      this.entries.delete(key);
      this.bytes -= e.m.frame.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
