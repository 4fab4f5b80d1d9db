/**
 * Remembers message ids for a while, with bounded memory (WCF kept ids about five minutes).
 *
 * @remarks
 * Insertion order is expiry order (one TTL for all), so expired ids are pruned from the head in
 * O(1) amortised. Past `maxEntries` the oldest id is forgotten early; a message that old coming
 * back would be delivered again, which is why the bound is generous.
 */
export class SeenCache {
  private readonly entries = new Map<string, number>();

  constructor(
    /** @defaultValue 300_000 (5 minutes) */
    readonly ttlMs: number = 300_000,
    /** @defaultValue 100_000 */
    readonly maxEntries: number = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    const expiry = this.entries.get(key);
    if (expiry === undefined) return false;
    if (expiry <= this.now()) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }

  /** Records `key`; returns false if it was already known (and not expired). */
  add(key: string): boolean {
    if (this.has(key)) return false;
    const now = this.now();
    this.prune(now);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(key, now + this.ttlMs);
    return true;
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.entries) {
      if (expiry > now) return;
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Compact map key for a 16-byte message id. */
export function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

/** Hex form of a message id, for users and logs. */
export function idHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}
