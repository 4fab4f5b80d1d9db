let cachedNow = -1;
const forgetNow = (): void => {
  cachedNow = -1;
};

/**
 * @internal `performance.now()`, read at most once per synchronous run of code: the frames of one
 * WebSocket message are charged in one loop, and a clock read costs ~200 ns on this VM, more than
 * the rest of the bucket. The value is forgotten at the next microtask checkpoint.
 */
export function coarseNow(): number {
  if (cachedNow < 0) {
    cachedNow = performance.now();
    queueMicrotask(forgetNow);
  }
  return cachedNow;
}

/**
 * @internal A token bucket: `burst` tokens at most, refilled at `ratePerSecond`, O(1) and
 * allocation-free per call ({@link coarseNow}: one clock read per synchronous run), for per-link
 * and per-neighbour rate bounds.
 *
 * @remarks
 * {@link TokenBucket.spend} may overdraw down to `-burst`, so a caller can tell "over the rate
 * for a moment" (tokens below zero: drop this one) from "over it for a whole burst" (at the
 * floor: shed the sender) with one bucket.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = coarseNow,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token if there is one; false (and nothing taken) if not. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Spends one token, overdrawing if need be (never below `-burst`), and returns what is left:
   * `>= 0` within the rate, `< 0` over it, `-burst` when a whole burst over it.
   */
  spend(): number {
    this.refill();
    this.tokens = Math.max(this.tokens - 1, -this.burst);
    return this.tokens;
  }

  private refill(): void {
    const t = this.now();
    const elapsed = t - this.last;
    this.last = t;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
