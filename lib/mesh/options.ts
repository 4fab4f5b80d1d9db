import type { FrameLimits, HandshakeExt } from '../codec/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { Admission } from '../security/admission.js';
import type { ResolvedPeer } from '../resolver/resolver.js';
import type { Transport } from '../transport/transport.js';
import type { PropagationFilter } from './propagation.js';
import { type ChunkTuning, defaultChunkTuning } from './chunks/chunk-options.js';

/** Neighbour counts the mesh keeps (WCF's defaults). */
export interface NeighborLimits {
  /** @defaultValue 2 */
  readonly min: number;
  /** @defaultValue 3 */
  readonly ideal: number;
  /** @defaultValue 7 */
  readonly max: number;
}

/** Defaults for {@link NeighborLimits}. */
export const defaultNeighborLimits: NeighborLimits = Object.freeze({ min: 2, ideal: 3, max: 7 });

/**
 * How flooded messages spread.
 *
 * @remarks
 * `flood` is Peer Channel's: every new message goes to every neighbour but the one it came from.
 * `tree` is Plumtree's eager/lazy push: the payload follows a spanning tree per sender, the other
 * links carry only message ids (IHAVE), and a peer that hears of a message it has not received
 * asks for it (GRAFT). Every peer of a mesh should use the same mode. See `docs/mesh.md`.
 */
export type BroadcastMode = 'flood' | 'tree';

/**
 * Tuning of the overlay: neighbour maintenance, repair, broadcast and routing.
 *
 * @remarks
 * Every bound here limits what a peer can make this node hold or send; see `docs/mesh.md` for
 * how each one is used.
 */
