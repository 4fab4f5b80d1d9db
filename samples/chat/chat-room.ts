import { type Observable, Subscription, filter, interval, lastValueFrom, map, merge, switchMap, take, takeUntil, throttleTime, timer, toArray } from 'rxjs';
import { ErrorCode, type InspectFlag, PeerChannelError, type PeerId, type PeerIdentity, PeerNode, type PeerProxy, inspectWhenAsked, notFromSelf, toPeerChannelError } from '../../lib/index.js';
import type { ChatPeople, RoomTicket } from './people.js';
import { Chat } from './chat-contract.js';
import { Presence } from './presence-contract.js';
import { PresenceService, SELF, type Self } from './presence-service.js';
import { ROSTER, Roster, type RosterEvent } from './roster.js';
import { MAX_TEXT_LENGTH, cleanText, stamp } from './text.js';

/** Options of {@link ChatRoom.open}. */
export interface ChatOptions {
  /** The name others see (no spaces, no `#`). */
  readonly name: string;
  /** The mesh that is the room, e.g. `net.p2p://lobby`. */
  readonly mesh: string;
  /** The room's password; every peer of a room must use the same one. */
  readonly password?: string;
  /**
   * How often this chat floods a heartbeat; a peer silent for three heartbeats is gone.
   * @defaultValue 2000
   */
  readonly heartbeatMs?: number;
  /**
   * How long `/who` gathers replies.
   * @defaultValue 1500
   */
  readonly whoTimeoutMs?: number;
  /** Receives every output line (already time-stamped). */
  readonly print: (line: string) => void;
  /** Who this chat is in the room. @defaultValue a fresh identity */
  readonly identity?: PeerIdentity;
  /** Contacts, presence and invitations (`/invite`, `/status`, `/card`, `/add`); without it those commands are refused. */
  readonly people?: ChatPeople;
  /** `--inspect [port]`: serve the live mesh inspector for this room's node and print its URL. */
  readonly inspect?: InspectFlag;
}

const HELP =
  '/msg NAME text · /near text · /who · /invite NAME · /accept · /decline · /status WORD [note] · /card [FILE] · /add FILE · /quit — anything else is said to the whole room';

/**
 * One person in a chat room: a {@link PeerNode} in the room's mesh, the {@link Chat} and
 * {@link Presence} contracts, and the commands a user types.
 *
 * @example
 * ```ts
 * const room = await ChatRoom.open({ name: 'alice', mesh: 'net.p2p://lobby', print: console.log });
 * await room.handle('hello everyone');
 * await room.quit();
 * ```
 */
export class ChatRoom {
  /**
   * Resolves when the chat has left: with the private room to move to after an accepted
   * invitation, else `undefined`; rejects with `PC_ERR_AUTH_FAILED` if the room refused the password.
   */
  readonly ended: Promise<RoomTicket | undefined>;
  private readonly chat: PeerProxy<Chat>;
  private readonly presence: PeerProxy<Presence>;
  private readonly roster: Roster;
  private readonly subscriptions = new Subscription();
  private readonly openedAt = Date.now();
  private ending: Promise<void> | undefined;
  private settle!: (error?: PeerChannelError, ticket?: RoomTicket) => void;

  /** Joins the room; the password is only checked once another peer is met. */
  static async open(options: ChatOptions): Promise<ChatRoom> {
    const node = await PeerNode.open(options.mesh, { password: options.password, identity: options.identity });
    await inspectWhenAsked(node, options.inspect, (line) => options.print(stamp(line))).catch(async (error: unknown) => {
      await node.close();
      throw error;
    });
    return new ChatRoom(node, options);
  }

