import { randomFillSync } from 'node:crypto';
import type { FrameLimits } from '../codec/index.js';
import { ErrorCode } from '../errors/index.js';
import {
  MeshFrameKind,
  ROUTE_REQUEST_ID_BYTES,
  decodeRouteError,
  decodeRouteReply,
  decodeRouteRequest,
  encodeRouteReply,
  encodeRouteRequest,
  type RouteReply,
  routeReplySigned,
} from './mesh-frames.js';
import type { MeshStats } from './mesh-stats.js';
import type { Neighbor } from './neighbor.js';
import type { MeshTuning } from './options.js';
import { PendingRoutes } from './route-pending.js';
import { SeenCache, idKey } from './seen-cache.js';

/** Most route requests remembered as in flight through one node (sent or relayed). */
export const MAX_PENDING_ROUTE_REQUESTS = 4096;

/** What route discovery needs from the mesh. @internal */
export interface DiscoveryHost {
  readonly localPeerId: string;
  readonly limits: FrameLimits;
  readonly stats: MeshStats;
  readonly neighbors: ReadonlyMap<string, Neighbor>;
  sendExtension(to: Neighbor, kind: number, payload: unknown): boolean;
  learnRoute(peer: string, via: Neighbor): void;
  /** Forgets the route to `peer` if it goes through `via`. */
  forgetRoute(peer: string, via: Neighbor): void;
  /** The neighbour toward `target`: itself if linked, else a learned route. */
  nextHop(target: string): Neighbor | undefined;
  drop(code: string, message: string): void;
  /** This node's own message `id` will not be sent: report it (with its id) and fail the call waiting on it. */
  undeliverable(id: Uint8Array, code: ErrorCode, message: string): void;
  /** This node's own message `id`, which waited for a route, has left on it. */
  dispatched(id: Uint8Array): void;
  /** True in message-signing modes: route replies must then carry the target's signature. */
  readonly signsMessages: boolean;
  /** Signature blob over `bytes` by this node, or `null` when messages are not signed. */
  sign(bytes: Uint8Array): Uint8Array | null;
  /** True if `sig` is `peer`'s signature over `bytes` (always true when signing is off). */
  verify(peer: string, bytes: Uint8Array, sig: Uint8Array | null): boolean;
}

interface Queued {
  readonly frame: Uint8Array;
  /** The message id, for the drop report and the call waiting on it. */
  readonly id: Uint8Array;
}

interface Search {
  readonly queue: Queued[];
  ring: number;
  requestId: string;
  timer: NodeJS.Timeout;
}

/**
 * Finds a path to a peer without flooding the payload: an expanding-ring route request.
 *
 * @remarks
 * A directed message with no known next hop waits (bounded: `maxPendingRoutes` targets,
 * `maxQueuedPerRoute` messages each) while a small route request (about 150 bytes) spreads
 * `routeFirstRing` hops; each peer it reaches remembers the way back to the requester. The
 * target, or any neighbour of the target, answers with a route reply that travels back along
 * that path, and each peer on the way learns the route to the target (the requester keeps the
 * first answer). With no answer within
 * `2 × ring × routeHopTimeoutMs` the ring doubles, up to `routeMaxRing`; after the last ring the
 * waiting messages are dropped with `PC_ERR_NO_ROUTE`. A relay whose next hop is gone drops the
 * message (`PC_ERR_NO_ROUTE`) and sends a route error back toward its sender, which clears the
 * stale routes on the way, so the sender's next message searches afresh. Its cost: a ring of radius r costs one
 * small frame per link within r hops, so a far target costs up to one flood of route requests
 * (never of payloads), and nothing when a route is already known from earlier traffic. A peer
 * relays at most `routeRequestsPerSecond` requests, so a hostile neighbour cannot make it
 * amplify a storm.
 *
 * Route replies are authenticated before anything is learned from them. A node accepts a reply
 * only for a request it sent or relayed itself (same request id, requester and target, still
 * pending: at most {@link MAX_PENDING_ROUTE_REQUESTS}, for ten seconds or four times the longest
 * ring's wait), and only from a neighbour that request went to; the route is bound to that
 * neighbour, and the reply goes back only to the neighbour the request came from. A reply that
 * claims to come from the target itself (`travelled` 1) must arrive over the target's own link.
 * In message-signing modes (`message`, `both`) only the target answers — a neighbour of the
 * target passes the request to it instead of answering for it — and signs the reply (Ed25519,
 * through the message signer; see {@link routeReplySigned}); every hop verifies it. Everything
 * else is refused without learning anything, counted in `routeRepliesRefused` and reported as
 * `PC_ERR_ROUTE_FORGED` on `errors$`. Without message signing a member that receives a request
 * can still claim to neighbour the target: that is what `security: 'message'` or `'both'` is for.
 */
