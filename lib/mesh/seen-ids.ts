import { SeenCache } from './seen-cache.js';

/** Slots a generation starts with; it doubles while more than half are taken. */
const INITIAL_SLOTS = 256;

/** The 32-bit word `i` (0–3) of an id whose `idKey` is `key` (two UTF-16 units per word). */
function keyWord(key: string, i: number): number {
  return key.charCodeAt(2 * i) | (key.charCodeAt(2 * i + 1) << 16);
}

/** The little-endian 32-bit word at `at` (the same word {@link keyWord} reads from the key). */
function byteWord(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24);
}

/**
 * One generation: an open-addressing table of 16-byte ids held as four 32-bit words inline.
 *
 * @remarks Linear probing over a power-of-two table kept at most half full. The slot is chosen by
 * a mix of all four words with a per-cache random seed: ids come from peers, and a hostile one
 * that could pick ids sharing a slot would turn each lookup into a long probe.
 */
class Generation {
  words: Int32Array;
  used: Uint8Array;
  mask: number;
  size = 0;

  constructor(slots: number, private readonly seed: Int32Array) {
    this.words = new Int32Array(slots * 4);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
  }

  private slot(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.seed;
    let h = Math.imul(w0 ^ (s[0] as number), 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15) ^ w1 ^ (s[1] as number), 0x85ebca77);
    h = Math.imul(h ^ (h >>> 13) ^ w2 ^ (s[2] as number), 0xc2b2ae3d);
    h = Math.imul(h ^ (h >>> 16) ^ w3 ^ (s[3] as number), 0x27d4eb2f);
    return (h ^ (h >>> 15)) & this.mask;
  }

  has(w0: number, w1: number, w2: number, w3: number): boolean {
    const words = this.words;
    const used = this.used;
    const mask = this.mask;
    for (let i = this.slot(w0, w1, w2, w3); used[i] === 1; i = (i + 1) & mask) {
      const at = i * 4;
      if (words[at] === w0 && words[at + 1] === w1 && words[at + 2] === w2 && words[at + 3] === w3) return true;
    }
    return false;
  }

  /** Inserts an id known to be absent. */
  insert(w0: number, w1: number, w2: number, w3: number): void {
    if ((this.size + 1) * 2 > this.used.length) this.grow();
    const mask = this.mask;
    let i = this.slot(w0, w1, w2, w3);
    while (this.used[i] === 1) i = (i + 1) & mask;
    const at = i * 4;
    this.words[at] = w0;
    this.words[at + 1] = w1;
    this.words[at + 2] = w2;
    this.words[at + 3] = w3;
    this.used[i] = 1;
    this.size += 1;
  }

  private grow(): void {
    const { words, used } = this;
    this.words = new Int32Array(words.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.mask = used.length * 2 - 1;
    this.size = 0;
    for (let i = 0; i < used.length; i++) {
      if (used[i] === 1) this.insert(words[i * 4] as number, words[i * 4 + 1] as number, words[i * 4 + 2] as number, words[i * 4 + 3] as number);
    }
  }
}

/**
 * The ids of the messages a mesh has seen: {@link SeenCache}'s two generations and bounds, for
 * 16-byte message ids held as words in typed arrays instead of strings in a `Set`.
 *
 * @remarks
 * Every received copy is looked up here, most of them duplicates. {@link SeenIds.hasAt} reads
 * the id straight from a frame's header, so a duplicate costs no string, no view and no object;
 * the string forms ({@link SeenIds.has}, {@link SeenIds.add}) take the `idKey` of an id.
 * A key that is not of a 16-byte id (no message id is; this is for completeness) is kept in a
 * small {@link SeenCache} beside the tables.
 */
export class SeenIds {
  private readonly seed = crypto.getRandomValues(new Int32Array(4));
  private current: Generation;
  private previous: Generation;
  private readonly odd: SeenCache;
  private rotatedAt: number;

  constructor(
    /** @defaultValue 300_000 (5 minutes) */
    readonly ttlMs: number = 300_000,
    /** @defaultValue 100_000 */
    readonly maxEntries: number = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.current = new Generation(INITIAL_SLOTS, this.seed);
    this.previous = new Generation(INITIAL_SLOTS, this.seed);
    this.odd = new SeenCache(ttlMs, maxEntries, now);
    this.rotatedAt = now();
  }

  get size(): number {
    return this.current.size + this.previous.size + this.odd.size;
  }

  /** True when the 16-byte id at `bytes[offset]` was recorded and not yet forgotten. Reads no clock. */
  hasAt(bytes: Uint8Array, offset: number): boolean {
    const w0 = byteWord(bytes, offset);
    const w1 = byteWord(bytes, offset + 4);
    const w2 = byteWord(bytes, offset + 8);
    const w3 = byteWord(bytes, offset + 12);
    return this.current.has(w0, w1, w2, w3) || this.previous.has(w0, w1, w2, w3);
  }

  /** True when the id whose `idKey` is `key` was recorded and not yet forgotten. Reads no clock. */
  has(key: string): boolean {
    if (key.length !== 8) return this.odd.has(key);
    const w0 = keyWord(key, 0);
    const w1 = keyWord(key, 1);
    const w2 = keyWord(key, 2);
    const w3 = keyWord(key, 3);
    return this.current.has(w0, w1, w2, w3) || this.previous.has(w0, w1, w2, w3);
  }

  /** Records the id whose `idKey` is `key`; returns false if it was already known (and not expired). */
  add(key: string): boolean {
    if (key.length !== 8) return this.odd.add(key);
    const now = this.now();
    const age = now - this.rotatedAt;
    if (age >= this.ttlMs) {
      // Two generations old: everything is past its time.
      if (age >= 2 * this.ttlMs) this.current = new Generation(INITIAL_SLOTS, this.seed);
      this.rotate(now);
    }
    const w0 = keyWord(key, 0);
    const w1 = keyWord(key, 1);
    const w2 = keyWord(key, 2);
    const w3 = keyWord(key, 3);
    if (this.current.has(w0, w1, w2, w3) || this.previous.has(w0, w1, w2, w3)) return false;
    if (this.current.size >= Math.max(1, this.maxEntries >>> 1)) this.rotate(now);
    this.current.insert(w0, w1, w2, w3);
    return true;
  }

  private rotate(now: number): void {
    this.previous = this.current;
    this.current = new Generation(INITIAL_SLOTS, this.seed);
    this.rotatedAt = now;
  }

  clear(): void {
    this.current = new Generation(INITIAL_SLOTS, this.seed);
    this.previous = new Generation(INITIAL_SLOTS, this.seed);
    this.odd.clear();
  }
}
