import type { PeerRef } from '../codec/index.js';

/**
 * Known peers this node is not linked to, kept for fast repair (HyParView's passive view).
 *
 * @remarks
 * Fed by shuffles with neighbours, by peers that left or were pruned (they are alive), and by
 * refused dialers. Bounded: past `capacity` a random entry makes room, so the view stays a
 * sample of the mesh rather than a list of the most recent names. Entries that fail a dial
 * are removed by the caller.
 */
export class PassiveView {
  private readonly entries = new Map<string, PeerRef>();
  private keys: string[] = [];

  constructor(
    readonly capacity: number,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(peerId: string): boolean {
    return this.entries.has(peerId);
  }

  add(ref: PeerRef, self: string): void {
    if (this.capacity === 0 || ref.peerId === self || ref.addresses.length === 0) return;
    if (this.entries.has(ref.peerId)) {
      this.entries.set(ref.peerId, ref);
      return;
    }
    if (this.entries.size >= this.capacity) {
      const victim = this.keys[Math.floor(this.random() * this.keys.length)] as string;
      this.delete(victim);
    }
    this.entries.set(ref.peerId, ref);
    this.keys.push(ref.peerId);
  }

  delete(peerId: string): void {
    if (!this.entries.delete(peerId)) return;
    const i = this.keys.indexOf(peerId);
    const last = this.keys.pop() as string;
    if (i < this.keys.length) this.keys[i] = last;
  }

  /** Up to `n` entries in random order. */
  sample(n: number): PeerRef[] {
    const keys = [...this.keys];
    const out: PeerRef[] = [];
    for (let i = 0; i < keys.length && out.length < n; i++) {
      const j = i + Math.floor(this.random() * (keys.length - i));
      [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
      out.push(this.entries.get(keys[i] as string) as PeerRef);
    }
    return out;
  }

  clear(): void {
    this.entries.clear();
    this.keys = [];
  }
}
