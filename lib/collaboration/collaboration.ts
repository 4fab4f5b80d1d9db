import { type Observable, type Subscription, defer, distinctUntilChanged, from, map, merge, of, switchMap } from 'rxjs';
import { currentCall } from '../channel/call-context.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import { type PeerId, asPeerId, isPeerId } from '../identity/peer-id.js';
import type { PeerNode } from '../node/peer-node.js';
import type { NearbyPeer, PeopleNearMe } from '../presence/people-near-me.js';
import type { PeerRecord } from '../records/record-collection.js';
import type { RecordClass } from '../records/record-type-descriptor.js';
import { securedMeshName } from '../resolver/secured-mesh.js';
import { CollaborationContract } from './collaboration-contract.js';
import type { Contact } from './contact-store.js';
import { Visits, waitOnline } from './visits.js';
import { checkInviteOptions } from './invitation-envelope.js';
import type { Application, CollaborationOptions, NearbyPerson, PublishedObject } from './collaboration-options.js';
import { INBOX_CLASSIFIER, type PeopleNodeOptions, openInboxNode, openPresenceNode } from './people-meshes.js';
import { type CollaborationLimits, defaultCollaborationLimits } from './collaboration-limits.js';
import { contactCardFor } from './contact-card.js';
import type { ContactStore } from './contact-store.js';
import { type InvitationOutcome, InvitationDesk, type InvitationStats, type InviteOptions, type ReceivedInvitation } from './invitations.js';
import { type PresenceInfo, PresenceRecord, PresenceStatus, PublishedObjectRecord, isPresenceStatus } from './presence-status.js';

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * One person on PeerChannel: my presence, my published objects, my applications, the presence of
 * my contacts, and invitations sent and received.
 *
 * @remarks
 * Each user owns two meshes with secured names (see `securedMeshOwner`): found only through the
 * owner — through PNRP under secured peer names only the owner's key can publish — and every
 * visitor links to the owner alone, proving its key and checking the owner's.
 * - The *presence mesh* `net.p2p://<peer id>.presence` admits only the contacts the owner trusts
 *   (checked at each new link). The owner keeps its presence and published objects there as
 *   records signed by its key, expiring unless refreshed while it is online.
 * - The *inbox* `net.p2p://<peer id>.invitations` admits anyone who proves its key: invitations,
 *   withdrawals and answers are signed envelopes sent there as directed calls, and the invitation
 *   rules (trust, rate per sender, bounds) judge them.
 * See docs/collaboration.md.
 *
 * @example
 * ```ts
 * const me = await Collaboration.open({ identity, name: 'Alice', contacts });
 * me.registerApplication({ id: 'chat.room', description: 'a private chat room' });
 * me.presence$(bobId).subscribe((p) => console.log(p.status, p.note));
 * const outcome = await me.invite(bobId, 'chat.room', { message: 'join me?' });
 * ```
 */
