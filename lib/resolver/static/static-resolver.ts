import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { RegistrationTable } from '../registration-table.js';
import type { PeerResolver, Registration, ResolvedPeer, ResolveOptions, ResolverComponents, ResolverFactory } from '../resolver.js';
import {
  checkMax,
  checkMesh,
  checkPeer,
  checkTtl,
  closedError,
  defaultResolverLimits,
  shuffle,
  throwIfAborted,
} from '../resolver-limits.js';

/** Prefix of the placeholder peer id given to a static entry listed by address only. */
export const UNPINNED_PEER_PREFIX = 'unpinned:';

/**
 * True when `peer` came from an address-only static entry: its real peer id is unknown, so dial
 * it without `expectedPeerId` and learn the id from the handshake.
 */
export function isUnpinnedPeer(peer: ResolvedPeer): boolean {
  return peer.peerId.startsWith(UNPINNED_PEER_PREFIX);
}

/** One entry of a static list: a peer with a known id, or just an address. */
export type StaticEntry = ResolvedPeer | string;

/** Options for {@link staticResolver}. */
export interface StaticResolverOptions {
  /**
   * Lifetime of registrations made through the resolver.
   * @defaultValue 60_000
   */
  readonly ttlMs?: number;
}

/**
 * A resolver over a fixed list of peers, for deployments where the addresses are known.
 *
 * @remarks
 * `peers` is either one list returned for every mesh, or a record from mesh name to list. An entry
 * given as a bare address gets the placeholder id `unpinned:<address>` (see {@link isUnpinnedPeer}).
 *
 * register, refresh and unregister keep the resolver contract in process: registrations live in a
 * table shared by every resolver made from the same factory value (so several nodes of one process
 * find each other), expire after `ttlMs` unless refreshed, and are returned by resolve after the
 * fixed entries' peers are deduplicated against them. Nothing is published outside the process.
 *
 * @example
 * ```ts
 * const node = await PeerNode.open('net.p2p://room', {
 *   resolver: staticResolver(['wss://10.0.0.5:7000', { peerId: bobId, addresses: ['wss://10.0.0.6:7000'] }]),
 * });
 * ```
 */
export function staticResolver(
  peers: readonly StaticEntry[] | Readonly<Record<string, readonly StaticEntry[]>>,
  options: StaticResolverOptions = {},
): ResolverFactory {
  const ttlMs = checkTtl(options.ttlMs ?? 60_000);
  const fixed = normalise(peers);
  const table = new RegistrationTable();
  return (_components: ResolverComponents) => new StaticResolver(fixed, table, ttlMs);
}

function entryToPeer(entry: StaticEntry): ResolvedPeer {
  if (typeof entry === 'string') return checkPeer({ peerId: `${UNPINNED_PEER_PREFIX}${entry}`, addresses: [entry] });
  return checkPeer(entry);
}

function normalise(peers: readonly StaticEntry[] | Readonly<Record<string, readonly StaticEntry[]>>): (mesh: string) => readonly ResolvedPeer[] {
  if (Array.isArray(peers)) {
    const list = (peers as readonly StaticEntry[]).map(entryToPeer);
    return () => list;
  }
  if (typeof peers !== 'object' || peers === null) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'staticResolver takes a list of peers or a record of mesh name to list');
  }
  const byMesh = new Map<string, readonly ResolvedPeer[]>();
  for (const [mesh, list] of Object.entries(peers as Record<string, readonly StaticEntry[]>)) {
    if (!Array.isArray(list)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `static peers of mesh ${mesh} must be a list`);
    byMesh.set(checkMesh(mesh), list.map(entryToPeer));
  }
  return (mesh) => byMesh.get(mesh) ?? [];
}

/** @internal The resolver {@link staticResolver} makes. */
export class StaticResolver implements PeerResolver {
  readonly name = 'static';
  private closed = false;

  constructor(
    private readonly fixed: (mesh: string) => readonly ResolvedPeer[],
    private readonly table: RegistrationTable,
    private readonly ttlMs: number,
  ) {}

  register(mesh: string, peer: ResolvedPeer, options: { signal?: AbortSignal } = {}): Promise<Registration> {
    const m = checkMesh(mesh);
    const p = checkPeer(peer);
    return this.run(() => {
      throwIfAborted(options.signal, 'register');
      return this.table.register(m, p, this.ttlMs);
    });
  }

  refresh(registrationId: string): Promise<Registration> {
    return this.run(() => this.table.refresh(String(registrationId)));
  }

  unregister(registrationId: string): Promise<void> {
    return this.run(() => {
      this.table.unregister(String(registrationId));
    });
  }

  resolve(mesh: string, options: ResolveOptions = {}): Promise<readonly ResolvedPeer[]> {
    const m = checkMesh(mesh);
    const max = checkMax(options.max);
    return this.run(() => {
      throwIfAborted(options.signal, 'resolve');
      const registered = this.table.resolve(m, defaultResolverLimits.maxResolve);
      const seen = new Set(registered.map((p) => p.peerId));
      const extra = this.fixed(m).filter((p) => !seen.has(p.peerId) && (seen.add(p.peerId), true));
      return shuffle([...registered, ...extra]).slice(0, max);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async run<T>(op: () => T): Promise<T> {
    if (this.closed) throw closedError(this.name);
    return op();
  }
}
