import { ErrorCode, fromWireFault, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import type { Link, Transport } from '../../transport/transport.js';
import type { PeerResolver, Registration, ResolvedPeer, ResolveOptions, ResolverComponents } from '../resolver.js';
import { checkMax, checkMesh, checkPeer, checkTtl, closedError, throwIfAborted } from '../resolver-limits.js';
import { decodeResponse, encodeRequest, parsePeers, parseRegistration, ServiceOp, type ServiceRequest } from './protocol.js';

/** Options for {@link resolverService}. */
export interface ResolverServiceOptions {
  /**
   * Where the service listens; with several, each is tried in turn until one answers. A function
   * is asked again before every dial, for services whose address can change (a configuration
   * reload, a DNS lookup, a restarted in-process service).
   */
  readonly address: string | readonly string[] | (() => string | readonly string[] | Promise<string | readonly string[]>);
  /** The service's peer id: when given, a server that cannot prove it is refused. */
  readonly peerId?: string;
  /**
   * Registration lifetime to ask for; the server may grant less (its `ttlMs`) or more (its
   * `minTtlMs`).
   * @defaultValue the server's choice
   */
  readonly ttlMs?: number;
  /**
   * Time for one request (dial included) before it fails with `PC_ERR_TIMEOUT`.
   * @defaultValue 5000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Most requests awaiting an answer; more fail with `PC_ERR_TOO_MANY_PENDING`.
   * @defaultValue 256
   */
  readonly maxPending?: number;
}

/**
 * A resolver that asks a {@link resolverServer} over the node's own kind of transport.
 *
 * @remarks
 * One link to the service is dialed on first use and re-dialed after it breaks, so the client
 * survives a restart of the service at the same address: requests in flight when the link breaks
 * fail with `PC_ERR_RESOLVER_FAILED`, the next request dials again, and a refresh answered
 * `PC_ERR_NOT_REGISTERED` (the restarted server forgot everything) makes the
 * {@link RegistrationKeeper} register again. A service that moved must be given its new address
 * (or listed among several in `address`). Answers are validated like any inbound frame.
 *
 * @example
 * ```ts
 * const node = await PeerNode.open('net.p2p://room', {
 *   resolver: resolverService({ address: 'wss://10.0.0.2:7000', peerId: servicePeerId }),
 * });
 * ```
 */
export function resolverService(options: ResolverServiceOptions): (components: ResolverComponents) => ResolverServiceClient {
  const given = options.address;
  const settings: ClientSettings = {
    addresses: typeof given === 'function' ? async () => checkAddresses(await given()) : ((list) => () => list)(checkAddresses(given)),
    peerId: options.peerId,
    ttlMs: options.ttlMs === undefined ? null : checkTtl(options.ttlMs),
    requestTimeoutMs: checkTtl(options.requestTimeoutMs ?? 5000, 'requestTimeoutMs'),
    maxPending: options.maxPending ?? 256,
  };
  return (components) => new ResolverServiceClient(settings, components);
}

function checkAddresses(given: string | readonly string[]): readonly string[] {
  const list = typeof given === 'string' ? [given] : [...given];
  if (list.length === 0 || list.length > 16 || !list.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 512)) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'resolverService needs 1..16 addresses');
  }
  return list;
}

interface ClientSettings {
  readonly addresses: () => readonly string[] | Promise<readonly string[]>;
  readonly peerId: string | undefined;
  readonly ttlMs: number | null;
  readonly requestTimeoutMs: number;
  readonly maxPending: number;
}

interface Pending {
  readonly op: ServiceRequest['op'];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: PeerChannelError) => void;
  readonly timer: NodeJS.Timeout;
}

type RequestBody = ServiceRequest extends infer R ? (R extends ServiceRequest ? Omit<R, 'req'> : never) : never;

/** @internal The resolver {@link resolverService} makes. */
export class ResolverServiceClient implements PeerResolver {
  readonly name = 'service';
  private transport: Transport | undefined;
  private current: Link | undefined;
  private dialing: Promise<Link> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextReq = 1;
  private preferred = 0;
  private closed = false;

  constructor(
    private readonly settings: ClientSettings,
    private readonly components: ResolverComponents,
  ) {}

  register(mesh: string, peer: ResolvedPeer, options: { signal?: AbortSignal } = {}): Promise<Registration> {
    const body = { op: ServiceOp.Register, mesh: checkMesh(mesh), peer: checkPeer(peer), ttlMs: this.settings.ttlMs } as const;
    return this.request(body, options.signal, (value, abandoned) => {
      const reg = parseRegistration(value);
      if (reg === undefined) throw this.badAnswer('register');
      // The caller gave up before the answer came: withdraw what it will never refresh.
      if (abandoned) void this.unregister(reg.id).catch(() => undefined);
      return reg;
    });
  }

  refresh(registrationId: string): Promise<Registration> {
    return this.request({ op: ServiceOp.Refresh, id: String(registrationId) }, undefined, (value) => {
      const reg = parseRegistration(value);
      if (reg === undefined) throw this.badAnswer('refresh');
      return reg;
    });
  }

