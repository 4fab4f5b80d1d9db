/**
 * An open-addressing multimap from a hash's first four bytes to the item's `modified` time.
 *
 * @remarks
 * Lets {@link SyncTree.has} find an item from its hash alone while costing 12 bytes a slot
 * (load at most 1/2) instead of a string-keyed `Map` entry. Several items may share a key; the
 * caller confirms each candidate in the tree. Linear probing with backward-shift deletion, so
 * removals leave no tombstones.
 *
 * @internal
 */
export class HashSlots {
  private keys: Int32Array;
  private mods: Float64Array;
  private used = 0;

  constructor(capacity = 1024) {
    this.keys = new Int32Array(capacity);
    this.mods = new Float64Array(capacity).fill(-1);
  }

  /** Approximate bytes held. */
  get bytes(): number {
    return this.keys.byteLength + this.mods.byteLength;
  }

  static keyOf(hash: Uint8Array, offset = 0): number {
    return (hash[offset] as number) | ((hash[offset + 1] as number) << 8) | ((hash[offset + 2] as number) << 16) | ((hash[offset + 3] as number) << 24);
  }

  add(key: number, modified: number): void {
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let i = key & mask;
    while ((this.mods[i] as number) >= 0) i = (i + 1) & mask;
    this.keys[i] = key;
    this.mods[i] = modified;
    this.used++;
  }

  /** Calls `test(modified)` for each entry with `key` until one returns true; returns that. */
  find(key: number, test: (modified: number) => boolean): boolean {
    const mask = this.keys.length - 1;
    for (let i = key & mask; (this.mods[i] as number) >= 0; i = (i + 1) & mask) {
      if (this.keys[i] === key && test(this.mods[i] as number)) return true;
    }
    return false;
  }

  /** Removes one entry `(key, modified)`, if present. */
  delete(key: number, modified: number): void {
    const mask = this.keys.length - 1;
    let i = key & mask;
    for (; (this.mods[i] as number) >= 0; i = (i + 1) & mask) {
      if (this.keys[i] === key && this.mods[i] === modified) break;
    }
    if ((this.mods[i] as number) < 0) return;
    this.used--;
    // Backward shift: pull later entries of the probe run into the hole when their home allows.
    let hole = i;
    let j = (i + 1) & mask;
    while ((this.mods[j] as number) >= 0) {
      const home = (this.keys[j] as number) & mask;
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.keys[hole] = this.keys[j] as number;
        this.mods[hole] = this.mods[j] as number;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.mods[hole] = -1;
  }

  private grow(): void {
    const keys = this.keys;
    const mods = this.mods;
    this.keys = new Int32Array(keys.length * 2);
    this.mods = new Float64Array(keys.length * 2).fill(-1);
    this.used = 0;
    for (let i = 0; i < keys.length; i++) if ((mods[i] as number) >= 0) this.add(keys[i] as number, mods[i] as number);
  }
}