export interface MeshTuning extends ChunkTuning {
  /** @defaultValue `'flood'` */
  readonly broadcast: BroadcastMode;
  /** Known, not connected peers kept for fast repair (HyParView's passive view). @defaultValue 30 */
  readonly passiveViewSize: number;
  /** Referrals (from busy refusals and goodbyes) kept, tried before anything else. @defaultValue 100 */
  readonly referralCacheSize: number;
  /** Most peers offered in one shuffle exchange with a neighbour. @defaultValue 8 */
  readonly shuffleSize: number;
  /** A shuffle happens every this many maintenance rounds. @defaultValue 5 */
  readonly shuffleEveryRounds: number;
  /** Most dials one maintenance round makes. @defaultValue 8 */
  readonly maxDialsPerRound: number;
  /** A neighbour whose send queue stays above this many frames is cut as too slow. @defaultValue 512 */
  readonly slowQueueBound: number;
  /** How long the send queue must stay above the bound before the cut. @defaultValue 4_000 */
  readonly slowGraceMs: number;
  /** Links younger than this are never pruned (their counts mean little yet). @defaultValue 6_000 */
  readonly pruneMinAgeMs: number;
  /** A neighbour silent this long (no frame, not even a utility report) is cut; 0 = never. @defaultValue 10_000 */
  readonly idleTimeoutMs: number;
  /**
   * Every this long a peer below the maximum dials one random known peer, which joins meshes
   * that a partition split (the link is pruned later if useless); 0 = never.
   * @defaultValue 30_000
   */
  readonly exploreIntervalMs: number;
  /** Tree mode: wait this long after an IHAVE for the payload before grafting. @defaultValue 500 */
  readonly graftTimeoutMs: number;
  /**
   * Tree mode: message ids owed to a lazy link are sent together once per this many ms (one
   * IHAVE frame per link and interval, as Plumtree does), not one frame per message; 0 = at the
   * end of each event-loop turn. Payloads never wait for it: only recovery after a loss does.
   * @defaultValue 100
   */
  readonly lazyPushMs: number;
  /** Tree mode: senders whose spanning trees are remembered. @defaultValue 1_024 */
  readonly treeMaxSources: number;
  /** Tree mode: bytes of recent payloads kept to answer grafts. @defaultValue 8 MiB */
  readonly messageCacheBytes: number;
  /** Tree mode: how long a payload is kept to answer grafts. @defaultValue 30_000 */
  readonly messageCacheTtlMs: number;
  /** Tree mode: most message ids awaited after IHAVEs at once. @defaultValue 4_096 */
  readonly maxMissing: number;
  /** Route discovery: time allowed per hop of a ring before the next, wider ring. @defaultValue 100 */
  readonly routeHopTimeoutMs: number;
  /** Route discovery: hop limit of the first ring (each next ring doubles it). @defaultValue 2 */
  readonly routeFirstRing: number;
  /** Route discovery: hop limit of the last ring. @defaultValue 16 */
  readonly routeMaxRing: number;
  /** Route discovery: most targets awaiting a route at once. @defaultValue 64 */
  readonly maxPendingRoutes: number;
  /** Route discovery: most messages queued for one target while its route is sought. @defaultValue 32 */
  readonly maxQueuedPerRoute: number;
  /** Route requests this node relays per second, at most (the rest are dropped). @defaultValue 200 */
  readonly routeRequestsPerSecond: number;
  /**
   * Messages (floods and directed messages) a neighbour may originate per second, on average:
   * what one member may send. Past it they are dropped (`PC_ERR_RATE_LIMITED` in
   * `stats().dropped`); a neighbour a whole `maxMessageBurst` over it is cut with that code.
   * Relayed messages do not count here. 0 = unlimited. Set it well above what the application's
   * busiest sender needs: no benchmark origin sends more than 2,000 messages in all, under 1,000/s.
   * @defaultValue 1_000
   */
  readonly maxMessagesPerSecond: number;
  /** Messages a neighbour may originate in a burst above `maxMessagesPerSecond`. @defaultValue 2_000 */
  readonly maxMessageBurst: number;
  /**
   * Frames of any kind (own and relayed messages, maintenance, extensions) a neighbour may send
   * per second, on average. Past it frames are dropped; a neighbour a whole `maxFrameBurst` over
   * it is cut with `PC_ERR_RATE_LIMITED`. 0 = unlimited. A link carries about the whole mesh's
   * message rate (the benchmarks' busiest link: under 10,000 frames/s).
   * @defaultValue 20_000
   */
  readonly maxFramesPerSecond: number;
  /** Frames a neighbour may send in a burst above `maxFramesPerSecond`. @defaultValue 40_000 */
  readonly maxFrameBurst: number;
  /**
   * Accepted links still in admission or the hello, at once. A new one past it closes the oldest
   * with `PC_ERR_BUSY`, so links that upgrade and then idle cannot hold the transport's
   * connection slots for the handshake timeout. 0 = unlimited. Keep it plus the transport's
   * pending-connection bound under its connection bound.
   * @defaultValue 64
   */
  readonly maxPendingInbound: number;
  /**
   * A dial the other peer refused to admit (`PC_ERR_AUTH_FAILED`, `PC_ERR_UNTRUSTED_PEER`,
   * `PC_ERR_SECURITY_MODE_MISMATCH`: a wrong password, say) is retried after this long, doubling
   * after each refusal up to `refusedRetryMaxDelayMs`.
   * @defaultValue 1_000
   */
  readonly refusedRetryDelayMs: number;
  /** Longest wait between refused dials to one peer. @defaultValue 30_000 */
  readonly refusedRetryMaxDelayMs: number;
  /**
   * Refused dials to one peer before this node stops dialling it (that peer may still dial this
   * node; an admission either way resets the count). At least 1.
   * @defaultValue 5
   */
  readonly refusedRetryAttempts: number;
  /**
   * Member list: how often a node announces itself to the mesh (see {@link PeerNode.members$});
   * 0 = no member list (only this node is listed). Off by default: every member's announcement
   * reaches every node each interval, which a large mesh pays for; 10_000 is a good value.
   * @defaultValue 0
   */
  readonly memberAnnounceMs: number;
  /** Member list: a member not heard for this long is dropped; at least twice `memberAnnounceMs`. @defaultValue 30_000 */
  readonly memberTtlMs: number;
  /** Member list: hops an announcement travels (members farther away are not listed). @defaultValue 8 */
  readonly memberHops: number;
  /** Member list: most members kept. @defaultValue 1_024 */
  readonly maxMembers: number;
}

/** Defaults for {@link MeshTuning}. */
export const defaultMeshTuning: MeshTuning = Object.freeze({
  broadcast: 'flood',
  passiveViewSize: 30,
  referralCacheSize: 100,
  shuffleSize: 8,
  shuffleEveryRounds: 5,
  maxDialsPerRound: 8,
  slowQueueBound: 512,
  slowGraceMs: 4_000,
  pruneMinAgeMs: 6_000,
  idleTimeoutMs: 10_000,
  exploreIntervalMs: 30_000,
  graftTimeoutMs: 500,
  lazyPushMs: 100,
  treeMaxSources: 1_024,
  messageCacheBytes: 8 * 1024 * 1024,
  messageCacheTtlMs: 30_000,
  maxMissing: 4_096,
  routeHopTimeoutMs: 100,
  routeFirstRing: 2,
  routeMaxRing: 16,
  maxPendingRoutes: 64,
  maxQueuedPerRoute: 32,
  routeRequestsPerSecond: 200,
  maxMessagesPerSecond: 1_000,
  maxMessageBurst: 2_000,
  maxFramesPerSecond: 20_000,
  maxFrameBurst: 40_000,
  maxPendingInbound: 64,
  refusedRetryDelayMs: 1_000,
  refusedRetryMaxDelayMs: 30_000,
  refusedRetryAttempts: 5,
  memberAnnounceMs: 0,
  memberTtlMs: 30_000,
  memberHops: 8,
  maxMembers: 1_024,
  ...defaultChunkTuning,
} satisfies MeshTuning);