export class RouteDiscovery {
  private readonly searches = new Map<string, Search>();
  private readonly seenRequests = new SeenCache(60_000, 20_000);
  private readonly pending: PendingRoutes;
  private tokens: number;
  private refilledAt = Date.now();
  private closed = false;

  constructor(
    private readonly host: DiscoveryHost,
    private readonly tuning: MeshTuning,
  ) {
    this.tokens = tuning.routeRequestsPerSecond;
    this.pending = new PendingRoutes(MAX_PENDING_ROUTE_REQUESTS, Math.max(10_000, 4 * tuning.routeMaxRing * tuning.routeHopTimeoutMs));
  }

  /** Holds this node's own `frame` (message `id`) until a route to `target` is found; false (dropped, reported) when over a bound. */
  enqueue(target: string, frame: Uint8Array, id: Uint8Array): boolean {
    const search = this.searches.get(target);
    if (search !== undefined) {
      if (search.queue.length >= this.tuning.maxQueuedPerRoute) {
        this.host.undeliverable(id, ErrorCode.LIMIT_EXCEEDED, `more than ${this.tuning.maxQueuedPerRoute} messages wait for a route to ${target.slice(0, 12)}`);
        return false;
      }
      search.queue.push({ frame, id });
      return true;
    }
    if (this.searches.size >= this.tuning.maxPendingRoutes) {
      this.host.undeliverable(id, ErrorCode.LIMIT_EXCEEDED, `more than ${this.tuning.maxPendingRoutes} route searches at once`);
      return false;
    }
    const s: Search = { queue: [{ frame, id }], ring: this.tuning.routeFirstRing, requestId: '', timer: undefined as unknown as NodeJS.Timeout };
    this.searches.set(target, s);
    this.ask(target, s);
    return true;
  }

  onRequest(from: Neighbor, payload: unknown): void {
    const req = decodeRouteRequest(payload, this.host.limits);
    const key = idKey(req.requestId);
    if (!this.seenRequests.add(key)) return;
    if (req.origin === this.host.localPeerId) return;
    this.host.learnRoute(req.origin, from);
    if (req.target === this.host.localPeerId) {
      this.reply(from, { requestId: req.requestId, origin: req.origin, target: req.target, travelled: 1, sig: this.host.sign(routeReplySigned(req)) });
      return;
    }
    const targetLink = this.host.neighbors.get(req.target);
    if (targetLink !== undefined && !this.host.signsMessages) {
      // A neighbour of the target answers for it: the last hop is a direct link.
      this.reply(from, { requestId: req.requestId, origin: req.origin, target: req.target, travelled: 2, sig: null });
      return;
    }
    // With signing only the target can answer: a neighbour of it passes the request on to it alone.
    if (targetLink === undefined && req.ttl <= 1) return;
    if (!this.take()) {
      this.host.drop(ErrorCode.LIMIT_EXCEEDED, `relaying more than ${this.tuning.routeRequestsPerSecond} route requests a second`);
      return;
    }
    const out = encodeRouteRequest({ ...req, ttl: Math.max(0, req.ttl - 1), travelled: req.travelled + 1 });
    const sentTo = new Set<string>();
    for (const n of targetLink === undefined ? this.host.neighbors.values() : [targetLink]) {
      if (n !== from && this.host.sendExtension(n, MeshFrameKind.RouteRequest, out)) {
        this.host.stats.routeRequests += 1;
        sentTo.add(n.peerId);
      }
    }
    if (sentTo.size > 0) this.pending.add(key, { origin: req.origin, target: req.target, from, sentTo });
  }

