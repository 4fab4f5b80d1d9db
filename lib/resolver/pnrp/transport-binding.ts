import type { Subscription } from 'rxjs';
import { decodeFrame, isCoreFrame } from '../../codec/frames.js';
import { defaultFrameLimits, type FrameLimits } from '../../codec/limits.js';
import { ErrorCode, PeerChannelError, fromWireFault, toPeerChannelError } from '../../errors/index.js';
import type { Link, Transport } from '../../transport/transport.js';
import { nodeIdFor, positionOf } from './pnrp-id.js';
import type { PnrpLimits } from './pnrp-limits.js';
import type { PnrpContact, PnrpRequest, PnrpRequestHandler, PnrpResponse, PnrpResponseFor, PnrpRpc } from './protocol.js';
import * as wire from './wire.js';

/** Options of a {@link PnrpTransportBinding}. */
export interface PnrpBindingOptions {
  /** The cloud sent with every request; inbound requests of another cloud are refused. */
  readonly cloud: string;
  /** This node's peer id, sent with every request. */
  readonly peerId: string;
  /** Bounds on what inbound frames may carry. */
  readonly limits: PnrpLimits;
  /**
   * How long a request waits for its reply (dialling included).
   * @defaultValue 3000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Most open links; past it the least recently used idle link is closed, and new inbound links
   * are refused with `PC_ERR_BUSY` when twice as many are open.
   * @defaultValue 64
   */
  readonly maxLinks?: number;
  /**
   * Links unused for this long are closed.
   * @defaultValue 60_000
   */
  readonly idleLinkMs?: number;
  /**
   * Most requests awaiting replies at once; more fail with `PC_ERR_TOO_MANY_PENDING`.
   * @defaultValue 256
   */
  readonly maxPendingRequests?: number;
  /**
   * Most addresses of one contact tried when dialling it.
   * @defaultValue 4
   */
  readonly maxDialAddresses?: number;
  /** Size and complexity bounds of inbound frames. @defaultValue {@link defaultFrameLimits} */
  readonly frameLimits?: FrameLimits;
  /**
   * Requests per second one link may send on average; past it (and its burst) the link is closed
   * with `PC_ERR_LIMIT_EXCEEDED`, so one peer cannot spend this node's CPU on signature checks.
   * @defaultValue 200
   */
  readonly maxRequestsPerSecond?: number;
  /**
   * Requests one link may send in a burst above the average rate.
   * @defaultValue 400
   */
  readonly requestBurst?: number;
}

const REQUEST_OF = { pong: 'ping', found: 'find', stored: 'store' } as const;

interface Pending {
  readonly op: PnrpRequest['op'];
  readonly resolve: (response: PnrpResponse) => void;
  readonly reject: (error: PeerChannelError) => void;
}

interface LinkState {
  readonly link: Link;
  readonly pending: Map<number, Pending>;
  nextId: number;
  lastUsed: number;
  /** Token bucket of inbound requests. */
  tokens: number;
  refilledAt: number;
}

/** Counters of a binding (monotonic). */
export interface PnrpBindingStats {
  /** Links closed because they sent a frame that failed validation, by code. */
  readonly linksClosed: Record<string, number>;
  /** Replies that arrived after their request timed out or was aborted. */
  lateReplies: number;
}

/**
 * Runs the PNRP protocol over a {@link Transport}: requests and replies travel as extension frames
 * of kind {@link wire.PNRP_FRAME_KIND} on links the binding dials or accepts.
 *
 * @remarks
 * Every inbound frame is decoded and checked for shape and bounds; a frame that fails closes that
 * link only, with the failure's code as reason. A request whose claimed sender differs from the
 * peer the transport authenticated closes the link with `PC_ERR_PEER_ID_MISMATCH`. Requests carry
 * ids and time out; links are reused in both directions, capped in number, and closed when idle.
 */
export class PnrpTransportBinding implements PnrpRpc {
  private readonly links = new Map<string, LinkState>();
  private readonly accepted = new Set<LinkState>();
  private readonly dialing = new Map<string, Promise<LinkState>>();
  private readonly positions = new Map<string, number>();
  private handler: PnrpRequestHandler | undefined;
  private inbound: Subscription | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private pendingCount = 0;
  private closedFlag = false;
  private readonly timeoutMs: number;
  private readonly maxLinks: number;
  private readonly idleLinkMs: number;
  private readonly maxPending: number;
  private readonly maxDialAddresses: number;
  private readonly frameLimits: FrameLimits;
  private readonly rate: number;
  private readonly burst: number;
  /** Counters of closed links and late replies; live, not a copy. */
  readonly stats: PnrpBindingStats = { linksClosed: {}, lateReplies: 0 };

