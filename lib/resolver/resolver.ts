import type { PeerIdentity } from '../identity/peer-identity.js';
import type { Transport } from '../transport/transport.js';

/** A peer as a resolver knows it: its id and where it listens. */
export interface ResolvedPeer {
  /** The peer's id (or an `unpinned:` placeholder from a static entry given as a bare address). */
  readonly peerId: string;
  /** Addresses it registered (at most 16), to dial in turn. */
  readonly addresses: readonly string[];
}

/** A live registration; refresh it before `ttlMs` runs out or it expires. */
export interface Registration {
  /** Opaque registration id, for `refresh` and `unregister`. */
  readonly id: string;
  /** Lifetime granted by the resolver from the last register or refresh. */
  readonly ttlMs: number;
}

/** Options for {@link PeerResolver.resolve}. */
export interface ResolveOptions {
  /**
   * Most peers to return.
   * @defaultValue 10
   */
  readonly max?: number;
  /** Aborts the resolve (`PC_ERR_ABORTED`). */
  readonly signal?: AbortSignal;
}

/**
 * Finds the peers of a mesh by name — WCF's PeerResolver contract: register, resolve, refresh,
 * unregister.
 *
 * @remarks
 * Registrations expire unless refreshed; {@link RegistrationKeeper} refreshes well before expiry.
 * Resolve never returns expired registrations, and never returns the same peer twice.
 * Every implementation runs `spec/compliance/resolver-compliance.ts`.
 */
export interface PeerResolver {
  /** Short implementation name, e.g. `'local'`, `'static'`, `'pnrp'`, `'service'`. */
  readonly name: string;
  /** Publishes `peer` as a member of `mesh`. */
  register(mesh: string, peer: ResolvedPeer, options?: { signal?: AbortSignal }): Promise<Registration>;
  /** Extends a registration's life. @throws PeerChannelError `PC_ERR_NOT_REGISTERED` if it is unknown or expired. */
  refresh(registrationId: string): Promise<Registration>;
  /** Withdraws a registration. Unknown ids are ignored. */
  unregister(registrationId: string): Promise<void>;
  /** Lists members of `mesh` (excluding none: callers drop themselves). */
  resolve(mesh: string, options?: ResolveOptions): Promise<readonly ResolvedPeer[]>;
  /** Releases sockets and timers. Idempotent. */
  close(): Promise<void>;
}

/** What a resolver factory is given by the node that owns it. */
export interface ResolverComponents {
  /** The node's identity (resolvers that sign records or authenticate links use it). */
  readonly identity: PeerIdentity;
  /** Makes a transport of the node's kind for resolvers that talk to other nodes themselves. */
  readonly createTransport: () => Transport;
}

/** Makes a resolver for one node. */
export type ResolverFactory = (components: ResolverComponents) => PeerResolver;