/** Everything a {@link Mesh} is built from. @internal */
export interface MeshOptions {
  readonly mesh: string;
  readonly identity: PeerIdentity;
  readonly transport: Transport;
  readonly limits: FrameLimits;
  readonly neighbors: NeighborLimits;
  /** Peers to try when below the ideal neighbour count (the resolver, for a node). */
  readonly candidates: (signal: AbortSignal) => Promise<readonly ResolvedPeer[]>;
  readonly filter?: PropagationFilter;
  readonly admission?: Admission;
  readonly signer?: (body: Uint8Array) => Uint8Array;
  readonly verifier?: (origin: string, body: Uint8Array, sig: Uint8Array | null) => boolean;
  /** Fields this node announces in its hello/welcome (e.g. its security mode). */
  readonly helloExt?: HandshakeExt;
  /** Checks the other side's hello/welcome fields; throws a PeerChannelError to refuse. */
  readonly checkHelloExt?: (ext: HandshakeExt) => void;
  /** Refuse links whose transport did not authenticate the peer id. */
  readonly requireAuthenticatedLinks: boolean;
  /** @defaultValue 10_000 */
  readonly handshakeTimeoutMs: number;
  /** @defaultValue 300_000 */
  readonly seenTtlMs: number;
  /** @defaultValue 100_000 */
  readonly seenMaxEntries: number;
  /** How often maintenance tops the neighbour set up. @defaultValue 2_000 */
  readonly maintenanceIntervalMs: number;
  /** @defaultValue 10 */
  readonly maxReferrals: number;
  /** @defaultValue 64 */
  readonly directTtl: number;
  /** @defaultValue {@link defaultMeshTuning} */
  readonly tuning?: Partial<MeshTuning>;
}

/** Checks a tuning bag and fills in defaults. @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT`. */
export function resolveTuning(partial: Partial<MeshTuning> | undefined, fail: (message: string) => Error): MeshTuning {
  const t = { ...defaultMeshTuning, ...partial };
  if (t.broadcast !== 'flood' && t.broadcast !== 'tree') throw fail(`broadcast must be 'flood' or 'tree', not ${String(t.broadcast)}`);
  for (const [key, value] of Object.entries(t)) {
    if (key === 'broadcast') continue;
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw fail(`mesh tuning ${key} must be a finite number >= 0`);
  }
  if (t.routeFirstRing < 1 || t.routeMaxRing < t.routeFirstRing) throw fail('route rings must satisfy 1 <= routeFirstRing <= routeMaxRing');
  if (t.refusedRetryAttempts < 1 || !Number.isInteger(t.refusedRetryAttempts)) throw fail('refusedRetryAttempts must be a whole number >= 1');
  if (t.refusedRetryMaxDelayMs < t.refusedRetryDelayMs) throw fail('refusedRetryMaxDelayMs must be at least refusedRetryDelayMs');
  if (t.shuffleEveryRounds < 1 || t.shuffleSize < 1) throw fail('shuffleEveryRounds and shuffleSize must be at least 1');
  if ((t.maxMessagesPerSecond > 0 && t.maxMessageBurst < 1) || (t.maxFramesPerSecond > 0 && t.maxFrameBurst < 1)) {
    throw fail('maxMessageBurst and maxFrameBurst must be at least 1 when their rate is set');
  }
  if (t.chunkLinkWatermark < 1 || t.maxPartialsPerNeighbor < 1 || t.maxPartialsPerOrigin < 1 || t.chunkTimeoutMs < 1 || t.maxChunkQueueBytes < t.maxMessageBytes) {
    throw fail('chunkLinkWatermark, maxPartialsPerNeighbor, maxPartialsPerOrigin and chunkTimeoutMs must be at least 1, and maxChunkQueueBytes at least maxMessageBytes');
  }
  if (t.memberAnnounceMs > 0 && (t.memberTtlMs < 2 * t.memberAnnounceMs || t.memberHops < 1)) {
    throw fail('memberTtlMs must be at least twice memberAnnounceMs, and memberHops at least 1');
  }
  return t;
}
