import { type Observable, Subject } from 'rxjs';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { CollaborationLimits } from './collaboration-limits.js';
import type { ContactStore } from './contact-store.js';
import { type InvitationBody, type InvitationResponse, newInvitationId, openInvitation, sealInvitation } from './invitation-envelope.js';
import { SenderRate } from '../internal/sender-rate.js';

/** Counters of the envelopes a user received. */
export interface InvitationStats {
  /** Envelopes taken (invitations, withdrawals, answers). */
  delivered: number;
  /** Envelopes refused, by the code the sender got. */
  readonly refused: Partial<Record<ErrorCode, number>>;
}

/** How an invitation I sent ended. */
export type InvitationOutcome = 'accepted' | 'declined' | 'expired';

/** How a received invitation ended. */
export type ReceivedInvitationEnd = InvitationResponse | 'withdrawn' | 'expired';

/** Sends `envelope` to `peerId` through the node that `via` names; resolves when the peer took it. @internal */
export type EnvelopeSender = (via: string, peerId: string, envelope: Uint8Array) => Promise<void>;

/** An invitation someone sent me: answer it with {@link ReceivedInvitation.accept} or {@link ReceivedInvitation.decline}. */
export interface ReceivedInvitation {
  /** The invitation's id (32 hex digits, chosen by the inviter). */
  readonly id: string;
  /** The inviter's peer id (its signature was verified). */
  readonly from: string;
  /** The inviter's name in my contacts, if it is one. */
  readonly fromName: string | undefined;
  /** Id of the application it invites to; registered here, or it would have been refused. */
  readonly application: string;
  /** The inviter's message. */
  readonly message: string;
  /** The inviter's application data (signed with the invitation). */
  readonly data: Uint8Array;
  /** When it expires here, ms since the epoch. */
  readonly expiresAt: number;
  /** Resolves once it ends: answered, withdrawn by the inviter, or expired. */
  readonly ended: Promise<ReceivedInvitationEnd>;
  /**
   * Accepts; resolves once the inviter has the answer.
   * @throws PeerChannelError (rejects) `PC_ERR_INVITATION_WITHDRAWN`, `PC_ERR_INVITATION_EXPIRED`,
   * `PC_ERR_INVITATION_ANSWERED`, or the network's code (then it may be answered again).
   */
  accept(): Promise<void>;
  /** Declines; as {@link ReceivedInvitation.accept}. */
  decline(): Promise<void>;
}

/** Options of {@link Collaboration.invite}. */
export interface InviteOptions {
  /** At most 255 characters. @defaultValue '' */
  readonly message?: string;
  /** At most 16 KiB. @defaultValue empty */
  readonly data?: Uint8Array;
  /** How long to wait for an answer. @defaultValue 300_000 (5 minutes) */
  readonly ttlMs?: number;
  /** Withdraws the invitation: the promise rejects with `PC_ERR_ABORTED` and the invitee can no longer accept. */
  readonly signal?: AbortSignal;
}

interface Incoming {
  readonly body: InvitationBody;
  readonly via: string;
  state: 'pending' | 'answering' | ReceivedInvitationEnd;
  timer: NodeJS.Timeout;
  end: (how: ReceivedInvitationEnd) => void;
}

interface Outgoing {
  readonly to: string;
  settle: (outcome: InvitationOutcome | PeerChannelError) => void;
}

/**
 * The invitation protocol of one user: the invitations I sent and wait on, the ones I received.
 *
 * @remarks
 * Every envelope is signed by its sender and checked before anything else (see
 * `openInvitation`), after the sending link's rate (`senderBurst`, then `senderPerSecond`;
 * `PC_ERR_INVITATION_RATE_LIMITED`). An invitation is refused unless its application is registered
 * here, its sender is a trusted contact (when `trustedOnly`), its id is new, and fewer than
 * `maxPendingInvitations` are waiting, fewer than `maxPendingPerSender` of them from its sender. The inviter keeps the ids of invitations it withdrew or
 * that expired, so a late answer is refused with the right code.
 * @internal
 */
export class InvitationDesk {
  private readonly incoming = new Map<string, Incoming>();
  private readonly outgoing = new Map<string, Outgoing>();
  /** Ended ids (sent or received) → the code a late envelope about them gets. Bounded, oldest first out. */
  private readonly ended = new Map<string, ErrorCode>();
  private readonly received$ = new Subject<ReceivedInvitation>();
  private readonly rate: SenderRate;
  private closed = false;
  /** What arrived and what was refused. */
  readonly stats: InvitationStats = { delivered: 0, refused: {} };

