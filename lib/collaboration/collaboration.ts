import { type Observable, type Subscription, defer, distinctUntilChanged, from, map, switchMap } from 'rxjs';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import { PeerNode } from '../node/peer-node.js';
import type { PeerNodeOptions } from '../node/options.js';
import type { PeerRecord } from '../records/record-collection.js';
import type { RecordClass } from '../records/record-type-descriptor.js';
import { CollaborationContract, presenceMeshAddress } from './collaboration-contract.js';
import { type CollaborationLimits, DEFAULT_INVITATION_TTL_MS, defaultCollaborationLimits } from './collaboration-limits.js';
import { contactCardFor } from './contact-card.js';
import type { ContactStore } from './contact-store.js';
import { type InvitationOutcome, InvitationDesk, type InviteOptions, type ReceivedInvitation } from './invitations.js';
import { type PresenceInfo, PresenceRecord, PresenceStatus, PublishedObjectRecord, isPresenceStatus } from './presence-status.js';

/** A registered application: what invitations are for. */
export interface Application {
  /** 1..64 characters: letters, digits, `.`, `_`, `-`. */
  readonly id: string;
  /** At most 255 characters. */
  readonly description: string;
}

/** A small object a user publishes with its presence. */
export interface PublishedObject {
  /** Name of the object, unique per publisher; publishing a name again replaces it. */
  readonly name: string;
  /** Its bytes, opaque to PeerChannel: at most `maxObjectBytes` (16 KiB), and at most `maxObjects` (16) objects per user. */
  readonly data: Uint8Array;
}

