import { encodeExtensionFrame, decodeFrame, defaultFrameLimits } from '../../../lib/codec/index.js';
import { Reconciler, type ReconcileOptions } from '../../../lib/records/sync/reconciler.js';
import { SyncFrameKind, decodeRanges, encodeRanges } from '../../../lib/records/sync/sync-messages.js';
import type { SyncTree } from '../../../lib/records/sync/sync-tree.js';

/** Runs a reconciliation between two trees through real encoded frames; counts what it cost. */
export function reconcilePair(a: SyncTree, b: SyncTree, options: ReconcileOptions = {}) {
  const initiator = new Reconciler(a, 'initiator', options);
  const responder = new Reconciler(b, 'responder', options);
  let bytes = 0;
  let rounds = 0;
  let largest = 0;
  const carry = (kind: number, payload: unknown) => {
    const frame = encodeExtensionFrame(kind, payload);
    bytes += frame.length;
    largest = Math.max(largest, frame.length);
    const decoded = decodeFrame(frame, defaultFrameLimits) as { payload: unknown };
    return decodeRanges(decoded.payload, defaultFrameLimits.maxFrameBytes).ranges;
  };
  let query = initiator.initial();
  for (;;) {
    rounds++;
    if (rounds > 10_000) throw new Error('reconciliation does not end');
    const answer = responder.receive(carry(SyncFrameKind.Query, encodeRanges(1, query)));
    const next = initiator.receive(carry(SyncFrameKind.Answer, encodeRanges(1, answer as never)));
    if (next === undefined) break;
    query = next;
  }
  const hex = (l: Uint8Array[]) => new Set(l.map((h) => Buffer.from(h).toString('hex')));
  return { have: hex(initiator.have), need: hex(initiator.need), bytes, rounds, largest };
}