  constructor(
    /** The transport PNRP links run on (the node's own kind, a listener of its own). */
    readonly transport: Transport,
    private readonly options: PnrpBindingOptions,
  ) {
    this.timeoutMs = options.requestTimeoutMs ?? 3000;
    this.maxLinks = options.maxLinks ?? 64;
    this.idleLinkMs = options.idleLinkMs ?? 60_000;
    this.maxPending = options.maxPendingRequests ?? 256;
    this.maxDialAddresses = options.maxDialAddresses ?? 4;
    this.frameLimits = options.frameLimits ?? defaultFrameLimits;
    this.rate = options.maxRequestsPerSecond ?? 200;
    this.burst = options.requestBurst ?? 400;
  }

  /** Starts listening and serving inbound requests with `handler`; resolves to the listen addresses. */
  async listen(handler: PnrpRequestHandler): Promise<readonly string[]> {
    if (this.closedFlag) throw new PeerChannelError(ErrorCode.CLOSED, 'pnrp binding is closed');
    this.handler = handler;
    const addresses = await this.transport.listen();
    this.inbound ??= this.transport.inbound$.subscribe((link) => this.adopt(link, true));
    this.sweepTimer ??= setInterval(() => this.closeIdle(), Math.max(1000, this.idleLinkMs / 2));
    this.sweepTimer.unref();
    return addresses;
  }

  /** Open links, dialled and accepted. */
  get openLinks(): number {
    return this.links.size + [...this.accepted].filter((s) => !this.isKeyed(s)).length;
  }

  /** The contact of `peerId` in this binding's cloud (its position derived from its node id). */
  contactOf(peerId: string, addresses: readonly string[]): PnrpContact {
    let position = this.positions.get(peerId);
    if (position === undefined) {
      position = positionOf(nodeIdFor(this.options.cloud, peerId));
      if (this.positions.size >= 10_000) this.positions.clear();
      this.positions.set(peerId, position);
    }
    return { peerId, addresses: [...addresses], position };
  }

  /** Sends one request over a link to `to` (dialled, or reused) and awaits the matching reply. */
  async request<R extends PnrpRequest>(to: PnrpContact, request: R, signal?: AbortSignal): Promise<PnrpResponseFor<R>> {
    const state = await this.linkTo(to, signal);
    return this.send(state, request, signal) as Promise<PnrpResponseFor<R>>;
  }

  async probe(address: string, signal?: AbortSignal): Promise<PnrpContact> {
    this.checkOpen();
    const link = await this.dialOne(address, undefined, signal);
    const state = this.adopt(link, false);
    const pong = (await this.send(state, { op: 'ping' }, signal)) as PnrpResponseFor<{ op: 'ping' }>;
    return pong.contact;
  }