  private constructor(
    private readonly node: PeerNode,
    private readonly options: ChatOptions,
  ) {
    this.ended = new Promise((resolve, reject) => (this.settle = (error, ticket) => (error ? reject(error) : resolve(ticket))));
    const heartbeatMs = options.heartbeatMs ?? 2000;
    this.roster = new Roster({ peerId: node.peerId, name: options.name }, { goneAfterMs: 3 * heartbeatMs });
    const self: Self = { name: options.name, uptimeMs: () => Date.now() - this.openedAt };
    node.container.register(SELF, { useValue: self });
    node.container.register(ROSTER, { useValue: this.roster });
    node.host(Presence, PresenceService);
    this.chat = node.proxy(Chat);
    this.presence = node.proxy(Presence);

    const online$ = node.status$.pipe(filter((s) => s === 'online'));
    const refusals$ = node.errors$.pipe(filter((e) => e.code === ErrorCode.AUTH_FAILED));
    this.subscriptions.add(merge(this.said$(), this.roster.events$.pipe(map(describe)), this.status$(), this.refusalNotices$(refusals$)).subscribe((line) => this.print(line)));
    const announce = () => background(this.presence.here(options.name, self.uptimeMs()));
    this.subscriptions.add(online$.subscribe(announce));
    this.subscriptions.add(interval(heartbeatMs).subscribe(() => (this.roster.sweep(), announce())));
    // Resolves once in; rejects with the code when the room refused this chat (or when it closes, which ends nothing more).
    node.whenOnline().catch((error: unknown) => {
      const e = toPeerChannelError(error);
      if (e.code === ErrorCode.AUTH_FAILED) void this.end(new PeerChannelError(ErrorCode.AUTH_FAILED, `wrong password: the peers in ${options.mesh} refused it`, { cause: e }));
    });
  }

  /** This chat's peer id. */
  get peerId(): string {
    return this.node.peerId;
  }

  /** Runs one line the user typed: a command, or text for the whole room. */
  async handle(input: string): Promise<void> {
    if (this.ending !== undefined) return;
    const line = input.trim();
    const [command = '', rest = ''] = line.startsWith('/') ? splitWord(line) : ['', line];
    const me = this.options.name;
    switch (command) {
      case '':
        if (line !== '' && this.canSend(line)) await this.send(() => this.chat.say(me, line), `${me}: ${line}`);
        return;
      case '/near':
        if (this.canSend(rest)) await this.send(() => this.chat.near(me, rest), `${me} (near): ${rest}`);
        return;
      case '/msg': {
        const [who, text] = splitWord(rest);
        const peerId = this.lookUp(who, '/msg NAME text');
        if (peerId !== undefined && this.canSend(text)) {
          await this.send(() => this.chat.to(peerId).say(me, text), `${me} → ${this.roster.label(peerId)}: ${text}`);
        }
        return;
      }
      case '/who':
        return this.who();
      case '/invite': {
        const peerId = this.lookUp(rest.trim(), '/invite NAME');
        if (peerId === undefined || this.people() === undefined) return;
        const ticket = await this.people()?.invite(peerId, this.roster.label(peerId));
        if (ticket !== undefined) await this.end(undefined, ticket);
        return;
      }
      case '/accept':
      case '/decline': {
        const ticket = await this.people()?.answer(command === '/accept');
        if (ticket !== undefined) await this.end(undefined, ticket);
        return;
      }
      case '/status':
        return this.people()?.status(rest);
      case '/card':
        return this.people()?.card(rest.trim());
      case '/add':
        return this.people()?.add(rest.trim());
      case '/quit':
        return this.quit();
      case '/help':
        this.print(`* ${HELP}`);
        return;
      default:
        this.print(`! unknown command ${command}: ${HELP}`);
    }
  }

  /** Leaves the room gracefully (says bye, then closes the node). Idempotent. */
  quit(): Promise<void> {
    return this.end();
  }

  /** What others say, as output lines; this chat's own floods are printed when sent instead. */
  private said$(): Observable<string> {
    const me = this.options.name;
    return merge(
      this.node.calls$(Chat, 'say').pipe(
        notFromSelf(),
        map(({ from, args: [name, text], directed }) => `${this.roster.label(from, name)}${directed ? ` → ${me}` : ''}: ${cleanText(text)}`),
      ),
      this.node.calls$(Chat, 'near').pipe(
        notFromSelf(),
        map(({ from, args: [name, text] }) => `${this.roster.label(from, name)} (near): ${cleanText(text)}`),
      ),
    );
  }

