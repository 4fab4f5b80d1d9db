import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Subscription } from 'rxjs';
import {
  Collaboration, ContactStore, IdentityManager, type PeerIdentity, PresenceStatus, type ReceivedInvitation, toPeerChannelError,
} from '../../lib/index.js';

/** Where an accepted invitation takes both chats: a fresh mesh and its password. */
export interface RoomTicket {
  readonly mesh: string;
  readonly password?: string;
}

/** The application chats invite each other to. */
export const PRIVATE_ROOM_APP = { id: 'peerchannel.chat.private-room', description: 'a private chat room' };

const STATUS_WORDS: Readonly<Record<string, PresenceStatus>> = {
  online: PresenceStatus.Online, away: PresenceStatus.Away, brb: PresenceStatus.BeRightBack, berightback: PresenceStatus.BeRightBack,
  idle: PresenceStatus.Idle, busy: PresenceStatus.Busy, phone: PresenceStatus.OnThePhone, onthephone: PresenceStatus.OnThePhone,
  lunch: PresenceStatus.OutToLunch, outtolunch: PresenceStatus.OutToLunch, offline: PresenceStatus.Offline,
};

/** Options of {@link ChatPeople.open}. */
export interface ChatPeopleOptions {
  readonly name: string;
  /** Holds `identities/` (one per chat name) and `contacts/<name>.json`. */
  readonly home?: string;
  readonly print: (line: string) => void;
}

/**
 * The people side of the chat: my identity (kept per chat name), my contacts, my presence and
 * my contacts', and private-room invitations. One per chat process; it outlives room moves.
 */
export class ChatPeople {
  private readonly subscriptions = new Subscription();
  private readonly watched = new Set<string>();
  private readonly pending: ReceivedInvitation[] = [];

  private constructor(
    readonly collab: Collaboration,
    private readonly contacts: ContactStore,
    private readonly print: (line: string) => void,
  ) {
    collab.registerApplication(PRIVATE_ROOM_APP);
    this.subscriptions.add(collab.invitations$.subscribe((inv) => this.invited(inv)));
    this.subscriptions.add(contacts.contacts$.subscribe((all) => all.forEach((c) => this.watch(c.peerId, c.name))));
  }

  static async open(options: ChatPeopleOptions): Promise<ChatPeople> {
    const home = options.home ?? process.env['PEERCHANNEL_HOME'] ?? join(homedir(), '.peerchannel');
    const ids = new IdentityManager(join(home, 'identities'));
    const mine = await ids.get(options.name).catch(() => ids.create(options.name));
    const contacts = await ContactStore.open(join(home, 'contacts', `${mine.peerId.slice(0, 16)}.json`));
    const collab = await Collaboration.open({ identity: mine.identity, name: options.name, contacts });
    return new ChatPeople(collab, contacts, options.print);
  }

  /** The identity the chat's room nodes use, so a peer id in the room is a presence mesh too. */
  get identity(): PeerIdentity {
    return this.collab.identity;
  }

  /** `/status WORD note…` */
  async status(rest: string): Promise<void> {
    const [word = '', ...note] = rest.trim().split(/\s+/);
    const status = STATUS_WORDS[word.toLowerCase()];
    if (status === undefined) return this.print(`! usage: /status ${Object.keys(STATUS_WORDS).join('|')} [note]`);
    await this.collab.setPresence(status, note.join(' '));
    this.print(`* status: ${status}${note.length > 0 ? ` (${note.join(' ')})` : ''}`);
  }

  /** `/card [FILE]`: prints my vCard, and writes it to FILE when given. */
  async card(file: string): Promise<void> {
    const vcf = await this.collab.card();
    for (const line of vcf.trimEnd().split(/\r\n/)) this.print(`  ${line}`);
    if (file !== '') {
      await writeFile(resolve(file), vcf);
      this.print(`* my card is in ${resolve(file)}`);
    }
  }

  /** `/add FILE`: imports a contact card as a trusted contact. */
  async add(file: string): Promise<void> {
    if (file === '') return this.print('! usage: /add FILE');
    try {
      const contact = await this.contacts.import(await readFile(resolve(file), 'utf8'));
      this.print(`* ${contact.name} is a trusted contact now`);
    } catch (error) {
      const e = toPeerChannelError(error);
      this.print(`! cannot add ${file}: ${e.message} (${e.code})`);
    }
  }

  /** Invites `peerId` to a fresh private room; resolves with the ticket when accepted. */
  async invite(peerId: string, label: string): Promise<RoomTicket | undefined> {
    const ticket: RoomTicket = { mesh: `net.p2p://private-${randomBytes(8).toString('hex')}`, password: randomBytes(18).toString('base64url') };
    this.print(`* inviting ${label} to a private room…`);
    try {
      const outcome = await this.collab.invite(peerId, PRIVATE_ROOM_APP.id, { message: 'join me in a private room', data: Buffer.from(JSON.stringify(ticket)) });
      if (outcome === 'accepted') return (this.print(`* ${label} accepted: moving to ${ticket.mesh}`), ticket);
      this.print(outcome === 'declined' ? `* ${label} declined` : `* ${label} did not answer in time`);
    } catch (error) {
      const e = toPeerChannelError(error);
      this.print(`! ${label} refused the invitation: ${e.message} (${e.code})`);
    }
    return undefined;
  }

  /** `/accept` or `/decline` the oldest open invitation; resolves with the ticket when accepted. */
  async answer(accept: boolean): Promise<RoomTicket | undefined> {
    const inv = this.pending.shift();
    if (inv === undefined) return (this.print('! no invitation is waiting'), undefined);
    try {
      const ticket = accept ? parseTicket(inv.data) : undefined;
      await (accept ? inv.accept() : inv.decline());
      if (ticket !== undefined) this.print(`* accepted: moving to ${ticket.mesh}`);
      else this.print('* declined');
      return ticket;
    } catch (error) {
      const e = toPeerChannelError(error);
      this.print(`! cannot answer: ${e.message} (${e.code})`);
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.subscriptions.unsubscribe();
    await this.collab.close();
    await this.contacts.close();
  }

  private invited(inv: ReceivedInvitation): void {
    this.pending.push(inv);
    this.print(`* ${inv.fromName ?? inv.from.slice(0, 12)} invites you to a private room: /accept or /decline`);
    void inv.ended.then((how) => {
      const i = this.pending.indexOf(inv);
      if (i >= 0) this.pending.splice(i, 1);
      if (how === 'withdrawn' || how === 'expired') this.print(`* the invitation from ${inv.fromName ?? inv.from.slice(0, 12)} ${how === 'withdrawn' ? 'was withdrawn' : 'expired'}`);
    });
  }

  private watch(peerId: string, name: string): void {
    if (this.watched.has(peerId)) return;
    this.watched.add(peerId);
    this.subscriptions.add(
      this.collab.presence$(peerId).subscribe({
        next: (p) => this.print(`* ${name} is ${p.status}${p.note === '' ? '' : `: ${p.note}`}`),
        error: (error: unknown) => this.print(`! cannot watch ${name}: ${toPeerChannelError(error).message}`),
      }),
    );
  }
}

function parseTicket(data: Uint8Array): RoomTicket {
  const t = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<RoomTicket>;
  if (typeof t.mesh !== 'string' || typeof t.password !== 'string') throw new Error('the invitation carries no room');
  return { mesh: t.mesh, password: t.password };
}
