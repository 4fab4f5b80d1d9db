import type { FrameLimits } from '../codec/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { RecordsOptions } from '../records/records-options.js';
import type { MeshTuning, NeighborLimits } from '../mesh/options.js';
import type { PropagationFilter } from '../mesh/propagation.js';
import type { ResolverFactory } from '../resolver/resolver.js';
import type { Admission } from '../security/admission.js';
import type { CertificateAdmissionOptions } from '../security/certificate-admission.js';
import type { SecurityMode } from '../security/security-mode.js';
import type { TransportFactory } from '../transport/transport.js';
import type { ObserveOptions } from '../observe/observe-options.js';

/** Options of {@link PeerNode.open}. */
export interface PeerNodeOptions {
  /**
   * Who this node is.
   * @defaultValue a fresh identity
   */
  readonly identity?: PeerIdentity;
  /**
   * How links are made.
   * @defaultValue `webSocketTransport()`: TLS WebSockets on 127.0.0.1, port 0
   */
  readonly transport?: TransportFactory;
  /**
   * How mesh members are found; `null` for none (connect with {@link PeerNode.connect}).
   * @defaultValue `localResolver()`: zero-config, one machine
   */
  readonly resolver?: ResolverFactory | null;
  /**
   * How the mesh is secured: `none`, `transport` (links authenticate the peer id: TLS pinned to
   * the key hash), `message` (every message signed by its sender and verified by every receiver)
   * or `both`. Peers with different modes refuse each other.
   * @defaultValue `'transport'`
   */
  readonly security?: SecurityMode;
  /** Mesh password: each link is admitted by a CPace (PAKE) proof of it, bound to the link. */
  readonly password?: string;
  /** Certificate admission: a trust list and/or membership certificates issued by the mesh owner. */
  readonly certificate?: CertificateAdmissionOptions;
  /** A custom admission check; at most one of `password`, `certificate` and `admission`. */
  readonly admission?: Admission;
  /** Decides delivery and forwarding of each flooded message. @defaultValue deliver and forward everything */
  readonly propagationFilter?: PropagationFilter;
  /** @defaultValue `{ min: 2, ideal: 3, max: 7 }` */
  readonly neighbors?: Partial<NeighborLimits>;
  /**
   * Who makes the links. `'managed'`: neighbour maintenance tops the set up to `neighbors.ideal`
   * from referrals, the passive view and the resolver, prunes above it, and explores now and
   * then. `'fixed'`: links are made only by {@link PeerNode.connect} (and by peers that dial this
   * node, up to `neighbors.max`); the node never dials, prunes or explores by itself, so a
   * hand-made topology stays as built. Idle and too-slow links are still cut, and a lost link is
   * not replaced. Same as `neighbors: { min: 0, ideal: 0 }` with `mesh: { exploreIntervalMs: 0 }`.
   * @defaultValue `'managed'`
   */
  readonly topology?: 'managed' | 'fixed';
  /** Bounds on frames from peers. @defaultValue see `defaultFrameLimits` */
  readonly limits?: Partial<FrameLimits>;
  /** @defaultValue 10_000 */
  readonly replyTimeoutMs?: number;
  /** @defaultValue 10_000 */
  readonly handshakeTimeoutMs?: number;
  /** @defaultValue 4_096 */
  readonly maxPendingReplies?: number;
  /** @defaultValue 10_000 */
  readonly maxRepliesPerGather?: number;
  /** How long message ids are remembered, at least (at most twice this: they are kept in two generations). @defaultValue 300_000 */
  readonly seenTtlMs?: number;
  /** @defaultValue 100_000 */
  readonly seenMaxEntries?: number;
  /** @defaultValue 2_000 */
  readonly maintenanceIntervalMs?: number;
  /**
   * Overlay tuning: broadcast mode (`'flood'` or `'tree'`), passive view size, slow-neighbour
   * bound, route discovery rings and the other bounds of neighbour maintenance.
   * @defaultValue `defaultMeshTuning` (flood; see docs/mesh.md)
   */
  readonly mesh?: Partial<MeshTuning>;
  /** Message tracing and mesh-view bounds. @defaultValue `defaultObserveOptions` */
  readonly observe?: Partial<ObserveOptions>;
  /**
   * Enables the node's replicated record store (`node.records(Type)`): `true` for the defaults
   * (LevelDB under `~/.peerchannel`, per identity and mesh), or its options. With records on disk
   * and no `identity` given, the node's identity is loaded from (or created in)
   * `<home>/identity`, so it can still update and delete its records after a restart.
   * @defaultValue disabled
   */
  readonly records?: boolean | RecordsOptions;
  /** Aborts opening. */
  readonly signal?: AbortSignal;
}
