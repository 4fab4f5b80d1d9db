import type { Neighbor } from './neighbor.js';

/** A route request this node sent or relayed, awaiting its reply. @internal */
export interface PendingRoute {
  readonly origin: string;
  readonly target: string;
  /** The neighbour the request came from, or `undefined` for this node's own search. */
  readonly from: Neighbor | undefined;
  /** Peer ids of the neighbours the request went to: the only ones whose reply is accepted. */
  readonly sentTo: ReadonlySet<string>;
  readonly expiresAt: number;
  answered: boolean;
}

/**
 * Route requests in flight through this node, by request id: what makes a route reply
 * acceptable at all (it must answer one of these, from a neighbour the request went to).
 *
 * @remarks Bounded twice: entries expire after `ttlMs`, and past `maxEntries` the oldest is
 * forgotten first. Entries are added in expiry order (one TTL), so sweeping stops at the first
 * live one. @internal
 */
export class PendingRoutes {
  private readonly entries = new Map<string, PendingRoute>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(key: string, entry: Omit<PendingRoute, 'expiresAt' | 'answered'>): void {
    const now = Date.now();
    this.sweep(now);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.delete(key);
    this.entries.set(key, { ...entry, expiresAt: now + this.ttlMs, answered: false });
  }

  /** The live entry for `key`, if any. */
  get(key: string): PendingRoute | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }
}