  /** Closes every link and stops serving. Idempotent. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.inbound?.unsubscribe();
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    for (const state of new Set([...this.links.values(), ...this.accepted])) state.link.close('PC_OK', 'pnrp node closing');
    await this.transport.close();
  }

  private checkOpen(): void {
    if (this.closedFlag) throw new PeerChannelError(ErrorCode.CLOSED, 'pnrp binding is closed');
  }

  private isKeyed(state: LinkState): boolean {
    const id = state.link.remotePeerId;
    return id !== undefined && this.links.get(id) === state;
  }

  private async linkTo(to: PnrpContact, signal?: AbortSignal): Promise<LinkState> {
    this.checkOpen();
    const open = this.links.get(to.peerId);
    if (open !== undefined && open.link.isOpen) return open;
    let dial = this.dialing.get(to.peerId);
    if (dial === undefined) {
      dial = (async () => {
        let last: unknown;
        for (const address of to.addresses.slice(0, this.maxDialAddresses)) {
          try {
            return this.adopt(await this.dialOne(address, to.peerId, signal), false);
          } catch (error) {
            last = error;
          }
        }
        throw new PeerChannelError(ErrorCode.UNREACHABLE, `node ${to.peerId.slice(0, 12)} is unreachable`, { cause: last });
      })().finally(() => this.dialing.delete(to.peerId));
      this.dialing.set(to.peerId, dial);
    }
    return dial;
  }

  private async dialOne(address: string, expectedPeerId: string | undefined, signal?: AbortSignal): Promise<Link> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      return await this.transport.dial(address, { expectedPeerId, signal: combined });
    } catch (error) {
      if (signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, 'pnrp request aborted', { cause: error });
      throw toPeerChannelError(error, ErrorCode.DIAL_FAILED);
    }
  }

  /** Takes charge of a link: reads its frames, and keys it by the peer it authenticated. */
  private adopt(link: Link, inbound: boolean): LinkState {
    const state: LinkState = { link, pending: new Map(), nextId: 0, lastUsed: Date.now(), tokens: this.burst, refilledAt: Date.now() };
    if (inbound && this.openLinks >= 2 * this.maxLinks) {
      link.close(ErrorCode.BUSY, 'pnrp node has too many links');
      return state;
    }
    this.makeRoom();
    if (link.remotePeerId !== undefined && !this.links.get(link.remotePeerId)?.link.isOpen) this.links.set(link.remotePeerId, state);
    else this.accepted.add(state);
    link.setReceiver((frame) => this.receive(state, frame));
    void link.closed.then((info) => {
      if (this.links.get(link.remotePeerId ?? '') === state) this.links.delete(link.remotePeerId as string);
      this.accepted.delete(state);
      const error = new PeerChannelError(ErrorCode.UNREACHABLE, `pnrp link closed: ${info.reason}`);
      for (const p of state.pending.values()) p.reject(error);
      state.pending.clear();
    });
    return state;
  }

  private makeRoom(): void {
    if (this.openLinks < this.maxLinks) return;
    let idlest: LinkState | undefined;
    for (const s of new Set([...this.links.values(), ...this.accepted])) {
      if (s.pending.size === 0 && (idlest === undefined || s.lastUsed < idlest.lastUsed)) idlest = s;
    }
    idlest?.link.close('PC_OK', 'pnrp link limit reached');
  }

  private closeIdle(): void {
    const before = Date.now() - this.idleLinkMs;
    for (const s of new Set([...this.links.values(), ...this.accepted])) {
      if (s.pending.size === 0 && s.lastUsed < before) s.link.close('PC_OK', 'pnrp link idle');
    }
  }