/** Options of {@link Collaboration.open}. */
export interface CollaborationOptions {
  /** Who I am (e.g. from `IdentityManager`). */
  readonly identity: PeerIdentity;
  /** My friendly name, written on my card. */
  readonly name: string;
  /** My contacts: whose invitations are trusted, whose cards I hold. */
  readonly contacts: ContactStore;
  /**
   * Node options for every presence mesh this user joins (transport, resolver: the local resolver
   * by default; a PNRP or People Near Me resolver to find contacts beyond this machine).
   * @defaultValue `{}`
   */
  readonly node?: Omit<PeerNodeOptions, 'identity' | 'records' | 'password' | 'certificate' | 'admission' | 'signal'>;
  /**
   * Accept invitations only from trusted contacts; false lets anyone whose signature verifies invite.
   * @defaultValue true
   */
  readonly trustedInvitationsOnly?: boolean;
  /** How long a presence record lives unless refreshed; it is refreshed every third of this. @defaultValue 30_000 */
  readonly presenceTtlMs?: number;
  /** How long {@link Collaboration.invite} waits for the invitee's presence mesh to come online. @defaultValue 10_000 */
  readonly joinTimeoutMs?: number;
  /** The status published on open. @defaultValue `Online` */
  readonly status?: PresenceStatus;
  /** @defaultValue `defaultCollaborationLimits` */
  readonly limits?: Partial<CollaborationLimits>;
}

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * One person on PeerChannel: my presence, my published objects, my applications, the presence of
 * my contacts, and invitations sent and received.
 *
 * @remarks
 * Each user has a *presence mesh*, `net.p2p://pc.<peer id>`, found through the node's resolver
 * (the local resolver by default; PNRP or People Near Me when configured). The user keeps its
 * presence and published objects there as records signed by its key — only that key can create or
 * update them — expiring unless refreshed while it is online. To watch a contact, or to invite
 * it, this user joins the contact's presence mesh with its own identity. Invitations, withdrawals
 * and answers are signed envelopes sent as directed calls inside that mesh. See
 * docs/collaboration.md.
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
  private readonly joined = new Map<string, Promise<PeerNode>>();
  private presenceId: string | undefined;
  private current: PresenceInfo;
  private refresher: NodeJS.Timeout | undefined;
  private newcomers: Subscription | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: CollaborationOptions,
    /** My node in my own presence mesh. */
    readonly node: PeerNode,
  ) {
    this.limits = { ...defaultCollaborationLimits, ...options.limits };
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
    const node = await openPresenceNode(options, options.identity.peerId);
    const me = new Collaboration(options, node);
    try {
      me.hostOn(node, node.peerId);
      await me.publish();
      me.greetNewcomers();
      const ttl = me.presenceTtlMs;
      me.refresher = setInterval(() => void me.publish().catch((e: unknown) => me.report(e)), Math.max(50, Math.floor(ttl / 3)));
      return me;
    } catch (error) {
      await node.close();
      throw error;
    }
  }

  /** Who I am. */
  get identity(): PeerIdentity {
    return this.options.identity;
  }

  /** My peer id. */
  get peerId(): string {
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
    return this.recordsOf(peerId, PresenceRecord).pipe(
      map((records): PresenceInfo => {
        const r = records.find((x) => isPresenceStatus(x.value.status));
        return r === undefined ? { peerId, status: PresenceStatus.Offline, note: '' } : { peerId, status: r.value.status as PresenceStatus, note: r.value.note };
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
   * Invites a peer (usually a contact) to an application.
   * @remarks Joins the invitee's presence mesh if needed. Resolves with `accepted` or `declined`
   * when the invitee answers, or `expired` after `ttlMs` (default 5 minutes).
   * @throws PeerChannelError synchronously checked: `PC_ERR_APPLICATION_UNKNOWN` (not registered
   * here), `PC_ERR_INVITATION_INVALID` (message, data or lifetime over bounds); rejects with
   * `PC_ERR_ABORTED` when withdrawn through `signal`, `PC_ERR_CONTACT_OFFLINE`,
   * `PC_ERR_INVITATION_UNTRUSTED` / `PC_ERR_APPLICATION_UNKNOWN` / `PC_ERR_INVITATION_LIMIT` (the
   * invitee refused), `PC_ERR_INVITATION_LIMIT` (too many waiting here), network codes.
   */
  invite(peerId: string, application: string, options: InviteOptions = {}): Promise<InvitationOutcome> {
    this.assertOpen();
    if (!this.apps.has(application)) throw new PeerChannelError(ErrorCode.APPLICATION_UNKNOWN, `register application '${application}' before inviting to it`);
    const ttlMs = options.ttlMs ?? DEFAULT_INVITATION_TTL_MS;
    if (!(Number.isInteger(ttlMs) && ttlMs > 0 && ttlMs <= this.limits.maxInvitationTtlMs)) throw new PeerChannelError(ErrorCode.INVITATION_INVALID, `an invitation lives 1..${this.limits.maxInvitationTtlMs} ms`);
    if (options.message !== undefined && (typeof options.message !== 'string' || [...options.message].length > this.limits.maxInvitationMessageLength)) {
      throw new PeerChannelError(ErrorCode.INVITATION_INVALID, `an invitation message has at most ${this.limits.maxInvitationMessageLength} characters`);
    }
    if (options.data !== undefined && (!(options.data instanceof Uint8Array) || options.data.byteLength > this.limits.maxInvitationDataBytes)) {
      throw new PeerChannelError(ErrorCode.INVITATION_INVALID, `invitation data has at most ${this.limits.maxInvitationDataBytes} bytes`);
    }
    if (peerId === this.peerId) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'cannot invite myself');
    return (async () => {
      const node = await this.join(peerId);
      await this.waitOnline(node, options.signal);
      return this.desk.invite(peerId, peerId, application, ttlMs, options);
    })();
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
      this.desk.close();
      this.current = { peerId: this.peerId, status: PresenceStatus.Offline, note: '' };
      await this.publish().catch((e: unknown) => this.report(e));
      const nodes = await Promise.allSettled([...this.joined.values()]);
      await Promise.allSettled(nodes.map((n) => (n.status === 'fulfilled' ? n.value.close() : undefined)));
      await this.node.close();
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

  private join(peerId: string): Promise<PeerNode> {
    this.assertOpen();
    const known = this.joined.get(peerId);
    if (known !== undefined) return known;
    if (this.joined.size >= this.limits.maxWatchedContacts) {
      return Promise.reject(new PeerChannelError(ErrorCode.CONTACT_LIMIT, `already in ${this.limits.maxWatchedContacts} presence meshes`));
    }
    const opening = openPresenceNode(this.options, peerId).then((node) => {
      if (this.closing !== undefined) {
        void node.close();
        throw new PeerChannelError(ErrorCode.CLOSED, 'closed');
      }
      this.hostOn(node, peerId);
      return node;
    });
    this.joined.set(peerId, opening);
    opening.catch(() => this.joined.get(peerId) === opening && this.joined.delete(peerId));
    return opening;
  }

  private async waitOnline(node: PeerNode, signal: AbortSignal | undefined): Promise<void> {
    if (node.status === 'online') return;
    const timeoutMs = this.options.joinTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: PeerChannelError) => {
        clearTimeout(timer);
        sub.unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onAbort = () => done(new PeerChannelError(ErrorCode.ABORTED, 'aborted'));
      const timer = setTimeout(() => done(new PeerChannelError(ErrorCode.CONTACT_OFFLINE, 'the contact did not come online in time')), timeoutMs);
      const sub = node.status$.subscribe((s) => s === 'online' && queueMicrotask(() => done()));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private hostOn(node: PeerNode, key: string): void {
    const desk = this.desk;
    node.host(CollaborationContract, {
      deliver: async (envelope: Uint8Array) => {
        desk.deliver(key, envelope);
        return 'ok';
      },
    });
  }

  private async sendVia(via: string, to: string, envelope: Uint8Array): Promise<void> {
    const node = via === this.peerId ? this.node : await this.join(via);
    await node.proxy(CollaborationContract).to(to).withTimeout(this.options.joinTimeoutMs ?? 10_000).deliver(envelope);
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new PeerChannelError(ErrorCode.CLOSED, 'the collaboration is closed');
  }

  private report(error: unknown): void {
    // Presence writes fail only when the node is closing or its storage fails: both show on the node.
    void toPeerChannelError(error);
  }
}

function openPresenceNode(options: CollaborationOptions, owner: string): Promise<PeerNode> {
  return PeerNode.open(presenceMeshAddress(owner), {
    ...options.node,
    identity: options.identity,
    // A presence mesh holds a presence and at most 16 objects per member: anything far beyond that
    // is someone filling the watchers' memory, so the store's own quotas refuse it.
    records: { storage: 'memory', types: [PresenceRecord, PublishedObjectRecord], limits: PRESENCE_RECORD_LIMITS },
  });
}

/** Record quotas of a presence mesh's store. */
const PRESENCE_RECORD_LIMITS = { maxRecordsPerCreator: 64, maxRecords: 16_384 } as const;
