import type { Bound } from './bound.js';

/** How a range of a reconciliation message describes the sender's items in it. */
export const RangeMode = {
  /** Nothing to do here (already matching or already resolved). */
  Skip: 0,
  /** The sender's count and fingerprint of its items in the range. */
  Fingerprint: 1,
  /** Every hash the sender holds in the range (resolves it). */
  Ids: 2,
  /**
   * The responder's answer to an id list: the hashes it holds in the range that the list lacks,
   * and a bitmap over the list (bit i set: the responder lacks the list's i-th hash). If the
   * hashes did not all fit, `upper` ends early and a fingerprint of the rest follows.
   */
  IdsReply: 3,
} as const;

/**
 * One range of a reconciliation message. Ranges are contiguous: each starts where the previous
 * ended (the first at the start of the order) and `upper` is exclusive; the last ends at the
 * end bound.
 */
export type SyncRange =
  | { readonly mode: typeof RangeMode.Skip; readonly upper: Bound }
  | { readonly mode: typeof RangeMode.Fingerprint; readonly upper: Bound; readonly count: number; readonly fingerprint: Uint8Array }
  | { readonly mode: typeof RangeMode.Ids; readonly upper: Bound; readonly ids: Uint8Array }
  | { readonly mode: typeof RangeMode.IdsReply; readonly upper: Bound; readonly ids: Uint8Array; readonly lacking: Uint8Array };

/** Worst-case encoded bytes of a range, for keeping a message inside the frame budget. */
export function rangeCost(r: SyncRange): number {
  // delta time (≤ 9) + prefix (≤ 2 + length) + mode (1)
  const head = 12 + r.upper.prefix.length;
  switch (r.mode) {
    case RangeMode.Skip:
      return head;
    case RangeMode.Fingerprint:
      return head + 9 + 2 + r.fingerprint.length;
    case RangeMode.Ids:
      return head + 5 + r.ids.length;
    case RangeMode.IdsReply:
      return head + 10 + r.ids.length + r.lacking.length;
  }
}