  constructor(
    private readonly identity: PeerIdentity,
    private readonly limits: CollaborationLimits,
    private readonly contacts: ContactStore,
    private readonly policy: { trustedOnly: () => boolean; isRegistered: (app: string) => boolean },
    private readonly send: EnvelopeSender,
  ) {
    this.rate = new SenderRate(limits.senderBurst, limits.senderPerSecond, limits.maxTrackedSenders);
  }

  /** Hot: each invitation accepted for answering, from now on. Completes on close. */
  get invitations$(): Observable<ReceivedInvitation> {
    return this.received$.asObservable();
  }

  /** Invitations received and not yet ended. */
  get pendingCount(): number {
    return this.incoming.size;
  }

  /** Sends an invitation through `via` (a node in the invitee's presence mesh) and waits for its end. */
  async invite(via: string, to: string, application: string, ttlMs: number, options: InviteOptions): Promise<InvitationOutcome> {
    options.signal?.throwIfAborted();
    if (this.outgoing.size >= this.limits.maxOutgoingInvitations) throw new PeerChannelError(ErrorCode.INVITATION_LIMIT, `already waiting on ${this.limits.maxOutgoingInvitations} invitations`);
    const id = newInvitationId();
    const envelope = sealInvitation(this.identity, {
      kind: 'invite', id, to, app: application, message: options.message ?? '', data: options.data ?? new Uint8Array(0), ttlMs, response: '',
    });
    return new Promise<InvitationOutcome>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (!this.outgoing.has(id)) return;
        clearTimeout(timer);
        this.finishOutgoing(id, ErrorCode.INVITATION_WITHDRAWN);
        // The withdrawal is acknowledged before the caller hears of it, so an accept that comes
        // after the rejection is refused by the invitee as well as by us.
        void this.withdraw(via, to, id).finally(() => reject(new PeerChannelError(ErrorCode.ABORTED, 'the invitation was withdrawn')));
      };
      const entry: Outgoing = {
        to,
        settle: (outcome) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          if (outcome instanceof PeerChannelError) reject(outcome);
          else resolve(outcome);
        },
      };
      this.outgoing.set(id, entry);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => {
        if (!this.outgoing.has(id)) return;
        this.finishOutgoing(id, ErrorCode.INVITATION_EXPIRED);
        entry.settle('expired');
        void this.withdraw(via, to, id, 'expired');
      }, ttlMs);
      this.send(via, to, envelope).catch((error: unknown) => {
        if (this.outgoing.get(id) !== entry) return;
        this.outgoing.delete(id);
        entry.settle(toPeerChannelError(error));
      });
    });
  }

  /**
   * Handles an envelope that arrived at the node `via` over the link of `sender` (the neighbour the
   * transport authenticated, not a claim inside the envelope); throws the coded refusal the sender
   * gets, and counts it.
   */
  deliver(via: string, sender: string, envelope: Uint8Array): void {
    try {
      if (this.closed) throw new PeerChannelError(ErrorCode.CLOSED, 'closed');
      // Before any decoding or signature check: a flood costs the flooder its allowance, not us work.
      if (!this.rate.take(sender)) throw new PeerChannelError(ErrorCode.INVITATION_RATE_LIMITED, `more than ${this.limits.senderBurst} envelopes at once, ${this.limits.senderPerSecond}/s after, from one sender`);
      const body = openInvitation(envelope, this.identity.peerId, this.limits);
      if (body.kind === 'invite') this.onInvite(via, body);
      else if (body.kind === 'withdraw') this.onWithdraw(body);
      else this.onAnswer(body);
      this.stats.delivered += 1;
    } catch (error) {
      const code = toPeerChannelError(error).code;
      this.stats.refused[code] = (this.stats.refused[code] ?? 0) + 1;
      throw error;
    }
  }

  private onInvite(via: string, body: InvitationBody): void {
    const contact = this.contacts.get(body.from);
    if (this.policy.trustedOnly() && contact?.trusted !== true) {
      throw new PeerChannelError(ErrorCode.INVITATION_UNTRUSTED, 'invitations are accepted from trusted contacts only');
    }
    if (!this.policy.isRegistered(body.app)) throw new PeerChannelError(ErrorCode.APPLICATION_UNKNOWN, `application '${body.app}' is not registered here`);
    if (this.incoming.has(body.id) || this.ended.has(body.id)) throw new PeerChannelError(ErrorCode.INVITATION_ANSWERED, 'this invitation was seen before');
    if (this.incoming.size >= this.limits.maxPendingInvitations) throw new PeerChannelError(ErrorCode.INVITATION_LIMIT, `${this.limits.maxPendingInvitations} invitations are already waiting`);
    if (this.pendingFrom(body.from) >= this.limits.maxPendingPerSender) {
      throw new PeerChannelError(ErrorCode.INVITATION_LIMIT, `${this.limits.maxPendingPerSender} invitations from this sender are already waiting`);
    }
    let end!: (how: ReceivedInvitationEnd) => void;
    const ended = new Promise<ReceivedInvitationEnd>((resolve) => (end = resolve));
    const entry: Incoming = {
      body, via, state: 'pending', end,
      timer: setTimeout(() => this.endIncoming(body.id, 'expired'), body.ttlMs),
    };
    this.incoming.set(body.id, entry);
    const answer = (response: InvitationResponse) => this.answer(body.id, response);
    this.received$.next({
      id: body.id, from: body.from, fromName: contact?.name, application: body.app, message: body.message, data: body.data,
      expiresAt: Date.now() + body.ttlMs, ended, accept: () => answer('accepted'), decline: () => answer('declined'),
    });
  }

  private pendingFrom(sender: string): number {
    let n = 0;
    for (const entry of this.incoming.values()) if (entry.body.from === sender) n += 1;
    return n;
  }

  private onWithdraw(body: InvitationBody): void {
    const entry = this.incoming.get(body.id);
    if (entry === undefined || entry.body.from !== body.from) return; // already ended here: nothing to withdraw
    this.endIncoming(body.id, body.message === 'expired' ? 'expired' : 'withdrawn');
  }

  private onAnswer(body: InvitationBody): void {
    const entry = this.outgoing.get(body.id);
    if (entry === undefined || entry.to !== body.from || body.response === '') {
      throw new PeerChannelError(this.ended.get(body.id) ?? ErrorCode.INVITATION_EXPIRED, 'this invitation is no longer open');
    }
    this.finishOutgoing(body.id, ErrorCode.INVITATION_ANSWERED);
    entry.settle(body.response);
  }

  private async answer(id: string, response: InvitationResponse): Promise<void> {
    const entry = this.incoming.get(id);
    if (entry === undefined) throw new PeerChannelError(this.ended.get(id) ?? ErrorCode.INVITATION_EXPIRED, 'this invitation is no longer open');
    if (entry.state !== 'pending') throw new PeerChannelError(ErrorCode.INVITATION_ANSWERED, 'this invitation is being answered');
    entry.state = 'answering';
    const envelope = sealInvitation(this.identity, {
      kind: 'answer', id, to: entry.body.from, app: entry.body.app, message: '', data: new Uint8Array(0), ttlMs: 0, response,
    });
    try {
      await this.send(entry.via, entry.body.from, envelope);
    } catch (error) {
      const e = toPeerChannelError(error);
      if (e.code === ErrorCode.INVITATION_WITHDRAWN || e.code === ErrorCode.INVITATION_EXPIRED || e.code === ErrorCode.INVITATION_ANSWERED) {
        this.endIncoming(id, e.code === ErrorCode.INVITATION_WITHDRAWN ? 'withdrawn' : 'expired');
      } else if (this.incoming.get(id) === entry && entry.state === 'answering') {
        entry.state = 'pending'; // the answer did not get through: it may be given again
      }
      throw e;
    }
    this.endIncoming(id, response);
  }

  /** `reason` travels in the message field: `expired` when the inviter's timer ended it, else a cancel. */
  private async withdraw(via: string, to: string, id: string, reason: '' | 'expired' = ''): Promise<void> {
    const envelope = sealInvitation(this.identity, { kind: 'withdraw', id, to, app: '', message: reason, data: new Uint8Array(0), ttlMs: 0, response: '' });
    try {
      await this.send(via, to, envelope);
    } catch (error) {
      void error; // best effort: the invitee's own timer ends it, and we refuse its answer anyway
    }
  }

  private endIncoming(id: string, how: ReceivedInvitationEnd): void {
    const entry = this.incoming.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.incoming.delete(id);
    entry.state = how;
    this.remember(id, how === 'withdrawn' ? ErrorCode.INVITATION_WITHDRAWN : how === 'expired' ? ErrorCode.INVITATION_EXPIRED : ErrorCode.INVITATION_ANSWERED);
    entry.end(how);
  }

  private finishOutgoing(id: string, code: ErrorCode): void {
    this.outgoing.delete(id);
    this.remember(id, code);
  }

  private remember(id: string, code: ErrorCode): void {
    this.ended.delete(id);
    this.ended.set(id, code);
    while (this.ended.size > this.limits.maxSeenInvitations) this.ended.delete(this.ended.keys().next().value as string);
  }

  /** Ends every invitation: sent ones reject with `PC_ERR_CLOSED`, received ones end `expired`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, entry] of [...this.outgoing]) {
      this.outgoing.delete(id);
      entry.settle(new PeerChannelError(ErrorCode.CLOSED, 'closed before the invitation was answered'));
    }
    for (const id of [...this.incoming.keys()]) this.endIncoming(id, 'expired');
    this.received$.complete();
  }
}
