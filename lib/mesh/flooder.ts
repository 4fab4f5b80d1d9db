import { type CallBody, FrameKind, type FloodFrame, MAX_TRAVELLED, MESSAGE_ID_OFFSET, decodeBody, encodeFrame, floodHeader, rewriteHops } from '../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { DeliveredMessage } from './delivered-message.js';
import type { MeshCore } from './mesh-core.js';
import type { Neighbor } from './neighbor.js';
import { type PropagationAction, type PropagationMessage, deliversLocally, forwards } from './propagation.js';
import { decodeIncoming, encodeOutgoing } from './message-intake.js';
import { countDrop } from './mesh-stats.js';
import { idHex, idKey, idKeyAt, sameId } from './seen-cache.js';
import type { TreeBroadcast } from './tree-broadcast.js';
import { forwardedIds } from './trace-hook.js';

/**
 * Peer Channel flooding: seen? → verify → filter → forward → deliver.
 *
 * @remarks
 * Semantics (DESIGN.md 1–3): a new message goes to every neighbour but the one it came from;
 * ids are remembered and a message seen before is neither delivered nor forwarded; each
 * receiver subtracts one hop on acceptance and at zero delivers but does not forward; the
 * propagation filter is called once per send and once per new inbound message; forwarding
 * happens before local delivery. The body bytes (which carry the signature) are forwarded as
 * they arrived; only the hop fields are rewritten.
 *
 * In tree mode the same pipeline runs; only the forwarding step of a message without a hop
 * limit changes: {@link TreeBroadcast} pushes the payload along the sender's tree and offers
 * the id to the other links, and a duplicate prunes the link it came on.
 */
export class Flooder {
  constructor(
    private readonly core: MeshCore,
    /** Set in tree mode. */
    private readonly tree?: TreeBroadcast,
  ) {}

  /** Floods a call from this node. `hops` undefined = unlimited; 0 = deliver locally only. */
  send(body: CallBody, hops: number | undefined): void {
    const core = this.core;
    const bytes = encodeOutgoing(core, body);
    const remaining = hops ?? null;
    const action = this.filter(body, 0, remaining, 'local');
    let relayedTo = 0;
    if (forwards(action) && remaining !== 0) {
      const frame = encodeFrame({ kind: FrameKind.Flood, hops: remaining, travelled: 1, id: body.id, body: bytes, sig: core.sign(bytes) });
      relayedTo = this.tree !== undefined && remaining === null
        ? this.tree.push(frame, body.id, idKey(body.id), body.origin, 0, 1, undefined)
        : core.broadcast(frame, undefined);
    }
    const deliver = deliversLocally(action);
    core.decide(() => ({
      id: idHex(body.id), contract: body.contract, operation: body.operation, from: body.origin, via: undefined, kind: 'flood', hops: 0,
      delivered: deliver, relayedTo, reason: reasonFor(action, remaining, deliver),
    }));
    const tracer = body.trace === true ? core.tracer : undefined;
    if (deliver) {
      const message: DeliveredMessage = { body, kind: 'flood', hops: 0, remainingHops: remaining, via: undefined };
      queueMicrotask(() => {
        const refused = core.deliver(message);
        tracer?.handled(traceEvent(core, body, undefined, 0, refused === undefined, relayedTo, reasonFor(action, remaining, true), refused));
      });
    } else {
      tracer?.handled(traceEvent(core, body, undefined, 0, false, relayedTo, reasonFor(action, remaining, false), undefined));
    }
  }

  /**
   * The relay's fast path, before any decoding: true when `data` was a binary-layout flood of a
   * message seen before, now counted as a duplicate (and told to the tree) from its header alone.
   * False for anything else, which the caller decodes and hands to {@link Flooder.receive}: a
   * frame the header check does not pass, a new message, or a copy that must be reported (someone
   * watches decisions, or the message is traced).
   */
  receiveSeen(from: Neighbor, data: Uint8Array): boolean {
    const core = this.core;
    if (core.decisionsObserved) return false;
    const unlimited = floodHeader(data, core.limits);
    if (unlimited < 0 || !core.seen.hasAt(data, MESSAGE_ID_OFFSET)) return false;
    if (core.tracer !== undefined && core.traced.size > 0 && core.traced.hasAt(data, MESSAGE_ID_OFFSET)) return false;
    from.received += 1;
    core.stats.duplicates += 1;
    // Hop-limited messages are flooded even in tree mode, so their duplicates say nothing about the tree.
    if (unlimited === 1 && this.tree !== undefined) this.tree.duplicate(from, idKeyAt(data, MESSAGE_ID_OFFSET), undefined);
    return true;
  }

