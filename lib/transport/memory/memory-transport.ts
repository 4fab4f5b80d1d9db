import { Subject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { localId } from '../../internal/ids.js';
import type { DialOptions, FrameReceiver, Link, LinkCloseInfo, Transport, TransportComponents, TransportFactory } from '../transport.js';
import type { MemoryNetwork } from './memory-network.js';

/** Options for {@link memoryTransport}. */
export interface MemoryTransportOptions {
  /**
   * Most frames queued on one link before `send` fails with `PC_ERR_LINK_QUEUE_FULL`.
   * @defaultValue 4096
   */
  readonly maxPendingSends?: number;
  /**
   * Most inbound frames buffered while a link has no receiver.
   * @defaultValue 1024
   */
  readonly maxBufferedFrames?: number;
  /**
   * Frames this transport's links hand to the network per turn of the event loop; a small
   * number makes a slow peer. `Infinity` is unlimited.
   * @defaultValue Infinity
   */
  readonly framesPerTick?: number;
}

/**
 * Makes in-process transports attached to `network`, for tests and simulations.
 *
 * @example
 * ```ts
 * const net = new MemoryNetwork();
 * const node = await PeerNode.open('net.p2p://room', { transport: memoryTransport(net) });
 * ```
 */
export function memoryTransport(network: MemoryNetwork, options: MemoryTransportOptions = {}): TransportFactory {
  return (components: TransportComponents) => new MemoryTransport(network, components.identity.peerId, options);
}

/** @internal The in-process {@link Transport}. */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  private readonly inbound = new Subject<Link>();
  readonly inbound$: Observable<Link> = this.inbound.asObservable();
  private readonly links = new Set<MemoryLink>();
  private listening: string[] = [];
  private closedFlag = false;
  readonly maxPendingSends: number;
  readonly maxBufferedFrames: number;
  framesPerTick: number;

  constructor(
    readonly network: MemoryNetwork,
    readonly peerId: string,
    options: MemoryTransportOptions,
  ) {
    this.maxPendingSends = options.maxPendingSends ?? 4096;
    this.maxBufferedFrames = options.maxBufferedFrames ?? 1024;
    this.framesPerTick = options.framesPerTick ?? Infinity;
  }

  get addresses(): readonly string[] {
    return this.listening;
  }

  async listen(): Promise<readonly string[]> {
    if (this.closedFlag) throw new PeerChannelError(ErrorCode.CLOSED, 'transport is closed');
    if (this.listening.length === 0) this.listening = [this.network.attach(this)];
    return this.listening;
  }

  async dial(address: string, options: DialOptions = {}): Promise<Link> {
    if (this.closedFlag) throw new PeerChannelError(ErrorCode.CLOSED, 'transport is closed');
    if (options.signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, 'dial aborted');
    const remote = this.network.lookup(address);
    if (remote === undefined || remote.closedFlag) {
      throw new PeerChannelError(ErrorCode.DIAL_FAILED, `nothing listens at ${address}`);
    }
    if (!this.network.reachable(this.peerId, remote.peerId)) {
      throw new PeerChannelError(ErrorCode.DIAL_FAILED, `${address} is unreachable (partition)`);
    }
    if (options.expectedPeerId !== undefined && options.expectedPeerId !== remote.peerId) {
      throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, `${address} is not peer ${options.expectedPeerId.slice(0, 12)}`);
    }
    const local = new MemoryLink(this, 'outbound', remote.peerId, address);
    const far = new MemoryLink(remote, 'inbound', this.peerId, this.listening[0] ?? `memory://dialer-${this.peerId.slice(0, 8)}`);
    local.peer = far;
    far.peer = local;
    this.links.add(local);
    remote.links.add(far);
    // Accept on a later turn, as a real network would.
    setImmediate(() => {
      if (far.isOpen) remote.inbound.next(far);
    });
    return local;
  }

  /** @internal */
  closeLinksTo(peerId: string): number {
    let n = 0;
    for (const link of [...this.links]) {
      if (link.remotePeerId === peerId && link.isOpen) {
        link.abort(ErrorCode.LINK_CLOSED, 'link cut');
        n += 1;
      }
    }
    return n;
  }

  /** @internal */
  forget(link: MemoryLink): void {
    this.links.delete(link);
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const link of [...this.links]) link.close('PC_OK', 'transport closed');
    this.network.detach(this);
    this.inbound.complete();
  }
}