  private send(state: LinkState, request: PnrpRequest, signal?: AbortSignal): Promise<PnrpResponse> {
    this.checkOpen();
    if (signal?.aborted) return Promise.reject(new PeerChannelError(ErrorCode.ABORTED, 'pnrp request aborted'));
    if (this.pendingCount >= this.maxPending) return Promise.reject(new PeerChannelError(ErrorCode.TOO_MANY_PENDING, `more than ${this.maxPending} pnrp requests pending`));
    const id = state.nextId;
    state.nextId = state.nextId >= wire.MAX_REQUEST_ID ? 0 : state.nextId + 1;
    state.lastUsed = Date.now();
    const self = { peerId: this.options.peerId, addresses: this.transport.addresses };
    return new Promise<PnrpResponse>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        state.pending.delete(id);
        this.pendingCount -= 1;
      };
      const onAbort = () => {
        finish();
        reject(new PeerChannelError(ErrorCode.ABORTED, 'pnrp request aborted', { cause: signal?.reason }));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new PeerChannelError(ErrorCode.TIMEOUT, `pnrp ${request.op} got no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pendingCount += 1;
      state.pending.set(id, {
        op: request.op,
        resolve: (r) => (finish(), resolve(r)),
        reject: (e) => (finish(), reject(e)),
      });
      try {
        state.link.send(wire.encodeRequest(id, this.options.cloud, self, request));
      } catch (error) {
        state.pending.get(id)?.reject(toPeerChannelError(error, ErrorCode.LINK_CLOSED));
      }
    });
  }

  private receive(state: LinkState, frame: Uint8Array): void {
    state.lastUsed = Date.now();
    try {
      const decoded = decodeFrame(frame, this.frameLimits);
      if (isCoreFrame(decoded) || decoded.kind !== wire.PNRP_FRAME_KIND) {
        throw new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `pnrp link got frame kind ${decoded.kind}`);
      }
      const envelope = wire.decodeEnvelope(decoded.payload);
      if (envelope.type === wire.MessageType.Request) this.serve(state, envelope);
      else this.answer(state, envelope);
    } catch (error) {
      const e = toPeerChannelError(error, ErrorCode.FRAME_SHAPE);
      this.stats.linksClosed[e.code] = (this.stats.linksClosed[e.code] ?? 0) + 1;
      state.link.close(e.code, e.message.slice(0, 200));
    }
  }

  private serve(state: LinkState, envelope: wire.Envelope): void {
    const now = Date.now();
    state.tokens = Math.min(this.burst, state.tokens + ((now - state.refilledAt) * this.rate) / 1000);
    state.refilledAt = now;
    if (state.tokens < 1) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `more than ${this.rate} pnrp requests per second on one link`);
    state.tokens -= 1;
    const { cloud, from, request } = wire.decodeRequest(envelope.body, this.options.limits);
    const authenticated = state.link.remotePeerId;
    if (authenticated !== undefined && authenticated !== from.peerId) {
      throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, 'pnrp request claims another sender than the link authenticated');
    }
    let reply: Uint8Array;
    try {
      const response = (this.handler as PnrpRequestHandler).handleRequest(this.contactOf(from.peerId, from.addresses), cloud, request);
      reply = wire.encodeReply(envelope.id, this.replyBody(response));
    } catch (error) {
      // The requester learns why (bad signature, store full…); the link itself did nothing wrong.
      const e = toPeerChannelError(error);
      reply = wire.encodeFailure(envelope.id, e.code, e.code === ErrorCode.INTERNAL ? 'internal error' : e.message);
    }
    if (state.link.isOpen) state.link.send(reply);
  }

  private replyBody(response: PnrpResponse): unknown[] {
    switch (response.op) {
      case 'pong':
        return [wire.Op.Ping, response.contact.peerId, response.contact.addresses];
      case 'found':
        return [wire.Op.Find, response.contacts.slice(0, this.options.limits.maxContactsPerReply).map((c) => [c.peerId, c.addresses]), response.records.map(wire.encodeRecord)];
      case 'stored':
        return [wire.Op.Store];
    }
  }

  private answer(state: LinkState, envelope: wire.Envelope): void {
    const pending = state.pending.get(envelope.id);
    if (envelope.type === wire.MessageType.Failure) {
      if (envelope.body.length !== 2) throw wire.shape('failure must be [code, message]');
      if (pending === undefined) return void (this.stats.lateReplies += 1);
      pending.reject(fromWireFault({ code: envelope.body[0], message: envelope.body[1] }));
      return;
    }
    const limits = this.options.limits;
    const [op, a, b] = envelope.body;
    let response: PnrpResponse;
    if (op === wire.Op.Ping && envelope.body.length === 3) {
      const contact = wire.decodeContact([a, b], limits);
      const authenticated = state.link.remotePeerId;
      if (authenticated !== undefined && authenticated !== contact.peerId) throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, 'pong names another peer than the link authenticated');
      response = { op: 'pong', contact: this.contactOf(contact.peerId, contact.addresses) };
      if (authenticated === undefined && !this.links.get(contact.peerId)?.link.isOpen) {
        // Unauthenticated transports: key the link by the peer's own word, for reuse only.
        this.accepted.delete(state);
        this.links.set(contact.peerId, state);
      }
    } else if (op === wire.Op.Find && envelope.body.length === 3) {
      if (!Array.isArray(a) || a.length > limits.maxContactsPerReply) throw wire.shape(`found must carry at most ${limits.maxContactsPerReply} contacts`);
      if (!Array.isArray(b) || b.length > limits.maxRecordsPerReply) throw wire.shape(`found must carry at most ${limits.maxRecordsPerReply} records`);
      const contacts = a.map((c) => wire.decodeContact(c, limits)).map((c) => this.contactOf(c.peerId, c.addresses));
      response = { op: 'found', contacts, records: b.map((r) => wire.decodeRecord(r, limits)) };
    } else if (op === wire.Op.Store && envelope.body.length === 1) {
      response = { op: 'stored' };
    } else {
      throw wire.shape('malformed reply');
    }
    if (pending === undefined) return void (this.stats.lateReplies += 1);
    if (pending.op !== REQUEST_OF[response.op]) throw new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `pnrp reply ${response.op} answers a ${pending.op}`);
    pending.resolve(response);
  }
}