  async unregister(registrationId: string): Promise<void> {
    await this.request({ op: ServiceOp.Unregister, id: String(registrationId) }, undefined, () => undefined);
  }

  resolve(mesh: string, options: ResolveOptions = {}): Promise<readonly ResolvedPeer[]> {
    const max = checkMax(options.max);
    return this.request({ op: ServiceOp.Resolve, mesh: checkMesh(mesh), max }, options.signal, (value) => {
      const peers = parsePeers(value, max);
      if (peers === undefined) throw this.badAnswer('resolve');
      return peers;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [req, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(req);
      p.reject(closedError(this.name));
    }
    this.current?.close('PC_OK', 'resolver client closing');
    this.current = undefined;
    // A dial in flight sees `closed` and closes its link itself; its failure is expected here.
    await this.dialing?.catch(() => undefined);
    await this.transport?.close();
  }

  private badAnswer(what: string): PeerChannelError {
    const error = new PeerChannelError(ErrorCode.FRAME_SHAPE, `resolver service sent a malformed ${what} answer`);
    this.current?.close(error.code, error.message);
    return error;
  }

  private async request<T>(body: RequestBody, signal: AbortSignal | undefined, parse: (value: unknown, abandoned: boolean) => T): Promise<T> {
    if (this.closed) throw closedError(this.name);
    throwIfAborted(signal, 'resolver request');
    if (this.pending.size >= this.settings.maxPending) {
      throw new PeerChannelError(ErrorCode.TOO_MANY_PENDING, `${this.settings.maxPending} resolver requests already pending`);
    }
    const req = this.nextReq;
    this.nextReq = this.nextReq >= 0xffff_ffff ? 1 : this.nextReq + 1;
    let abandoned = false;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject(new PeerChannelError(ErrorCode.TIMEOUT, `resolver service did not answer within ${this.settings.requestTimeoutMs} ms`));
      }, this.settings.requestTimeoutMs);
      this.pending.set(req, { op: body.op, resolve, reject, timer });
    });
    const onAbort = () => {
      const p = this.pending.get(req);
      if (p === undefined) return;
      abandoned = true;
      p.reject(new PeerChannelError(ErrorCode.ABORTED, 'resolver request aborted', { cause: signal?.reason }));
      // Keep the entry (without a caller) so a late register answer is still withdrawn.
      this.pending.set(req, { ...p, resolve: (v) => void safely(() => parse(v, true)), reject: () => undefined });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const link = await this.connect();
      link.send(encodeRequest({ ...body, req } as ServiceRequest));
      return parse(await answer, abandoned);
    } catch (error) {
      const p = this.pending.get(req);
      if (p !== undefined && !abandoned) {
        clearTimeout(p.timer);
        this.pending.delete(req);
      }
      answer.catch(() => undefined); // settled through the catch above; keep it from going unhandled
      throw toPeerChannelError(error, ErrorCode.RESOLVER_FAILED);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async connect(): Promise<Link> {
    if (this.current?.isOpen) return this.current;
    this.dialing ??= this.dial().finally(() => (this.dialing = undefined));
    return this.dialing;
  }

  private async dial(): Promise<Link> {
    this.transport ??= this.components.createTransport();
    const addresses = await this.settings.addresses();
    let last: unknown;
    for (let i = 0; i < addresses.length; i++) {
      const index = (this.preferred + i) % addresses.length;
      try {
        const link = await this.transport.dial(addresses[index] as string, { expectedPeerId: this.settings.peerId });
        if (this.closed) {
          link.close('PC_OK', 'resolver client closed');
          throw closedError(this.name);
        }
        this.preferred = index;
        this.current = link;
        this.attach(link);
        return link;
      } catch (error) {
        last = error;
        if (this.closed) break;
      }
    }
    throw new PeerChannelError(ErrorCode.RESOLVER_FAILED, `resolver service unreachable: ${toPeerChannelError(last).message}`, { cause: last });
  }

  private attach(link: Link): void {
    link.setReceiver((frame) => {
      let response;
      try {
        response = decodeResponse(frame);
      } catch (error) {
        const e = toPeerChannelError(error, ErrorCode.FRAME_SHAPE);
        link.close(e.code, e.message.slice(0, 200));
        return;
      }
      const p = this.pending.get(response.req);
      // A late answer to a request that timed out: nothing waits for it any more.
      if (p === undefined) return;
      clearTimeout(p.timer);
      this.pending.delete(response.req);
      if (response.op === ServiceOp.Ok) p.resolve(response.value);
      else p.reject(fromWireFault(response));
    });
    void link.closed.then((info) => {
      if (this.current !== link) return;
      this.current = undefined;
      const error = new PeerChannelError(ErrorCode.RESOLVER_FAILED, `resolver service link closed: ${info.code} ${info.reason}`);
      for (const [req, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(req);
        p.reject(error);
      }
    });
  }
}

function safely(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    // A malformed late answer to an abandoned request: the link is already being closed for it.
    void error;
  }
}