/** @internal One end of an in-process link. */
export class MemoryLink implements Link {
  readonly id = localId('mem');
  peer!: MemoryLink;
  private receiver: FrameReceiver | undefined;
  private readonly buffered: Uint8Array[] = [];
  private readonly outbox: Uint8Array[] = [];
  private flushScheduled = false;
  private open = true;
  private resolveClosed!: (info: LinkCloseInfo) => void;
  readonly closed: Promise<LinkCloseInfo> = new Promise((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly owner: MemoryTransport,
    readonly direction: 'inbound' | 'outbound',
    readonly remotePeerId: string,
    readonly remoteAddress: string,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  get pendingSends(): number {
    return this.outbox.length;
  }

  send(frame: Uint8Array): void {
    if (!this.open) throw new PeerChannelError(ErrorCode.LINK_CLOSED, 'link is closed');
    if (this.outbox.length >= this.owner.maxPendingSends) {
      this.close(ErrorCode.LINK_QUEUE_FULL, 'send queue full');
      throw new PeerChannelError(ErrorCode.LINK_QUEUE_FULL, `more than ${this.owner.maxPendingSends} frames pending`);
    }
    this.outbox.push(frame);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.open) return;
    const budget = this.owner.framesPerTick;
    const n = Math.min(this.outbox.length, budget);
    const batch = this.outbox.splice(0, n);
    const net = this.owner.network;
    const reachable = net.reachable(this.owner.peerId, this.remotePeerId);
    for (const sent of batch) {
      const delay = net.fate();
      if (delay < 0 || !reachable) continue;
      // The receiver owns what it is handed (a relay rewrites hop fields in place), as with a
      // real network: never the sender's own bytes, which it may be sending to others too.
      const frame = sent.slice();
      if (delay === 0) this.peer.arrive(frame);
      else setTimeout(() => this.peer.arrive(frame), delay).unref?.();
    }
    if (this.outbox.length > 0) this.scheduleFlush();
  }

  /** @internal */
  arrive(frame: Uint8Array): void {
    if (!this.open) return;
    if (this.receiver !== undefined) {
      this.receiver(frame);
      return;
    }
    if (this.buffered.length >= this.owner.maxBufferedFrames) {
      this.abort(ErrorCode.LINK_QUEUE_FULL, 'receive buffer full');
      return;
    }
    this.buffered.push(frame);
  }

  setReceiver(receiver: FrameReceiver | undefined): void {
    this.receiver = receiver;
    while (this.receiver !== undefined && this.buffered.length > 0 && this.open) {
      const frame = this.buffered.shift() as Uint8Array;
      this.receiver(frame);
    }
  }

  close(code: LinkCloseInfo['code'], reason: string): void {
    if (!this.open) return;
    const unsent = this.outbox.splice(0);
    this.finish({ code, reason, remote: false });
    // Frames already queued go out first; the close notice follows them.
    const peer = this.peer;
    const reachable = this.owner.network.reachable(this.owner.peerId, this.remotePeerId);
    setImmediate(() => {
      if (reachable) for (const frame of unsent) if (this.owner.network.fate() >= 0) peer.arrive(frame);
      peer.finish({ code, reason, remote: true });
    });
  }

  /** @internal Ends both sides at once, as a network failure. */
  abort(code: LinkCloseInfo['code'], reason: string): void {
    this.finish({ code, reason, remote: true });
    this.peer.finish({ code, reason, remote: true });
  }

  /** @internal */
  finish(info: LinkCloseInfo): void {
    if (!this.open) return;
    this.open = false;
    this.outbox.length = 0;
    this.buffered.length = 0;
    this.receiver = undefined;
    this.owner.forget(this);
    this.resolveClosed(info);
  }
}