  /** Handles a flood frame from a neighbour. */
  receive(from: Neighbor, frame: FloodFrame): void {
    const core = this.core;
    // Dedup before decode: a copy of a message seen before costs one lookup of the header's id.
    // (Mesh.onFrame's fast path took most of them already; what comes here is reported or new.)
    const headerKey = frame.id === undefined ? undefined : idKey(frame.id);
    if (headerKey !== undefined && core.seen.has(headerKey)) {
      from.received += 1;
      this.duplicate(from, frame, headerKey, undefined);
      return;
    }
    const body = decodeIncoming(core, from, frame.body);
    if (body === undefined) return;
    if (body.type !== 'call' || body.target !== null) {
      core.violation(from, new PeerChannelError(ErrorCode.FRAME_SHAPE, 'a flood must carry an untargeted call'));
      return;
    }
    if (frame.id !== undefined && !sameId(frame.id, body.id)) {
      core.violation(from, new PeerChannelError(ErrorCode.FRAME_SHAPE, 'a flood whose header id is not its body id'));
      return;
    }
    // With a header id (equal to the body's, checked above) the seen lookup is done already.
    const key = headerKey ?? idKey(body.id);
    if (headerKey === undefined && core.seen.has(key)) {
      this.duplicate(from, frame, key, body);
      return;
    }
    if (!core.verify(body.origin, frame.body, frame.sig)) {
      core.drop(ErrorCode.BAD_SIGNATURE, `flood ${idHex(body.id)} from ${body.origin.slice(0, 12)} failed verification`, from);
      core.decide(() => decision(body, from, frame.travelled, false, 0, ErrorCode.BAD_SIGNATURE));
      return;
    }
    core.seen.add(key);
    if (body.trace === true) core.traced.add(key);
    from.fresh += 1;
    this.tree?.arrived(key, frame.hops === null ? body.origin : undefined, from);
    core.learnRoute(body.origin, from);
    const remaining = frame.hops === null ? null : frame.hops - 1;
    const action = this.filter(body, frame.travelled, remaining, 'remote');
    let relayedTo = 0;
    if (forwards(action) && remaining !== 0 && frame.travelled < MAX_TRAVELLED) {
      // A binary-layout frame is forwarded as it came, with its hop fields rewritten in place.
      const out = frame.raw !== undefined
        ? rewriteHops(frame.raw, remaining, frame.travelled + 1)
        : encodeFrame({ kind: FrameKind.Flood, hops: remaining, travelled: frame.travelled + 1, id: body.id, body: frame.body, sig: frame.sig });
      relayedTo = this.tree !== undefined && remaining === null
        ? this.tree.push(out, body.id, key, body.origin, frame.travelled, frame.travelled + 1, from)
        : core.broadcast(out, from);
    }
    const deliver = deliversLocally(action);
    core.decide(() => decision(body, from, frame.travelled, deliver, relayedTo, reasonFor(action, remaining, deliver)));
    const refused = deliver ? core.deliver({ body, kind: 'flood', hops: frame.travelled, remainingHops: remaining, via: from.peerId }) : undefined;
    if (body.trace === true) core.tracer?.handled(traceEvent(core, body, from.peerId, frame.travelled, deliver && refused === undefined, relayedTo, reasonFor(action, remaining, deliver), refused));
  }

  /**
   * A copy of a message seen before: counted, told to the tree, never filtered nor delivered.
   * The body is decoded only when someone watches decisions, or when the id is of a traced
   * message and a tracer is attached (`body` is passed when the frame had no header id and was
   * decoded already).
   */
  private duplicate(from: Neighbor, frame: FloodFrame, key: string, decoded: CallBody | undefined): void {
    const core = this.core;
    core.stats.duplicates += 1;
    // Hop-limited messages are flooded even in tree mode, so their duplicates say nothing about the tree.
    if (frame.hops === null) this.tree?.duplicate(from, key, decoded?.origin);
    if (!core.decisionsObserved && (core.tracer === undefined || !core.traced.has(key))) return;
    let body: CallBody | undefined = decoded;
    if (body === undefined) {
      try {
        const b = decodeBody(frame.body, core.limits);
        if (b.type === 'call') body = b;
      } catch {
        // A seen id with a body that does not decode: nothing to report it with (it is not taken).
        countDrop(core.stats, ErrorCode.FRAME_SHAPE);
      }
      if (body === undefined) return;
    }
    const b = body;
    core.decide(() => decision(b, from, frame.travelled, false, 0, 'duplicate'));
    if (b.trace === true) core.tracer?.handled({ body: b, kind: 'flood', via: from.peerId, hops: frame.travelled, duplicate: true, delivered: false, forwardedTo: [], reason: 'duplicate' });
  }

  private filter(body: CallBody, hops: number, remainingHops: number | null, origin: 'local' | 'remote'): PropagationAction {
    const filter = this.core.filter;
    if (filter === undefined) return 'localAndRemote';
    const message: PropagationMessage = {
      id: idHex(body.id), contract: body.contract, operation: body.operation, args: body.args, from: body.origin, hops, remainingHops,
    };
    try {
      const action = filter(message, origin);
      if (action === 'none' || action === 'local' || action === 'remote' || action === 'localAndRemote') return action;
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `propagation filter returned ${String(action)}`);
    } catch (error) {
      this.core.report(toPeerChannelError(error, ErrorCode.HANDLER_FAILED));
      return 'none';
    }
  }
}

function reasonFor(action: PropagationAction, remaining: number | null, delivered: boolean): string | undefined {
  if (action === 'none') return 'filter';
  if (!forwards(action)) return 'filter';
  if (remaining === 0) return 'hop-limit';
  return delivered ? undefined : 'filter';
}

function traceEvent(core: MeshCore, body: CallBody, via: string | undefined, hops: number, delivered: boolean, relayedTo: number, reason: string | undefined, refused: string | undefined) {
  return { body, kind: 'flood' as const, via, hops, duplicate: false, delivered, forwardedTo: relayedTo > 0 ? forwardedIds(core.neighbors, via) : [], reason, refused };
}

function decision(body: CallBody, from: Neighbor, hops: number, delivered: boolean, relayedTo: number, reason: string | undefined) {
  return {
    id: idHex(body.id), contract: body.contract, operation: body.operation, from: body.origin, via: from.peerId,
    kind: 'flood' as const, hops, delivered, relayedTo, reason,
  };
}