  onReply(from: Neighbor, payload: unknown): void {
    const rep = decodeRouteReply(payload, this.host.limits);
    const pending = this.pending.get(idKey(rep.requestId));
    if (pending === undefined || pending.target !== rep.target || pending.origin !== rep.origin || !pending.sentTo.has(from.peerId)) {
      this.refuse(from, rep, 'answers no route request this node sent that neighbour');
      return;
    }
    if (this.host.signsMessages) {
      if (!this.host.verify(rep.target, routeReplySigned(rep), rep.sig)) {
        this.refuse(from, rep, 'is not signed by its target');
        return;
      }
    } else if (rep.travelled === 1 && from.peerId !== rep.target) {
      this.refuse(from, rep, 'claims to come from the target but arrived over another link');
      return;
    }
    // The first answer came the quickest way; later ones (longer paths) are ignored.
    if (pending.answered) return;
    pending.answered = true;
    // A reply is a path just proven, fresher than a route learned from old floods: it replaces it.
    this.host.learnRoute(rep.target, from);
    if (pending.from === undefined) {
      this.found(rep.target);
      return;
    }
    const back = pending.from;
    if (this.host.neighbors.get(back.peerId) !== back) {
      this.host.drop(ErrorCode.NO_ROUTE, `route reply for ${rep.origin.slice(0, 12)} lost its way back`);
      return;
    }
    this.reply(back, { ...rep, travelled: rep.travelled + 1 });
  }

  /**
   * A directed message toward `target` from `origin` could not be relayed here: tell the
   * neighbour it came from, so the stale routes back to the sender are cleared.
   */
  broken(from: Neighbor, target: string, origin: string): void {
    this.host.sendExtension(from, MeshFrameKind.RouteError, [target, origin]);
  }

  onError(from: Neighbor, payload: unknown): void {
    const { target, origin } = decodeRouteError(payload, this.host.limits);
    this.host.forgetRoute(target, from);
    if (origin === this.host.localPeerId) return;
    const back = this.host.nextHop(origin);
    if (back !== undefined && back !== from) this.host.sendExtension(back, MeshFrameKind.RouteError, [target, origin]);
  }

  /** A route to `target` may now be known (a reply, or a new neighbour): send what waited for it. */
  found(target: string): void {
    const s = this.searches.get(target);
    if (s === undefined) return;
    const next = this.host.nextHop(target);
    if (next === undefined) return;
    clearTimeout(s.timer);
    this.searches.delete(target);
    for (const { frame, id } of s.queue) {
      if (next.send(frame)) {
        this.host.stats.relayed += 1;
        this.host.dispatched(id);
      } else {
        this.host.undeliverable(id, ErrorCode.NO_ROUTE, `the link toward ${target.slice(0, 12)} closed as the route was found`);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const s of this.searches.values()) clearTimeout(s.timer);
    this.searches.clear();
    this.seenRequests.clear();
    this.pending.clear();
  }

  private ask(target: string, s: Search): void {
    const id = randomFillSync(new Uint8Array(ROUTE_REQUEST_ID_BYTES));
    s.requestId = idKey(id);
    this.seenRequests.add(s.requestId);
    const req = encodeRouteRequest({ requestId: id, origin: this.host.localPeerId, target, ttl: s.ring, travelled: 1 });
    if (this.take()) {
      const sentTo = new Set<string>();
      for (const n of this.host.neighbors.values()) {
        if (this.host.sendExtension(n, MeshFrameKind.RouteRequest, req)) {
          this.host.stats.routeRequests += 1;
          sentTo.add(n.peerId);
        }
      }
      if (sentTo.size > 0) this.pending.add(s.requestId, { origin: this.host.localPeerId, target, from: undefined, sentTo });
    }
    s.timer = setTimeout(() => this.widen(target, s), 2 * s.ring * this.tuning.routeHopTimeoutMs);
  }

  private widen(target: string, s: Search): void {
    if (this.closed || this.searches.get(target) !== s) return;
    if (this.host.nextHop(target) !== undefined) {
      this.found(target);
      return;
    }
    if (s.ring >= this.tuning.routeMaxRing) {
      this.searches.delete(target);
      for (const { id } of s.queue) {
        this.host.undeliverable(id, ErrorCode.NO_ROUTE, `no route to ${target.slice(0, 12)} within ${s.ring} hops`);
      }
      return;
    }
    s.ring = Math.min(s.ring * 2, this.tuning.routeMaxRing);
    this.ask(target, s);
  }

  private reply(to: Neighbor, rep: RouteReply): void {
    if (this.host.sendExtension(to, MeshFrameKind.RouteReply, encodeRouteReply(rep))) this.host.stats.routeReplies += 1;
  }

  private refuse(from: Neighbor, rep: RouteReply, why: string): void {
    this.host.stats.routeRepliesRefused += 1;
    this.host.drop(ErrorCode.ROUTE_FORGED, `route reply from ${from.peerId.slice(0, 12)} for ${rep.target.slice(0, 12)} ${why}`);
  }

  private take(): boolean {
    const now = Date.now();
    const rate = this.tuning.routeRequestsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
