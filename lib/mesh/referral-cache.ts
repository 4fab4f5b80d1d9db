import type { PeerRef } from '../codec/index.js';

/**
 * Peers heard of through referrals (busy refusals, goodbyes), tried before the resolver.
 * Bounded: past `capacity` the oldest referral is forgotten.
 */
export class ReferralCache {
  private readonly entries = new Map<string, PeerRef>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  add(ref: PeerRef, self: string): void {
    if (ref.peerId === self || ref.addresses.length === 0) return;
    this.entries.delete(ref.peerId);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(ref.peerId, ref);
  }

  addAll(refs: readonly PeerRef[], self: string): void {
    for (const r of refs) this.add(r, self);
  }

  delete(peerId: string): void {
    this.entries.delete(peerId);
  }

  /** Most recent first. */
  values(): PeerRef[] {
    return [...this.entries.values()].reverse();
  }
}
