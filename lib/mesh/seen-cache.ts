/**
 * Remembers message ids for a while, with bounded memory (WCF kept ids about five minutes).
 *
 * @remarks
 * Two generations of ids, each collected for `ttlMs`: an id is remembered for at least `ttlMs`
 * and at most twice that (generations are turned when ids are recorded, so with no new ids an
 * old one may stay longer), and a lookup is one or two set probes with no clock read and no
 * per-entry bookkeeping.
 * It is on the path of every received copy (most of them duplicates), so it is kept that cheap.
 * When the current generation holds `maxEntries / 2` ids it is rotated early, forgetting the
 * previous generation early; a message that old coming back would be delivered again, which is
 * why the bound is generous.
 */
export class SeenCache {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;

  constructor(
    /** @defaultValue 300_000 (5 minutes) */
    readonly ttlMs: number = 300_000,
    /** @defaultValue 100_000 */
    readonly maxEntries: number = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** True when `key` was recorded and not yet forgotten. Reads no clock (a read costs ~100 ns here). */
  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  /** Records `key`; returns false if it was already known (and not expired). */
  add(key: string): boolean {
    const now = this.now();
    const age = now - this.rotatedAt;
    if (age >= this.ttlMs) {
      // Two generations old: everything is past its time.
      if (age >= 2 * this.ttlMs) this.current = new Set();
      this.rotate(now);
    }
    if (this.has(key)) return false;
    if (this.current.size >= Math.max(1, this.maxEntries >>> 1)) this.rotate(now);
    this.current.add(key);
    return true;
  }

  private rotate(now: number): void {
    this.previous = this.current;
    this.current = new Set();
    this.rotatedAt = now;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }
}

const fromCharCode = String.fromCharCode;

/**
 * Compact map key for a message id: a 16-byte id becomes 8 UTF-16 code units.
 *
 * @remarks On the path of every received copy, so no Buffer is made: building the string from
 * the bytes costs about half of a Buffer view plus `toString('latin1')`. Keys are exact (no
 * hashing of the id into fewer bits), so no id can collide with another.
 */
export function idKey(id: Uint8Array): string {
  if (id.length === 16) return idKeyAt(id, 0);
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

/** {@link idKey} of the 16-byte id at `b[at]` (e.g. a frame's header id), with no view made. */
export function idKeyAt(b: Uint8Array, at: number): string {
  return fromCharCode(
    (b[at] as number) | ((b[at + 1] as number) << 8), (b[at + 2] as number) | ((b[at + 3] as number) << 8), (b[at + 4] as number) | ((b[at + 5] as number) << 8), (b[at + 6] as number) | ((b[at + 7] as number) << 8),
    (b[at + 8] as number) | ((b[at + 9] as number) << 8), (b[at + 10] as number) | ((b[at + 11] as number) << 8), (b[at + 12] as number) | ((b[at + 13] as number) << 8), (b[at + 14] as number) | ((b[at + 15] as number) << 8),
  );
}

/** True when two message ids hold the same bytes. */
export function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Hex form of a message id, for users and logs. */
export function idHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}
