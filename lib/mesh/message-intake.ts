import { MAX_SIGNATURE_BYTES, type MessageBody, checkPackable, decodeBody, encodeBody } from '../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { MeshCore } from './mesh-core.js';
import type { Neighbor } from './neighbor.js';
import { countDrop } from './mesh-stats.js';
import { BudgetVerdict } from './neighbor-budget.js';
import { idKey } from './seen-cache.js';

/** Room a flood or directed frame needs around its body: tag, hop fields, the signature blob. */
const FRAME_OVERHEAD_BYTES = MAX_SIGNATURE_BYTES + 64;

/** Where call arguments and reply values sit in a body tuple: one level down, among 8 fields. */
const IN_BODY = Object.freeze({ depth: 1, elements: 8 });

/**
 * Encodes a message this node originates: checks it fits a frame (misuse otherwise), records
 * its id as seen (and as traced, when it is) and counts it as sent.
 *
 * @remarks The payload (arguments or reply value) is measured before it is packed, with a walk
 * that stops at the first bound crossed: a service that returns something huge built from its
 * argument is refused at the bound's cost, not after packing it all.
 * @throws PeerChannelError `PC_ERR_FRAME_TOO_LARGE`, `PC_ERR_FRAME_TOO_COMPLEX` or
 * `PC_ERR_INVALID_ARGUMENT` (see {@link checkPackable}).
 */
export function encodeOutgoing(core: MeshCore, body: MessageBody): Uint8Array {
  const budget = Math.max(core.limits.maxFrameBytes, core.maxMessageBytes) - FRAME_OVERHEAD_BYTES;
  checkPackable(body.type === 'call' ? body.args : body.value, budget, core.limits, IN_BODY);
  const bytes = encodeBody(body);
  if (bytes.length > budget) {
    throw new PeerChannelError(ErrorCode.FRAME_TOO_LARGE, `message of ${bytes.length} bytes exceeds the message bound ${Math.max(core.limits.maxFrameBytes, core.maxMessageBytes)}`);
  }
  const key = idKey(body.id);
  core.seen.add(key);
  if (body.type === 'call' && body.trace === true) core.traced.add(key);
  core.stats.sent += 1;
  return bytes;
}

/**
 * Decodes the body of a message a neighbour sent, counting it on the link; a malformed body is
 * a protocol violation that closes the link (a well-behaved relay never forwards one).
 */
export function decodeIncoming(core: MeshCore, from: Neighbor, bytes: Uint8Array): MessageBody | undefined {
  from.received += 1;
  let body: MessageBody;
  try {
    body = decodeBody(bytes, core.limits);
  } catch (error) {
    core.violation(from, toPeerChannelError(error, ErrorCode.FRAME_SHAPE));
    return undefined;
  }
  // What a member may send is charged at the first hop, where the origin is the neighbour itself.
  if (body.origin === from.peerId) {
    const verdict = from.budget.message();
    if (verdict !== BudgetVerdict.Ok) {
      overBudget(core, from, verdict, 'messages originated over the per-neighbour rate');
      return undefined;
    }
  }
  return body;
}

/**
 * A neighbour went over one of its budgets: drop the frame (counted, not reported, since a flood
 * would turn each into an error event), or shed the neighbour with `PC_ERR_RATE_LIMITED`.
 */
export function overBudget(core: Pick<MeshCore, 'stats' | 'violation'>, from: Neighbor, verdict: BudgetVerdict, what: string): void {
  if (verdict === BudgetVerdict.Shed) {
    core.violation(from, new PeerChannelError(ErrorCode.RATE_LIMITED, `${what}: shed`));
    return;
  }
  countDrop(core.stats, ErrorCode.RATE_LIMITED);
}
