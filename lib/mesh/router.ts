import { type CallBody, type DirectFrame, FrameKind, MAX_TRAVELLED, type MessageBody, encodeFrame } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { MeshCore } from './mesh-core.js';
import type { Neighbor } from './neighbor.js';
import type { RouteDiscovery } from './route-discovery.js';
import { decodeIncoming, encodeOutgoing } from './message-intake.js';
import { idHex, idKey, sameId } from './seen-cache.js';

/**
 * Delivers directed calls and replies to one peer, along a path, never by flooding.
 *
 * @remarks
 * Next hop: the target itself when it is a neighbour, else the neighbour the target was last
 * heard through (reverse-path learning from the floods, directed messages and route requests it
 * sent, and from route replies), else the message waits while {@link RouteDiscovery} finds a
 * path with a small expanding-ring route request, then follows it. A relay whose next hop is
 * gone drops the message and sends a route error back, so the sender searches again next time.
 * The target answers along the reverse path the call taught it. `ttl` bounds the path length.
 */
export class Router {
  constructor(
    private readonly core: MeshCore,
    /** @defaultValue 64 */
    private readonly ttl: number,
    private readonly discovery: RouteDiscovery,
  ) {}

  /**
   * Sends a directed message from this node: true when it left (or is delivered locally), false
   * when it waits for route discovery, which then reports it `dispatched` or `undeliverable`.
   */
  send(body: MessageBody & { target: string }): boolean {
    const core = this.core;
    const bytes = encodeOutgoing(core, body);
    if (body.target === core.localPeerId) {
      queueMicrotask(() => core.deliver({ body, kind: 'direct', hops: 0, remainingHops: 0, via: undefined }));
      return true;
    }
    if (core.neighbors.size === 0) throw new PeerChannelError(ErrorCode.NO_ROUTE, `no neighbour to reach ${body.target.slice(0, 12)}`);
    const frame = encodeFrame({ kind: FrameKind.Direct, ttl: this.ttl, travelled: 1, id: body.id, body: bytes, sig: core.sign(bytes) });
    const sent = this.forward(body.target, frame, undefined, body.id);
    if (body.type === 'call' && body.trace === true && core.tracer !== undefined) {
      const next = sent === 0 ? [] : [(core.neighbors.get(body.target) ?? core.routeTo(body.target))?.peerId ?? body.target];
      core.tracer.handled({ body, kind: 'direct', via: undefined, hops: 0, duplicate: false, delivered: false, forwardedTo: next, reason: sent === 0 ? 'route-discovery' : undefined });
    }
    return sent > 0;
  }

  /** Handles a directed frame from a neighbour. */
  receive(from: Neighbor, frame: DirectFrame): void {
    const core = this.core;
    // A copy seen before costs one lookup of the header's id, unless someone watches decisions or it was traced.
    if (frame.id !== undefined && !core.decisionsObserved) {
      const key = idKey(frame.id);
      if (core.seen.has(key) && (core.tracer === undefined || !core.traced.has(key))) {
        from.received += 1;
        core.stats.duplicates += 1;
        return;
      }
    }
    const body = decodeIncoming(core, from, frame.body);
    if (body === undefined) return;
    const target = body.target;
    if (target === null) {
      core.violation(from, new PeerChannelError(ErrorCode.FRAME_SHAPE, 'a directed message must name its target'));
      return;
    }
    if (frame.id !== undefined && !sameId(frame.id, body.id)) {
      core.violation(from, new PeerChannelError(ErrorCode.FRAME_SHAPE, 'a directed message whose header id is not its body id'));
      return;
    }
    const key = idKey(body.id);
    const kind = body.type === 'reply' ? 'reply' : 'direct';
    const decide = (delivered: boolean, relayedTo: number, reason: string | undefined) =>
      core.decide(() => ({
        id: idHex(body.id), contract: body.type === 'call' ? body.contract : undefined, operation: body.type === 'call' ? body.operation : undefined,
        from: body.origin, via: from.peerId, kind, hops: frame.travelled, delivered, relayedTo, reason,
      }));
    if (core.seen.has(key)) {
      core.stats.duplicates += 1;
      decide(false, 0, 'duplicate');
      if (body.type === 'call' && body.trace === true) core.tracer?.handled({ ...directEvent(body, from, frame.travelled, false, [], 'duplicate'), duplicate: true });
      return;
    }
    if (!core.verify(body.origin, frame.body, frame.sig)) {
      core.drop(ErrorCode.BAD_SIGNATURE, `directed message ${idHex(body.id)} from ${body.origin.slice(0, 12)} failed verification`, from, idHex(body.id));
      decide(false, 0, ErrorCode.BAD_SIGNATURE);
      return;
    }
    core.seen.add(key);
    if (body.type === 'call' && body.trace === true) core.traced.add(key);
    from.fresh += 1;
    core.learnRoute(body.origin, from);
    const traced = body.type === 'call' && body.trace === true ? core.tracer : undefined;
    if (target === core.localPeerId) {
      decide(true, 0, undefined);
      const refused = core.deliver({ body, kind: 'direct', hops: frame.travelled, remainingHops: 0, via: from.peerId });
      traced?.handled({ ...directEvent(body as CallBody, from, frame.travelled, refused === undefined, [], undefined), refused });
      return;
    }
    if (frame.ttl <= 1 || frame.travelled >= MAX_TRAVELLED) {
      core.drop(ErrorCode.NO_ROUTE, `directed message ${idHex(body.id)} ran out of hops`, from, idHex(body.id));
      decide(false, 0, 'hop-limit');
      traced?.handled(directEvent(body as CallBody, from, frame.travelled, false, [], 'hop-limit'));
      return;
    }
    const out = encodeFrame({ kind: FrameKind.Direct, ttl: frame.ttl - 1, travelled: frame.travelled + 1, id: body.id, body: frame.body, sig: frame.sig });
    const sent = this.forward(target, out, from);
    if (sent === 0) {
      core.drop(ErrorCode.NO_ROUTE, `directed message ${idHex(body.id)} has no next hop toward ${target.slice(0, 12)}`, from, idHex(body.id));
      this.discovery.broken(from, target, body.origin);
    }
    decide(false, sent, sent === 0 ? ErrorCode.NO_ROUTE : undefined);
    if (traced !== undefined) {
      const next = sent === 0 ? [] : [(core.neighbors.get(target) ?? core.routeTo(target))?.peerId ?? target];
      traced.handled(directEvent(body as CallBody, from, frame.travelled, false, next, sent === 0 ? ErrorCode.NO_ROUTE : undefined));
    }
  }

  /**
   * Sends toward `target` by the next hop if one is known. This node's own message without one
   * waits for route discovery; a relayed one is not relayed (returns 0).
   */
  private forward(target: string, frame: Uint8Array, from: Neighbor | undefined, id?: Uint8Array): number {
    const core = this.core;
    const next = core.neighbors.get(target) ?? core.routeTo(target);
    if (next !== undefined && next !== from && next.send(frame)) {
      core.stats.relayed += 1;
      return 1;
    }
    if (from === undefined && id !== undefined) this.discovery.enqueue(target, frame, id);
    return 0;
  }
}

function directEvent(body: CallBody, from: Neighbor, hops: number, delivered: boolean, forwardedTo: string[], reason: string | undefined) {
  return { body, kind: 'direct' as const, via: from.peerId, hops, duplicate: false, delivered, forwardedTo, reason };
}
