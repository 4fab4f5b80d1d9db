/**
 * A token bucket per sender (an invitation sender, a LAN source address): `burst` at once, refilled at `perSecond`. At most
 * `maxSenders` buckets are kept; past that the one idle longest is forgotten (a forgotten sender
 * starts again with a full bucket, so the bound costs fairness, never memory).
 * @internal
 */
export class SenderRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly maxSenders: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `sender`; false when its bucket is empty. */
  take(sender: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(sender);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, at: now };
      while (this.buckets.size >= this.maxSenders) this.buckets.delete(this.buckets.keys().next().value as string);
    } else {
      this.buckets.delete(sender);
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    this.buckets.set(sender, bucket); // most recently used last: the first key is the idlest
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Senders tracked now. */
  get size(): number {
    return this.buckets.size;
  }
}
