import { randomBytes } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { PeerResolver, Registration, ResolvedPeer, ResolveOptions, ResolverComponents } from '../resolver/resolver.js';
import { checkMax, checkMesh, checkPeer, checkTtl, closedError, notRegistered, shuffle, throwIfAborted } from '../resolver/resolver-limits.js';
import { PeopleNearMe, type PeopleNearMeOptions } from './people-near-me.js';

/** Options for {@link lanResolver}. */
export interface LanResolverOptions extends PeopleNearMeOptions {
  /**
   * Lifetime of a registration: the mesh is announced as offered for this long after each
   * register or refresh.
   * @defaultValue 30_000
   */
  readonly ttlMs?: number;
  /**
   * A running {@link PeopleNearMe} to share (the app's own presence and the node's resolver then
   * use one socket); the resolver never closes it. Without it, each resolver starts its own.
   */
  readonly presence?: PeopleNearMe;
  /**
   * Most live registrations through one resolver.
   * @defaultValue 64
   */
  readonly maxRegistrations?: number;
}

interface Held {
  readonly mesh: string;
  readonly peer: ResolvedPeer;
  expiresAt: number;
}

/**
 * A resolver over People Near Me: finds the peers on the LAN that offer a mesh, and offers this
 * node's meshes, over multicast DNS. Opt-in: only a node given this resolver multicasts.
 *
 * @remarks
 * register announces the mesh in the peer's presence for `ttlMs`; refresh extends it; unregister
 * withdraws it at once (an updated announcement); a registration that is not refreshed drops out
 * of the announcements and out of every listener's view when it expires. resolve sends one query,
 * waits `queryWindowMs` for answers, and returns distinct peers from the set of peers near me.
 * Announcements are signed by the node's identity, and only verified ones are returned (see
 * {@link PeopleNearMe}); so this resolver registers only its own node's peer id
 * (`PC_ERR_INVALID_ARGUMENT` for another). Dial what it returns with the peer id pinned.
 *
 * @example
 * ```ts
 * const node = await PeerNode.open('net.p2p://lobby', { resolver: lanResolver() });
 * ```
 */
export function lanResolver(options: LanResolverOptions = {}): (components: ResolverComponents) => LanResolver {
  const ttlMs = checkTtl(options.ttlMs ?? 30_000);
  const maxRegistrations = options.maxRegistrations ?? 64;
  return (components) => new LanResolver(options, ttlMs, maxRegistrations, components.identity);
}

/** @internal The resolver {@link lanResolver} makes. */
export class LanResolver implements PeerResolver {
  readonly name = 'lan';
  private readonly held = new Map<string, Held>();
  private presence: Promise<PeopleNearMe> | undefined;
  private closed = false;

  constructor(
    private readonly options: LanResolverOptions,
    private readonly ttlMs: number,
    private readonly maxRegistrations: number,
    /** Signs what this resolver announces: the node's own identity. */
    private readonly identity: PeerIdentity,
  ) {}

  register(mesh: string, peer: ResolvedPeer, options: { signal?: AbortSignal } = {}): Promise<Registration> {
    const m = checkMesh(mesh);
    const p = checkPeer(peer);
    if (p.peerId !== this.identity.peerId) {
      return Promise.reject(new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a LAN resolver announces its own node only: it signs with that identity'));
    }
    return this.guard(async (pnm) => {
      throwIfAborted(options.signal, 'register');
      this.forgetExpired();
      if (this.held.size >= this.maxRegistrations) {
        throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `more than ${this.maxRegistrations} registrations on one LAN resolver`);
      }
      const held: Held = { mesh: m, peer: p, expiresAt: Date.now() + this.ttlMs };
      await pnm.offerUntil(this.identity, p.addresses, m, held.expiresAt);
      const id = randomBytes(16).toString('hex');
      this.held.set(id, held);
      return { id, ttlMs: this.ttlMs };
    }, options.signal);
  }

  refresh(registrationId: string): Promise<Registration> {
    return this.guard(async (pnm) => {
      const id = String(registrationId);
      const held = this.held.get(id);
      if (held === undefined || held.expiresAt <= Date.now()) {
        this.held.delete(id);
        throw notRegistered(id);
      }
      held.expiresAt = Date.now() + this.ttlMs;
      await pnm.offerUntil(this.identity, held.peer.addresses, held.mesh, held.expiresAt);
      return { id, ttlMs: this.ttlMs };
    });
  }

  unregister(registrationId: string): Promise<void> {
    return this.guard(async (pnm) => {
      const id = String(registrationId);
      const held = this.held.get(id);
      if (held === undefined) return;
      this.held.delete(id);
      const now = Date.now();
      const still = [...this.held.values()].some((h) => h.mesh === held.mesh && h.peer.peerId === held.peer.peerId && h.expiresAt > now);
      if (!still) await pnm.withdraw(held.peer.peerId, held.mesh);
    });
  }

  resolve(mesh: string, options: ResolveOptions = {}): Promise<readonly ResolvedPeer[]> {
    const m = checkMesh(mesh);
    const max = checkMax(options.max);
    return this.guard(async (pnm) => {
      await pnm.query(options.signal);
      return shuffle(pnm.offering(m)).slice(0, max).map((p) => ({ peerId: p.peerId, addresses: p.addresses }));
    }, options.signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const started = this.presence;
    if (started === undefined) return;
    // A presence that never started has nothing to withdraw; its error went to the caller then.
    const pnm = await started.catch(() => undefined);
    if (pnm === undefined) return;
    if (this.options.presence === undefined) {
      await pnm.close();
      return;
    }
    // A shared presence outlives this resolver: take back only what this resolver offered.
    // A shared presence closed by its owner first has already said goodbye for everything.
    for (const held of this.held.values()) await pnm.withdraw(held.peer.peerId, held.mesh).catch(() => undefined);
    this.held.clear();
  }

  private async guard<T>(op: (pnm: PeopleNearMe) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) throw closedError(this.name);
    throwIfAborted(signal, 'resolver call');
    this.presence ??= this.options.presence !== undefined ? Promise.resolve(this.options.presence) : PeopleNearMe.start(this.options);
    const started = this.presence;
    started.catch(() => {
      // A failed start (port in use) is reported to this caller; the next call tries again.
      if (this.presence === started) this.presence = undefined;
    });
    const pnm = await started;
    if (this.closed) throw closedError(this.name);
    return op(pnm);
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, held] of this.held) if (held.expiresAt <= now) this.held.delete(id);
  }
}