  private status$(): Observable<string> {
    let wasOnline = false;
    return this.node.status$.pipe(
      map((status) => {
        if (status === 'online') return ((wasOnline = true), `* connected to ${this.options.mesh}`);
        if (wasOnline) return '* nobody else is connected: looking for others';
        // The first chat of a room has nobody to check its password against.
        return `* looking for others in ${this.options.mesh}${this.options.password === undefined ? '' : ' (the password is checked when one is found)'}`;
      }),
    );
  }

  /**
   * Told (at most twice a minute): a peer that dialled this chat gave a different password. Those
   * are the refusals counted in `stats().dropped`; this chat's own refused dials are not.
   */
  private refusalNotices$(refusals$: Observable<PeerChannelError>): Observable<string> {
    let counted = 0;
    const refusedSomeone = () => {
      const now = this.node.stats().dropped[ErrorCode.AUTH_FAILED] ?? 0;
      const more = now > counted;
      counted = now;
      return more;
    };
    return refusals$.pipe(
      filter(() => refusedSomeone() && this.node.refusal === undefined),
      throttleTime(30_000),
      map(() => '* refused a peer that gave a different password'),
    );
  }

  private async who(): Promise<void> {
    const replies = await lastValueFrom(this.presence.gather({ timeoutMs: this.options.whoTimeoutMs ?? 1500 }).who().pipe(toArray()));
    const labels = replies.flatMap((reply) => {
      // Reply values are not checked against the contract: a peer could answer anything.
      if (!reply.ok || typeof reply.value !== 'string') return [];
      if (reply.from === this.node.peerId) return [`${this.options.name} (you)`];
      this.roster.saw(reply.from, reply.value, 'here');
      return [this.roster.label(reply.from)];
    });
    this.print(`* in the room (${labels.length}): ${labels.sort().join(', ')}`);
  }

  private people(): ChatPeople | undefined {
    if (this.options.people === undefined) this.print('! contacts and invitations are off in this chat');
    return this.options.people;
  }

  private lookUp(who: string, usage: string): PeerId | undefined {
    const found = who === '' ? [] : this.roster.find(who);
    if (found.length === 1) return found[0];
    if (who === '') this.print(`! usage: ${usage}`);
    else if (found.length === 0) this.print(`! nobody called ${who} is in the room (try /who)`);
    else this.print(`! ${who} is ambiguous: ${found.map((id) => this.roster.label(id)).join(', ')}`);
    return undefined;
  }

  private canSend(text: string): boolean {
    if (text === '') this.print('! nothing to send');
    else if (text.length > MAX_TEXT_LENGTH) this.print(`! too long: at most ${MAX_TEXT_LENGTH} characters`);
    else if (this.node.status === 'offline') this.print('! not sent: nobody else is in the room yet');
    else return true;
    return false;
  }

  private async send(call: () => Promise<void>, echo: string): Promise<void> {
    try {
      await call();
      this.print(echo);
    } catch (error) {
      this.print(`! not sent: ${(error as Error).message}`);
    }
  }

  private print(line: string): void {
    this.options.print(stamp(line));
  }

  private end(error?: PeerChannelError, ticket?: RoomTicket): Promise<void> {
    this.ending ??= (async () => {
      this.subscriptions.unsubscribe();
      if (error === undefined && this.node.status === 'online') {
        await this.presence.bye().catch(() => {
          // Lost the last neighbour meanwhile: the others will see us go silent instead.
        });
      }
      await this.node.close();
      this.roster.close();
      if (error === undefined) this.print(`* left ${this.options.mesh}`);
      this.settle(error, ticket);
    })();
    return this.ending;
  }
}

/** Presence is repeated every heartbeat, so one that fails to go out needs no handling. */
function background(sending: Promise<void>): void {
  sending.catch(() => undefined);
}

function describe(event: RosterEvent): string {
  switch (event.kind) {
    case 'joined':
      return `* ${event.label} joined`;
    case 'here':
      return `* ${event.label} is here`;
    case 'left':
      return `* ${event.label} left`;
    case 'gone':
      return `* ${event.label} is gone (no heartbeat)`;
  }
}

/** `"/msg bob hi there"` → `["/msg", "bob hi there"]`. */
function splitWord(line: string): [string, string] {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(line) as RegExpExecArray;
  return [match[1] as string, match[2] as string];
}
