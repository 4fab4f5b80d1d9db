import type { RemoteInfo } from 'node:dgram';
import makeMdns from 'multicast-dns';
import { Subject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { defaultPresenceLimits, decodePresence, encodePresence, PRESENCE_SERVICE, type PresenceLimits, type PresenceRecord } from './presence-record.js';

/** Options for {@link PeopleNearMe}: where to multicast, how often, and what to accept. */
export interface PeopleNearMeOptions {
  /**
   * The interface to multicast on: for IPv4 its address (tests pass `'127.0.0.1'`: multicast then
   * never leaves the machine); for IPv6 `'::%<name>'` (e.g. `'::%eth0'`), which IPv6 requires.
   * @defaultValue IPv4: every interface (multicast-dns's choice); IPv6: none (required)
   */
  readonly interface?: string;
  /**
   * Address family. mDNS runs on each family separately (`224.0.0.251` and `ff02::fb`); start one
   * People Near Me per family to be seen on both.
   * @defaultValue `'IPv6'` when `interface` contains a colon, else `'IPv4'`
   */
  readonly family?: 'IPv4' | 'IPv6';
  /**
   * UDP port. Tests use a random free one, never the real mDNS port.
   * @defaultValue 5353
   */
  readonly port?: number;
  /**
   * Multicast group.
   * @defaultValue '224.0.0.251' (IPv4), 'ff02::fb' (IPv6)
   */
  readonly group?: string;
  /**
   * Multicast TTL (hops); 1 keeps packets on the local link.
   * @defaultValue 255 (mDNS)
   */
  readonly multicastTtl?: number;
  /**
   * How long an announced presence stays valid; announcements repeat at a third of it.
   * @defaultValue 60_000
   */
  readonly presenceTtlMs?: number;
  /**
   * How long a query waits for answers.
   * @defaultValue 250
   */
  readonly queryWindowMs?: number;
  /**
   * Most peers remembered; announcements of further peers are dropped and counted.
   * @defaultValue 256
   */
  readonly maxPeers?: number;
  /**
   * Most packets handled per second; the rest are dropped and counted.
   * @defaultValue 500
   */
  readonly maxPacketsPerSecond?: number;
  /**
   * Most answers looked at in one packet.
   * @defaultValue 32
   */
  readonly maxAnswersPerPacket?: number;
  /** Bounds on each presence. */
  readonly limits?: Partial<PresenceLimits>;
}

/** A peer near me, as its last announcement described it. */
export interface NearbyPeer {
  /** The peer id it claims (unauthenticated until you dial it with that id pinned). */
  readonly peerId: string;
  /** The display name it announces (at most 64 characters; anyone can claim any name). */
  readonly displayName: string;
  /** Addresses it can be dialled at (at most 8). */
  readonly addresses: readonly string[];
  /** Meshes the peer offers now. */
  readonly meshes: readonly string[];
  /** Source address of the last announcement (informational: mDNS authenticates nothing). */
  readonly from: string;
}

/** A change in the set of peers near me. */
export interface NearbyEvent {
  /** `appeared` the first time, `updated` when its announcement changed, `left` on a goodbye or when its presence expired. */
  readonly type: 'appeared' | 'updated' | 'left';
  /** The peer as last announced. */
  readonly peer: NearbyPeer;
}

/** What this node announces about one of its peers. */
export interface PresenceAnnouncement {
  /** The peer id to announce (normally `node.peerId`). */
  readonly peerId: string;
  /** @defaultValue '' */
  readonly displayName?: string;
  /** Addresses to announce (normally `node.addresses`; at most 8). */
  readonly addresses: readonly string[];
  /** Meshes offered for as long as the presence is published. */
  readonly meshes?: readonly string[];
}

/** Counters of a {@link PeopleNearMe}. */
export interface PeopleNearMeStats {
  /** Multicast DNS packets received. */
  packets: number;
  /** Presence answers that broke the format or a bound. */
  malformed: number;
  /** Packets dropped by the rate bound, or undecodable. */
  dropped: number;
  /** Peers not remembered because `maxPeers` were known. */
  overflow: number;
}

interface Known {
  readonly peerId: string;
  displayName: string;
  addresses: readonly string[];
  meshes: Map<string, number>;
  expiresAt: number;
  from: string;
}

interface Published {
  displayName: string;
  /** What is announced: `base` then the addresses of each registration, deduplicated and bounded. */
  addresses: readonly string[];
  /** Addresses given to {@link PeopleNearMe.publish}. */
  base: readonly string[];
  /**
   * Addresses per registered mesh: one peer may run several nodes (one per mesh) that listen
   * apart, so the announcement carries all of them and a dialer tries each with the peer id pinned.
   */
  readonly perMesh: Map<string, readonly string[]>;
  /** Mesh → expiry time, or `null` for as long as published. */
  readonly meshes: Map<string, number | null>;
  /** True when offered through {@link PeopleNearMe.publish}, not only through registrations. */
  announced: boolean;
}

/**
 * People Near Me: announces presences (display name, peer id, addresses, meshes offered) on the
 * LAN over multicast DNS and keeps the set of peers near me. Strictly opt-in: nothing is sent
 * until one is started.
 *
 * @remarks
 * Presences are DNS-SD records under `_peerchannel._udp.local` (a PTR and a TXT per peer; the
 * TXT holds `v=1`, `id=`, `n=`, `x=` validity in ms, `m=<ms>,<mesh>` per mesh, `a=` per address).
 * Validity travels in milliseconds relative to the announcement, so clocks need not agree. An
 * announcement is the full state of its peer: a mesh missing from it is withdrawn at once; a
 * TTL-0 answer is a goodbye. Every packet is bounded (answers per packet, strings, meshes,
 * addresses, peers remembered, packets per second) and a bad one is dropped and counted.
 * mDNS authenticates nobody: a peer found here is only a hint, and dialing it with its peer id
 * pinned is what proves who it is. One instance speaks one address family (IPv4 on 224.0.0.251,
 * IPv6 on ff02::fb); start one per family to be seen on both.
 *
 * @example
 * ```ts
 * const pnm = await PeopleNearMe.start({ interface: '192.168.1.10' }); // or '::%eth0' for IPv6
 * pnm.nearby$.subscribe((e) => console.log(e.type, e.peer.displayName, e.peer.meshes));
 * await pnm.publish({ peerId: node.peerId, displayName: 'Alice', addresses: node.addresses, meshes: ['lobby'] });
 * ```
 */
export class PeopleNearMe {
  private readonly events = new Subject<NearbyEvent>();
  /** Hot: each peer appearing, changing or leaving. Completes on close. */
  readonly nearby$: Observable<NearbyEvent> = this.events.asObservable();
  /** Counters of what was received, dropped and refused; live, not a copy. */
  readonly stats: PeopleNearMeStats = { packets: 0, malformed: 0, dropped: 0, overflow: 0 };
  private readonly mdns: makeMdns.MulticastDNS;
  private readonly known = new Map<string, Known>();
  private readonly published = new Map<string, Published>();
  private readonly limits: PresenceLimits;
  private readonly presenceTtlMs: number;
  private readonly queryWindowMs: number;
  private readonly maxPeers: number;
  private readonly maxPackets: number;
  private readonly maxAnswers: number;
  /** Pending query waits; close() ends them early. */
  private readonly waiters = new Set<(error?: PeerChannelError) => void>();
  private announceTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private windowStart = 0;
  private windowPackets = 0;
  private closed = false;

  /** Binds the socket and sends a first query. @throws PeerChannelError `PC_ERR_RESOLVER_FAILED` when the socket cannot bind. */
  static async start(options: PeopleNearMeOptions = {}): Promise<PeopleNearMe> {
    const pnm = new PeopleNearMe(options);
    await pnm.ready();
    pnm.mdns.query([{ name: PRESENCE_SERVICE, type: 'PTR' }]);
    return pnm;
  }

  private constructor(options: PeopleNearMeOptions) {
    this.limits = { ...defaultPresenceLimits, ...options.limits };
    this.presenceTtlMs = options.presenceTtlMs ?? 60_000;
    this.queryWindowMs = options.queryWindowMs ?? 250;
    this.maxPeers = options.maxPeers ?? 256;
    this.maxPackets = options.maxPacketsPerSecond ?? 500;
    this.maxAnswers = options.maxAnswersPerPacket ?? 32;
    for (const [what, v] of [['presenceTtlMs', this.presenceTtlMs], ['queryWindowMs', this.queryWindowMs], ['maxPeers', this.maxPeers], ['maxPacketsPerSecond', this.maxPackets], ['maxAnswersPerPacket', this.maxAnswers]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${what} must be a positive integer`);
    }
    const family = options.family ?? (options.interface?.includes(':') === true ? 'IPv6' : 'IPv4');
    if (family !== 'IPv4' && family !== 'IPv6') throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, "family must be 'IPv4' or 'IPv6'");
    if (family === 'IPv6' && (options.interface === undefined || !options.interface.includes('%'))) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, "IPv6 People Near Me needs interface '::%<name>' (e.g. '::%eth0')");
    }
    this.mdns = makeMdns({
      type: family === 'IPv6' ? 'udp6' : 'udp4',
      port: options.port ?? 5353,
      ip: options.group ?? (family === 'IPv6' ? 'ff02::fb' : '224.0.0.251'),
      interface: options.interface,
      // Binding to the interface address would filter out multicast on Linux: bind the wildcard.
      bind: family === 'IPv6' ? '::' : '0.0.0.0',
      ttl: options.multicastTtl ?? 255,
      loopback: true,
      reuseAddr: true,
    });
    this.mdns.on('warning', () => (this.stats.dropped += 1));
    this.mdns.on('query', (q, rinfo) => this.onQuery(q.questions, rinfo));
    this.mdns.on('response', (r, rinfo) => this.onResponse([...(r.answers ?? []), ...(r.additionals ?? [])], rinfo));
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, this.presenceTtlMs / 4)));
    this.sweepTimer.unref?.();
    this.announceTimer = setInterval(() => void this.announce(), Math.max(100, Math.floor(this.presenceTtlMs / 3)));
    this.announceTimer.unref?.();
  }

  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        void this.close();
        reject(new PeerChannelError(ErrorCode.RESOLVER_FAILED, `multicast DNS socket failed: ${error.message}`, { cause: error }));
      };
      this.mdns.once('error', onError);
      this.mdns.once('ready', () => {
        this.mdns.off('error', onError);
        // Later socket errors (EACCES, EADDRINUSE) are counted, never thrown at the process.
        this.mdns.on('error', () => (this.stats.dropped += 1));
        resolve();
      });
    });
  }

  /** Peers near me now. */
  nearby(): NearbyPeer[] {
    const now = Date.now();
    return [...this.known.values()].filter((k) => k.expiresAt > now).map((k) => this.view(k, now));
  }

  /** Live peers offering `mesh` (a mesh entry past its own validity is not offered). */
  offering(mesh: string): NearbyPeer[] {
    const now = Date.now();
    return [...this.known.values()].filter((k) => k.expiresAt > now && (k.meshes.get(mesh) ?? 0) > now).map((k) => this.view(k, now));
  }

  /** Asks the LAN for presences and waits `queryWindowMs` for answers. */
  async query(signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    await new Promise<void>((resolve) => this.mdns.query([{ name: PRESENCE_SERVICE, type: 'PTR' }], () => resolve()));
    await this.wait(this.queryWindowMs, signal);
  }

  /**
   * Announces (or updates) the presence of one of this node's peers, offering `meshes` until
   * {@link PeopleNearMe.unpublish}. @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` past a bound.
   */
  async publish(presence: PresenceAnnouncement): Promise<void> {
    this.assertOpen();
    const entry = this.entryFor(presence.peerId, presence.addresses, undefined);
    const name = presence.displayName ?? '';
    if (typeof name !== 'string' || name.length > this.limits.maxDisplayNameLength) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `displayName must be at most ${this.limits.maxDisplayNameLength} characters`);
    }
    entry.displayName = name;
    entry.announced = true;
    for (const [mesh, until] of [...entry.meshes]) if (until === null) entry.meshes.delete(mesh);
    for (const mesh of presence.meshes ?? []) this.offer(entry, mesh, null);
    await this.announce();
  }

  /** Withdraws a presence published by this node, telling the LAN goodbye. */
  async unpublish(peerId: string): Promise<void> {
    this.assertOpen();
    const entry = this.published.get(peerId);
    if (entry === undefined) return;
    this.published.delete(peerId);
    await this.send(encodePresence({ peerId, displayName: entry.displayName, addresses: entry.addresses, meshes: new Map(), validMs: 0 }));
  }

  /** @internal Offers `mesh` for `peerId` until `expiresAt` (a resolver registration). */
  async offerUntil(peerId: string, addresses: readonly string[], mesh: string, expiresAt: number): Promise<void> {
    this.assertOpen();
    const entry = this.entryFor(peerId, addresses, mesh);
    this.offer(entry, mesh, expiresAt);
    await this.announce();
  }

  /** @internal Stops offering `mesh` for `peerId` (unless published without expiry). */
  async withdraw(peerId: string, mesh: string): Promise<void> {
    this.assertOpen();
    const entry = this.published.get(peerId);
    if (entry === undefined || entry.meshes.get(mesh) === null) return;
    entry.meshes.delete(mesh);
    entry.perMesh.delete(mesh);
    entry.addresses = this.unionOf(entry);
    if (entry.meshes.size === 0 && !entry.announced) await this.unpublish(peerId);
    else await this.announce();
  }

  /** Says goodbye for every published presence, stops every timer and closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    // A goodbye that cannot be sent is only a courtesy lost: listeners expire the presence anyway.
    for (const peerId of [...this.published.keys()]) await this.unpublish(peerId).catch(() => undefined);
    this.closed = true;
    clearInterval(this.announceTimer);
    clearInterval(this.sweepTimer);
    for (const finish of [...this.waiters]) finish();
    await new Promise<void>((resolve) => this.mdns.destroy(() => resolve()));
    this.events.complete();
  }

  private assertOpen(): void {
    if (this.closed) throw new PeerChannelError(ErrorCode.CLOSED, 'People Near Me is closed');
  }

  private entryFor(peerId: string, addresses: readonly string[], mesh: string | undefined): Published {
    const l = this.limits;
    const fits = (s: unknown) => typeof s === 'string' && s.length > 0 && Buffer.byteLength(s) <= l.maxFieldLength;
    if (!fits(peerId) || !Array.isArray(addresses) || addresses.length > l.maxAddresses || !addresses.every(fits)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `presence needs a peer id and at most ${l.maxAddresses} addresses, each 1..${l.maxFieldLength} bytes`);
    }
    let entry = this.published.get(peerId);
    if (entry === undefined) {
      if (this.published.size >= 16) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, 'at most 16 presences published by one node');
      this.published.set(peerId, (entry = { displayName: '', addresses: [], base: [], perMesh: new Map(), meshes: new Map(), announced: false }));
    }
    if (mesh === undefined) entry.base = [...addresses];
    else entry.perMesh.set(mesh, [...addresses]);
    entry.addresses = this.unionOf(entry);
    return entry;
  }

  private unionOf(entry: Published): readonly string[] {
    const all = new Set(entry.base);
    for (const addresses of entry.perMesh.values()) for (const a of addresses) all.add(a);
    return [...all].slice(0, this.limits.maxAddresses);
  }

  private offer(entry: Published, mesh: string, until: number | null): void {
    if (typeof mesh !== 'string' || mesh.length === 0 || Buffer.byteLength(mesh) > this.limits.maxFieldLength - 12) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `mesh names announced on the LAN are at most ${this.limits.maxFieldLength - 12} bytes`);
    }
    if (!entry.meshes.has(mesh) && entry.meshes.size >= this.limits.maxMeshes) {
      throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `at most ${this.limits.maxMeshes} meshes per presence`);
    }
    const current = entry.meshes.get(mesh);
    if (current !== null) entry.meshes.set(mesh, until === null ? null : Math.max(until, current ?? 0));
  }

  private records(): PresenceRecord[] {
    const now = Date.now();
    return [...this.published].map(([peerId, p]) => {
      const meshes = new Map<string, number>();
      for (const [mesh, until] of p.meshes) meshes.set(mesh, until === null ? this.presenceTtlMs : Math.min(this.presenceTtlMs, until - now));
      return { peerId, displayName: p.displayName, addresses: p.addresses, meshes, validMs: this.presenceTtlMs };
    });
  }

  private async announce(): Promise<void> {
    if (this.closed || this.published.size === 0) return;
    await this.send(this.records().flatMap(encodePresence));
  }

  private send(answers: ReturnType<typeof encodePresence>): Promise<void> {
    return new Promise((resolve) => this.mdns.respond({ answers }, () => resolve()));
  }

  private onQuery(questions: readonly { name?: unknown; type?: unknown }[] | undefined, _rinfo: RemoteInfo): void {
    if (!this.admit()) return;
    const asked = (questions ?? []).slice(0, this.maxAnswers).some((q) => q.name === PRESENCE_SERVICE && (q.type === 'PTR' || q.type === 'ANY'));
    if (asked) void this.announce();
  }

  private onResponse(answers: readonly unknown[], rinfo: RemoteInfo): void {
    if (!this.admit()) return;
    const now = Date.now();
    for (const answer of answers.slice(0, this.maxAnswers)) {
      const record = decodePresence(answer as { name?: unknown }, this.limits);
      if (record === undefined) continue;
      if (record === 'malformed') {
        this.stats.malformed += 1;
        continue;
      }
      this.learn(record, rinfo.address, now);
    }
  }

  /** Applies the packet rate bound. */
  private admit(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowPackets = 0;
    }
    this.stats.packets += 1;
    if (++this.windowPackets > this.maxPackets) {
      this.stats.dropped += 1;
      return false;
    }
    return true;
  }

  private learn(record: PresenceRecord, from: string, now: number): void {
    const seen = this.known.get(record.peerId);
    if (record.validMs === 0) {
      if (seen !== undefined) this.forget(seen, now);
      return;
    }
    const meshes = new Map<string, number>();
    for (const [mesh, ms] of record.meshes) if (ms > 0) meshes.set(mesh, now + ms);
    if (seen === undefined) {
      if (this.known.size >= this.maxPeers) {
        this.stats.overflow += 1;
        return;
      }
      const k: Known = { peerId: record.peerId, displayName: record.displayName, addresses: record.addresses, meshes, expiresAt: now + record.validMs, from };
      this.known.set(k.peerId, k);
      this.events.next({ type: 'appeared', peer: this.view(k, now) });
      return;
    }
    const changed = seen.displayName !== record.displayName || seen.addresses.join('\n') !== record.addresses.join('\n') || [...seen.meshes.keys()].sort().join('\n') !== [...meshes.keys()].sort().join('\n');
    Object.assign(seen, { displayName: record.displayName, addresses: record.addresses, meshes, expiresAt: now + record.validMs, from });
    if (changed) this.events.next({ type: 'updated', peer: this.view(seen, now) });
  }

  private forget(k: Known, now: number): void {
    this.known.delete(k.peerId);
    this.events.next({ type: 'left', peer: this.view(k, now) });
  }

  private sweep(): void {
    const now = Date.now();
    for (const k of [...this.known.values()]) {
      if (k.expiresAt <= now) {
        this.forget(k, now);
        continue;
      }
      let lost = false;
      for (const [mesh, until] of k.meshes) if (until <= now && k.meshes.delete(mesh)) lost = true;
      if (lost) this.events.next({ type: 'updated', peer: this.view(k, now) });
    }
    let expired = false;
    for (const [peerId, p] of [...this.published]) {
      for (const [mesh, until] of p.meshes) if (until !== null && until <= now && p.meshes.delete(mesh)) expired = true;
      // As in close(): a lost goodbye only delays the listeners' expiry.
      if (p.meshes.size === 0 && !p.announced) void this.unpublish(peerId).catch(() => undefined);
    }
    if (expired) void this.announce();
  }

  private view(k: Known, now: number): NearbyPeer {
    return Object.freeze({
      peerId: k.peerId,
      displayName: k.displayName,
      addresses: k.addresses,
      meshes: [...k.meshes].filter(([, until]) => until > now).map(([mesh]) => mesh),
      from: k.from,
    });
  }

  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new PeerChannelError(ErrorCode.ABORTED, 'query aborted'));
    return new Promise((resolve, reject) => {
      const finish = (error?: PeerChannelError) => {
        clearTimeout(timer);
        this.waiters.delete(finish);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => finish(new PeerChannelError(ErrorCode.ABORTED, 'query aborted'));
      const timer = setTimeout(() => finish(), ms);
      this.waiters.add(finish);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