export class Collaboration {
  private readonly limits: CollaborationLimits;
  private readonly desk: InvitationDesk;
  private readonly apps = new Map<string, Application>();
  /** My nodes in contacts' presence meshes and invitees' inboxes. */
  private readonly visits: Visits;
  private presenceId: string | undefined;
  private current: PresenceInfo;
  private refresher: NodeJS.Timeout | undefined;
  private newcomers: Subscription | undefined;
  private trustWatch: Subscription | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: CollaborationOptions,
    /** My node in my own presence mesh. */
    readonly node: PeerNode,
    /** My node in my own invitation inbox. */
    readonly inbox: PeerNode,
  ) {
    this.limits = { ...defaultCollaborationLimits, ...options.limits };
    this.visits = new Visits(this.limits.maxWatchedContacts);
    this.current = { peerId: node.peerId, status: options.status ?? PresenceStatus.Online, note: '' };
    this.desk = new InvitationDesk(
      options.identity,
      this.limits,
      options.contacts,
      { trustedOnly: () => options.trustedInvitationsOnly !== false, isRegistered: (app) => this.apps.has(app) },
      (via, to, envelope) => this.sendVia(via, to, envelope),
    );
  }

  /**
   * Joins my presence mesh and publishes my presence (`Online` unless told otherwise).
   * @throws PeerChannelError for bad options, or the node's codes when the mesh cannot be joined.
   */
  static async open(options: CollaborationOptions): Promise<Collaboration> {
    if (options.status !== undefined && !isPresenceStatus(options.status)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `unknown status '${String(options.status)}'`);
    const limits = { ...defaultCollaborationLimits, ...options.limits };
    const self = options.identity.peerId;
    const trusted = (peerId: string) => options.contacts.get(peerId)?.trusted === true;
    const node = await openPresenceNode(options.identity, options.node ?? {}, self, trusted, limits.maxWatchers);
    const inbox = await openInboxNode(options.identity, options.node ?? {}, self, limits.maxWatchers).catch(async (error: unknown) => {
      await node.close();
      throw error;
    });
    const me = new Collaboration(options, node, inbox);
    try {
      me.hostOn(inbox, self);
      me.watchTrust();
      await me.publish();
      await options.peopleNearMe?.publish({
        identity: options.identity, displayName: options.name.slice(0, 63), addresses: inbox.addresses, meshes: [securedMeshName(self, INBOX_CLASSIFIER)],
      });
      me.greetNewcomers();
      const ttl = me.presenceTtlMs;
      me.refresher = setInterval(() => void me.publish().catch((e: unknown) => me.report(e)), Math.max(50, Math.floor(ttl / 3)));
      return me;
    } catch (error) {
      await me.close();
      throw error;
    }
  }

  /** Who I am. */
  get identity(): PeerIdentity {
    return this.options.identity;
  }

  /** My peer id. */
  get peerId(): PeerId {
    return this.node.peerId;
  }

  /** My presence as published now. */
  get presence(): PresenceInfo {
    return this.current;
  }

  /**
   * Sets my status and note, published at once to everyone watching.
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` (unknown status), `PC_ERR_PRESENCE_LIMIT` (note over 255 characters).
   */
  setPresence(status: PresenceStatus, note = ''): Promise<void> {
    this.assertOpen();
    if (!isPresenceStatus(status)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `unknown status '${String(status)}'`);
    if (typeof note !== 'string' || [...note].length > this.limits.maxNoteLength) throw new PeerChannelError(ErrorCode.PRESENCE_LIMIT, `a presence note has at most ${this.limits.maxNoteLength} characters`);
    this.current = { peerId: this.peerId, status, note };
    return this.publish();
  }

  /**
   * A user's presence: mine, or a contact's (joining the contact's presence mesh on first use).
   * @remarks Cold start, hot continuation: each subscriber gets the presence as known now, then
   * every change. `Offline` while no live presence record of that user is known (never seen,
   * expired, or the user went offline). Errors with `PC_ERR_CONTACT_LIMIT` past
   * `maxWatchedContacts` meshes.
   */
  presence$(peerId: string): Observable<PresenceInfo> {
    const id = asPeerId(peerId);
    return this.recordsOf(id, PresenceRecord).pipe(
      map((records): PresenceInfo => {
        const r = records.find((x) => isPresenceStatus(x.value.status));
        return r === undefined ? { peerId: id, status: PresenceStatus.Offline, note: '' } : { peerId: id, status: r.value.status as PresenceStatus, note: r.value.note };
      }),
      distinctUntilChanged((a, b) => a.status === b.status && a.note === b.note),
    );
  }

  /**
   * Publishes (or replaces) a small object under `name`, e.g. an avatar.
   * @throws PeerChannelError `PC_ERR_PRESENCE_LIMIT` over 16 KiB or past 16 objects; `PC_ERR_INVALID_ARGUMENT` for a bad name.
   */
  publishObject(name: string, data: Uint8Array): Promise<void> {
    this.assertOpen();
    if (typeof name !== 'string' || !OBJECT_NAME.test(name)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'an object name has 1-64 letters, digits, ., _ or -');
    if (!(data instanceof Uint8Array) || data.byteLength > this.limits.maxObjectBytes) throw new PeerChannelError(ErrorCode.PRESENCE_LIMIT, `a published object has at most ${this.limits.maxObjectBytes} bytes`);
    const objects = this.node.records(PublishedObjectRecord);
    const mine = objects.query({ name }).filter((r) => r.creator === this.peerId);
    if (mine.length === 0 && objects.query().filter((r) => r.creator === this.peerId).length >= this.limits.maxObjects) {
      throw new PeerChannelError(ErrorCode.PRESENCE_LIMIT, `at most ${this.limits.maxObjects} published objects`);
    }
    return this.serial(async () => {
      const value = { name, data: new Uint8Array(data) };
      if (mine[0] === undefined) await objects.add(value, { ttlMs: this.presenceTtlMs });
      else await objects.update(mine[0].id, value, { ttlMs: this.presenceTtlMs });
    });
  }

  /** Stops publishing the object `name`. */
  removeObject(name: string): Promise<void> {
    this.assertOpen();
    const objects = this.node.records(PublishedObjectRecord);
    return this.serial(async () => {
      for (const r of objects.query({ name }).filter((x) => x.creator === this.peerId)) await objects.delete(r.id);
    });
  }

  /** A user's published objects, as {@link Collaboration.presence$}: current set, then each change. */
  objects$(peerId: string): Observable<readonly PublishedObject[]> {
    return this.recordsOf(peerId, PublishedObjectRecord).pipe(map((records) => records.map((r) => ({ name: r.value.name, data: r.value.data }))));
  }

  /**
   * Registers an application this user can invite to and be invited to.
   * @throws PeerChannelError `PC_ERR_APPLICATION_INVALID` for a bad id or description, or past 64 applications.
   */
  registerApplication(app: Application): void {
    this.assertOpen();
    if (typeof app?.id !== 'string' || !APP_ID.test(app.id)) throw new PeerChannelError(ErrorCode.APPLICATION_INVALID, 'an application id has 1-64 letters, digits, ., _ or -');
    if (typeof app.description !== 'string' || [...app.description].length > 255) throw new PeerChannelError(ErrorCode.APPLICATION_INVALID, 'an application description has at most 255 characters');
    if (!this.apps.has(app.id) && this.apps.size >= this.limits.maxApplications) {
      throw new PeerChannelError(ErrorCode.APPLICATION_INVALID, `at most ${this.limits.maxApplications} applications per user`);
    }
    this.apps.set(app.id, { id: app.id, description: app.description });
  }

  /** Unregisters an application; invitations to it are refused from then on. */
  unregisterApplication(id: string): void {
    this.apps.delete(id);
  }

  /** My registered applications. */
  applications(): readonly Application[] {
    return [...this.apps.values()];
  }

  /**
   * Invites a peer (usually a contact) to an application, through the peer's inbox found by the
   * node's resolver.
   * @remarks Resolves with `accepted` or `declined` when the invitee answers, or `expired` after
   * `ttlMs` (default 5 minutes).
   * @throws PeerChannelError synchronously checked: `PC_ERR_APPLICATION_UNKNOWN` (not registered
   * here), `PC_ERR_INVITATION_INVALID` (message, data or lifetime over bounds); rejects with
   * `PC_ERR_ABORTED` when withdrawn through `signal`, `PC_ERR_CONTACT_OFFLINE`,
   * `PC_ERR_INVITATION_UNTRUSTED` / `PC_ERR_APPLICATION_UNKNOWN` / `PC_ERR_INVITATION_LIMIT` /
   * `PC_ERR_INVITATION_RATE_LIMITED` (the invitee refused), `PC_ERR_INVITATION_LIMIT` (too many
   * waiting here), network codes.
   */
  invite(peerId: string, application: string, options: InviteOptions = {}): Promise<InvitationOutcome> {
    const ttlMs = this.checkInvite(peerId, application, options);
    return this.inviteThrough(peerId, [], application, ttlMs, options);
  }

  /**
   * Invites a person near me (from {@link Collaboration.nearby$}, or any People Near Me peer),
   * contact or not: its announced addresses are dialled with its peer id pinned. The invitee
   * applies its stranger rules: by default it refuses anyone who is not a trusted contact
   * (`PC_ERR_INVITATION_UNTRUSTED`).
   * @throws PeerChannelError as {@link Collaboration.invite}; `PC_ERR_INVALID_ARGUMENT` for a peer without addresses.
   */
  inviteNearby(person: Pick<NearbyPeer, 'peerId' | 'addresses'>, application: string, options: InviteOptions = {}): Promise<InvitationOutcome> {
    const ttlMs = this.checkInvite(person?.peerId, application, options);
    if (!Array.isArray(person.addresses) || person.addresses.length === 0) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a nearby person needs at least one address');
    return this.inviteThrough(person.peerId, person.addresses.slice(0, 16), application, ttlMs, options);
  }

  /**
   * The people near me on the LAN who can be invited (they announce an inbox), each with its
   * contact if I hold its card; empty without {@link CollaborationOptions.peopleNearMe}.
   * @remarks Cold start, hot continuation: the list now, then again on each change of the people
   * near me or of my contacts.
   */
  get nearby$(): Observable<readonly NearbyPerson[]> {
    const pnm = this.options.peopleNearMe;
    if (pnm === undefined) return of([]);
    return merge(of(0), pnm.nearby$, this.options.contacts.contacts$).pipe(map(() => this.nearby()));
  }

  /** The people near me now, as {@link Collaboration.nearby$} lists them. */
  nearby(): readonly NearbyPerson[] {
    const pnm = this.options.peopleNearMe;
    if (pnm === undefined) return [];
    return pnm
      .nearby()
      .filter((p) => p.peerId !== this.peerId && isPeerId(p.peerId) && p.meshes.includes(securedMeshName(p.peerId, INBOX_CLASSIFIER)))
      .map((p) => ({ peerId: p.peerId, displayName: p.displayName, addresses: p.addresses, contact: this.options.contacts.get(p.peerId) }));
  }

  /** Counters of the envelopes sent to me: taken, and refused by code (rate, trust, forgery, …). */
  get invitationStats(): InvitationStats {
    return this.desk.stats;
  }

  /**
   * Invitations sent to me that passed every check (signature, trust, application, bounds).
   * @remarks Hot: emits invitations received from subscription on. Completes on close.
   */
  get invitations$(): Observable<ReceivedInvitation> {
    return this.desk.invitations$;
  }

  /** My contact card (vCard 4.0), with the addresses of my presence node as endpoints. */
  card(): Promise<string> {
    return contactCardFor(this.options.identity, this.options.name, this.node.addresses);
  }

  /** Publishes `Offline`, leaves every presence mesh, ends every invitation. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.refresher);
      this.newcomers?.unsubscribe();
      this.trustWatch?.unsubscribe();
      this.desk.close();
      this.current = { peerId: this.peerId, status: PresenceStatus.Offline, note: '' };
      await this.publish().catch((e: unknown) => this.report(e));
      await this.options.peopleNearMe?.unpublish(this.peerId).catch((e: unknown) => this.report(e));
      await this.visits.close();
      await Promise.allSettled([this.node.close(), this.inbox.close()]);
    })();
    return this.closing;
  }

  private get presenceTtlMs(): number {
    return this.options.presenceTtlMs ?? 30_000;
  }

  /**
   * Republishes whenever a new neighbour joins my presence mesh, so a watcher sees my presence at
   * once as a live change instead of at the next refresh (or the next reconciliation).
   */
  private greetNewcomers(): void {
    const known = new Set<string>();
    this.newcomers = this.node.neighbors$.subscribe((set) => {
      const fresh = set.some((n) => !known.has(n.peerId));
      known.clear();
      for (const n of set) known.add(n.peerId);
      if (fresh) this.publish().catch((e: unknown) => this.report(e));
    });
  }

  /**
   * Cuts the presence-mesh link of every contact that loses my trust (marked untrusted or
   * removed) the moment the contact store changes: admission was the only thing between them
   * and my presence, and it is checked per link, so a link they already hold must go. Their
   * node's re-dial then meets admission, which refuses them (`PC_ERR_UNTRUSTED_PEER`).
   */
  private watchTrust(): void {
    const trustedNow = (all: readonly Contact[]) => new Set(all.filter((c) => c.trusted).map((c) => c.peerId));
    let trusted = trustedNow(this.options.contacts.list());
    this.trustWatch = this.options.contacts.contacts$.subscribe((all) => {
      const next = trustedNow(all);
      for (const peerId of trusted) {
        if (next.has(peerId)) continue;
        const reason = all.some((c) => c.peerId === peerId) ? 'no longer trusted' : 'no longer a contact';
        try {
          this.node.disconnect(peerId, { reason }).catch((e: unknown) => this.report(e));
        } catch (error) {
          // Only a closing node throws here, and it is cutting every link anyway.
          this.report(error);
        }
      }
      trusted = next;
    });
  }

  private publish(): Promise<void> {
    const value = { status: this.current.status, note: this.current.note };
    return this.serial(async () => {
      const presence = this.node.records(PresenceRecord);
      if (this.presenceId === undefined || presence.get(this.presenceId) === undefined) {
        this.presenceId = (await presence.add(value, { ttlMs: this.presenceTtlMs })).id;
      } else {
        await presence.update(this.presenceId, value, { ttlMs: this.presenceTtlMs });
      }
      // Published objects live as long as the presence they go with.
      const objects = this.node.records(PublishedObjectRecord);
      for (const r of objects.query().filter((x) => x.creator === this.peerId)) await objects.update(r.id, r.value, { ttlMs: this.presenceTtlMs });
    });
  }

  private serial<R>(work: () => Promise<R>): Promise<R> {
    const run = this.writes.then(work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private recordsOf<T>(peerId: string, type: RecordClass<T>): Observable<readonly PeerRecord<T>[]> {
    return defer(() => from(peerId === this.peerId ? Promise.resolve(this.node) : this.join(peerId))).pipe(
      switchMap((node) => node.records(type).snapshot$),
      map((records) => records.filter((r) => r.creator === peerId)),
    );
  }

  /** Joins `owner`'s presence mesh (once), to watch it. */
  private join(owner: string): Promise<PeerNode> {
    this.assertOpen();
    return this.visits.get('presence', owner, () => openPresenceNode(this.options.identity, this.options.node ?? {}, owner, () => false, 1));
  }

  /** Joins `owner`'s inbox (once), to invite it; `addresses` are dialled besides what the resolver finds. */
  private async joinInbox(owner: string, addresses: readonly string[]): Promise<PeerNode> {
    this.assertOpen();
    const node = await this.visits.get('inbox', owner, () => openInboxNode(this.options.identity, this.options.node ?? {}, owner, 1).then((n) => {
      this.hostOn(n, owner);
      return n;
    }));
    await this.visits.dialAny(node, owner, addresses);
    return node;
  }

  private checkInvite(peerId: string, application: string, options: InviteOptions): number {
    this.assertOpen();
    if (!this.apps.has(application)) throw new PeerChannelError(ErrorCode.APPLICATION_UNKNOWN, `register application '${application}' before inviting to it`);
    const ttlMs = checkInviteOptions(this.limits, options);
    if (typeof peerId !== 'string' || !/^[0-9a-f]{64}$/.test(peerId)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a peer id is 64 lowercase hex digits');
    if (peerId === this.peerId) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'cannot invite myself');
    return ttlMs;
  }

  private async inviteThrough(peerId: string, addresses: readonly string[], application: string, ttlMs: number, options: InviteOptions): Promise<InvitationOutcome> {
    const node = await this.joinInbox(peerId, addresses);
    await waitOnline(node, this.options.joinTimeoutMs ?? 10_000, options.signal);
    return this.desk.invite(peerId, peerId, application, ttlMs, options);
  }

  private hostOn(node: PeerNode, key: string): void {
    const desk = this.desk;
    node.host(CollaborationContract, {
      deliver: async (envelope: Uint8Array) => {
        const call = currentCall();
        // The neighbour it came over is authenticated by the link; the origin is only claimed.
        desk.deliver(key, call.via ?? call.from, envelope);
        return 'ok';
      },
    });
  }

  private async sendVia(via: string, to: string, envelope: Uint8Array): Promise<void> {
    const node = via === this.peerId ? this.inbox : await this.joinInbox(via, []);
    await node.proxy(CollaborationContract).to(asPeerId(to)).withTimeout(this.options.joinTimeoutMs ?? 10_000).deliver(envelope);
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new PeerChannelError(ErrorCode.CLOSED, 'the collaboration is closed');
  }

  private report(error: unknown): void {
    // Presence writes fail only when the node is closing or its storage fails: both show on the node.
    void toPeerChannelError(error);
  }
}
