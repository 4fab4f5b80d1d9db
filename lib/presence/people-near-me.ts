import type { RemoteInfo } from 'node:dgram';
import makeMdns from 'multicast-dns';
import type { PeerId } from '../identity/peer-id.js';
import { Subject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import { AnnouncementVerifier } from './announcement-verifier.js';
import type { NearbyEvent, NearbyPeer, PeopleNearMeOptions, PeopleNearMeStats, PresenceAnnouncement } from './people-near-me-options.js';
import { defaultPresenceLimits, decodePresence, encodePresence, PRESENCE_SERVICE, type PresenceLimits, type PresenceRecord } from './presence-record.js';

export type { NearbyEvent, NearbyPeer, PeopleNearMeOptions, PeopleNearMeStats, PresenceAnnouncement } from './people-near-me-options.js';

interface Known {
  readonly peerId: PeerId;
  readonly publicKeySpki: Uint8Array;
  displayName: string;
  addresses: readonly string[];
  meshes: Map<string, number>;
  expiresAt: number;
  from: string;
}

interface Published {
  readonly identity: PeerIdentity;
  /** Timestamp of the last announcement sent: the next is later, whatever the clock does. */
  lastTimestamp: number;
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
 * TXT holds `v=2`, `id=`, `n=`, `x=` validity in ms, `t=` the announcer's time, `m=<ms>,<mesh>`
 * per mesh, `a=` per address, `k=` the public key and `s=` a signature by it over all the rest).
 * Validity travels in milliseconds relative to the announcement. An announcement is the full
 * state of its peer: a mesh missing from it is withdrawn at once; a TTL-0 answer is a goodbye.
 *
 * Announcements are authenticated: only one whose key hashes to its peer id and whose signature
 * verifies is shown, so a name, an address list or a goodbye cannot be forged for someone else's
 * peer id, and one replayed (older than the last taken from that peer, or outside
 * `maxClockSkewMs` of this node's clock) is refused. Every packet is bounded (size, answers,
 * strings, meshes, addresses, peers remembered, packets per second), signatures are checked at
 * most `maxVerificationsPerSource` a second per source address and `maxVerificationsPerSecond` in
 * all, a peer's key is checked against its peer id once and cached, and whatever fails is dropped
 * and counted in {@link PeopleNearMe.stats}. One instance speaks one address family (IPv4 on
 * 224.0.0.251, IPv6 on ff02::fb); start one per family to be seen on both.
 *
 * @example
 * ```ts
 * const pnm = await PeopleNearMe.start({ interface: '192.168.1.10' }); // or '::%eth0' for IPv6
 * pnm.nearby$.subscribe((e) => console.log(e.type, e.peer.displayName, e.peer.meshes));
 * await pnm.publish({ identity: node.identity, displayName: 'Alice', addresses: node.addresses, meshes: ['lobby'] });
 * ```
 */
export class PeopleNearMe {
  private readonly events = new Subject<NearbyEvent>();
  /** Hot: each peer appearing, changing or leaving. Completes on close. */
  readonly nearby$: Observable<NearbyEvent> = this.events.asObservable();
  /** Counters of what was received, dropped and refused; live, not a copy. */
  readonly stats: PeopleNearMeStats = { packets: 0, malformed: 0, dropped: 0, overflow: 0, oversized: 0, unsigned: 0, forged: 0, replayed: 0, rateLimited: 0, verified: 0 };
  private readonly mdns: makeMdns.MulticastDNS;
  private readonly known = new Map<string, Known>();
  private readonly published = new Map<string, Published>();
  private readonly limits: PresenceLimits;
  private readonly presenceTtlMs: number;
  private readonly queryWindowMs: number;
  private readonly maxPeers: number;
  private readonly maxPackets: number;
  private readonly maxAnswers: number;
  private readonly maxPacketBytes: number;
  private readonly maxSkewMs: number;
  private readonly verifier: AnnouncementVerifier;
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
    this.maxPacketBytes = options.maxPacketBytes ?? 9_000;
    this.maxSkewMs = options.maxClockSkewMs ?? 60_000;
    const perSource = options.maxVerificationsPerSource ?? 64;
    const overall = options.maxVerificationsPerSecond ?? 256;
    for (const [what, v] of [
      ['presenceTtlMs', this.presenceTtlMs], ['queryWindowMs', this.queryWindowMs], ['maxPeers', this.maxPeers], ['maxPacketsPerSecond', this.maxPackets],
      ['maxAnswersPerPacket', this.maxAnswers], ['maxPacketBytes', this.maxPacketBytes], ['maxClockSkewMs', this.maxSkewMs],
      ['maxVerificationsPerSource', perSource], ['maxVerificationsPerSecond', overall],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${what} must be a positive integer`);
    }
    this.verifier = new AnnouncementVerifier({ maxSkewMs: this.maxSkewMs, perSource, overall, maxKeys: 2 * this.maxPeers }, this.stats);
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
    this.mdns.on('response', (r, rinfo) => this.onResponse(r.answers ?? [], r.additionals ?? [], rinfo));
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
    const entry = this.entryFor(presence?.identity, presence.addresses, undefined);
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
    const goodbye = { peerId, displayName: entry.displayName, addresses: entry.addresses, meshes: new Map(), validMs: 0, timestamp: this.nextTimestamp(entry) };
    await this.send(encodePresence(goodbye, entry.identity));
  }

  /** @internal Offers `mesh` for `identity`'s peer until `expiresAt` (a resolver registration). */
  async offerUntil(identity: PeerIdentity, addresses: readonly string[], mesh: string, expiresAt: number): Promise<void> {
    this.assertOpen();
    const entry = this.entryFor(identity, addresses, mesh);
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

  private entryFor(identity: PeerIdentity, addresses: readonly string[], mesh: string | undefined): Published {
    const l = this.limits;
    const fits = (s: unknown) => typeof s === 'string' && s.length > 0 && Buffer.byteLength(s) <= l.maxFieldLength;
    if (typeof identity?.peerId !== 'string' || typeof identity.sign !== 'function') {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a presence needs the identity whose key signs it');
    }
    if (!Array.isArray(addresses) || addresses.length > l.maxAddresses || !addresses.every(fits)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `a presence has at most ${l.maxAddresses} addresses, each 1..${l.maxFieldLength} bytes`);
    }
    const peerId = identity.peerId;
    let entry = this.published.get(peerId);
    if (entry === undefined) {
      if (this.published.size >= 16) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, 'at most 16 presences published by one node');
      this.published.set(peerId, (entry = { identity, lastTimestamp: 0, displayName: '', addresses: [], base: [], perMesh: new Map(), meshes: new Map(), announced: false }));
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

  private nextTimestamp(p: Published): number {
    p.lastTimestamp = Math.max(Date.now(), p.lastTimestamp + 1);
    return p.lastTimestamp;
  }

  private async announce(): Promise<void> {
    if (this.closed || this.published.size === 0) return;
    const now = Date.now();
    const answers = [...this.published].flatMap(([peerId, p]) => {
      const meshes = new Map<string, number>();
      for (const [mesh, until] of p.meshes) meshes.set(mesh, until === null ? this.presenceTtlMs : Math.min(this.presenceTtlMs, until - now));
      const record: PresenceRecord = { peerId, displayName: p.displayName, addresses: p.addresses, meshes, validMs: this.presenceTtlMs, timestamp: this.nextTimestamp(p) };
      return encodePresence(record, p.identity);
    });
    await this.send(answers);
  }

  private send(answers: ReturnType<typeof encodePresence>): Promise<void> {
    return new Promise((resolve) => this.mdns.respond({ answers }, () => resolve()));
  }

  private onQuery(questions: readonly { name?: unknown; type?: unknown }[] | undefined, _rinfo: RemoteInfo): void {
    if (!this.admit()) return;
    const asked = (questions ?? []).slice(0, this.maxAnswers).some((q) => q.name === PRESENCE_SERVICE && (q.type === 'PTR' || q.type === 'ANY'));
    if (asked) void this.announce();
  }

  private onResponse(answers: readonly unknown[], additionals: readonly unknown[], rinfo: RemoteInfo): void {
    if (!this.admit()) return;
    if (rinfo.size > this.maxPacketBytes) {
      // multicast-dns has decoded it (bounded by the datagram's size); nothing more is spent on it.
      this.stats.oversized += 1;
      return;
    }
    const all = [...answers, ...additionals];
    if (all.length > this.maxAnswers) this.stats.oversized += 1;
    const now = Date.now();
    for (const answer of all.slice(0, this.maxAnswers)) {
      const decoded = decodePresence(answer as { name?: unknown }, this.limits);
      if (decoded === undefined) continue;
      if (typeof decoded === 'string') {
        this.stats[decoded] += 1;
        continue;
      }
      if (this.verifier.authentic(decoded, rinfo.address, now)) this.learn(decoded.record, decoded.spki, rinfo.address, now);
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

  private learn(record: PresenceRecord, spki: Uint8Array, from: string, now: number): void {
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
      // Verified before it is learnt: its key hashes to this id.
      const k: Known = { peerId: record.peerId as PeerId, publicKeySpki: new Uint8Array(spki), displayName: record.displayName, addresses: record.addresses, meshes, expiresAt: now + record.validMs, from };
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
      publicKeySpki: k.publicKeySpki,
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
