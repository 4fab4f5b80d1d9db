import type { FrameLimits, HandshakeExt } from '../codec/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { Admission } from '../security/admission.js';
import type { ResolvedPeer } from '../resolver/resolver.js';
import type { Transport } from '../transport/transport.js';
import type { PropagationFilter } from './propagation.js';

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
}
