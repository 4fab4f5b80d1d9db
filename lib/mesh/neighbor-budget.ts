import { TokenBucket } from '../internal/token-bucket.js';
import type { MeshTuning } from './options.js';

/** What a {@link NeighborBudget} says about one more frame or message. */
export const BudgetVerdict = {
  /** Within the neighbour's rate: handle it. */
  Ok: 0,
  /** Over the rate for a moment: drop it (counted as `PC_ERR_RATE_LIMITED`), keep the link. */
  Drop: 1,
  /** Over the rate for a whole burst: shed the neighbour (close with `PC_ERR_RATE_LIMITED`). */
  Shed: 2,
} as const;

/** One of the {@link BudgetVerdict} values. */
export type BudgetVerdict = (typeof BudgetVerdict)[keyof typeof BudgetVerdict];

/**
 * @internal What one neighbour may make this node handle: frames of any kind, and messages it
 * originates itself (floods and directed messages whose origin is the neighbour).
 *
 * @remarks
 * Two token buckets, each O(1) and allocation-free per call. A message budget enforced at the
 * first hop bounds what any one member can inject into the mesh (about
 * `maxMessagesPerSecond` × its neighbour count), so relays, which pass on only what they admitted,
 * never carry one member's flood onward at more than that rate, and their own links stay within
 * their neighbours' budgets. The frame budget, much larger, is the backstop for frames that are
 * not messages and for relays forging origins (possible without message signing).
 */
export class NeighborBudget {
  private readonly frames: TokenBucket | undefined;
  private readonly messages: TokenBucket | undefined;

  constructor(tuning: Pick<MeshTuning, 'maxFramesPerSecond' | 'maxFrameBurst' | 'maxMessagesPerSecond' | 'maxMessageBurst'>) {
    this.frames = tuning.maxFramesPerSecond > 0 ? new TokenBucket(tuning.maxFramesPerSecond, tuning.maxFrameBurst) : undefined;
    this.messages = tuning.maxMessagesPerSecond > 0 ? new TokenBucket(tuning.maxMessagesPerSecond, tuning.maxMessageBurst) : undefined;
  }

  /** Charges one inbound frame. */
  frame(): BudgetVerdict {
    return this.frames === undefined ? BudgetVerdict.Ok : verdict(this.frames);
  }

  /** Charges one message the neighbour originated. */
  message(): BudgetVerdict {
    return this.messages === undefined ? BudgetVerdict.Ok : verdict(this.messages);
  }
}

function verdict(bucket: TokenBucket): BudgetVerdict {
  const left = bucket.spend();
  if (left >= 0) return BudgetVerdict.Ok;
  return left <= -bucket.burst ? BudgetVerdict.Shed : BudgetVerdict.Drop;
}
