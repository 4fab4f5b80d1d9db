import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { PeerIdentity } from '../../identity/peer-identity.js';
import { mulberry32 } from '../../transport/memory/memory-network.js';
import { PnrpNode, type PnrpNodeOptions } from './pnrp-node.js';
import type { PnrpContact, PnrpRequest, PnrpRequestHandler, PnrpResponseFor, PnrpRpc } from './protocol.js';

/** Options for {@link PnrpSimNetwork}. */
export interface PnrpSimOptions {
  /**
   * Cloud every simulated node joins.
   * @defaultValue 'sim'
   */
  readonly cloud?: string;
  /**
   * Seed of the simulation's randomness (drops, level refreshes), for replayable runs.
   * @defaultValue 1
   */
  readonly seed?: number;
  /**
   * Probability in [0, 1] that a request is lost (the requester sees a timeout).
   * @defaultValue 0
   */
  readonly dropRate?: number;
  /**
   * Start of the virtual clock, milliseconds since the epoch.
   * @defaultValue Date.now() at construction
   */
  readonly startTime?: number;
  /** Protocol tuning applied to every node. */
  readonly node?: Omit<Partial<PnrpNodeOptions>, 'cloud' | 'identity' | 'addresses' | 'rpc' | 'now' | 'random'>;
}

/**
 * Runs many PNRP nodes in one process: requests are direct calls (on a microtask, so the protocol
 * stays asynchronous), with dead nodes, lost requests and hostile handlers injected at will.
 *
 * @remarks
 * The nodes run the very same {@link PnrpNode} logic as on a real network; only the
 * {@link PnrpRpc} differs. Time is virtual: {@link PnrpSimNetwork.advance} moves every node's
 * clock, so expiry can be checked without waiting.
 *
 * @example
 * ```ts
 * const sim = new PnrpSimNetwork({ seed: 7 });
 * const nodes = await sim.grow(500);
 * await nodes[1].publish(record);
 * const found = await nodes[2].resolve('0.lobby');
 * ```
 */
export class PnrpSimNetwork {
  /** The cloud every simulated node joins. */
  readonly cloud: string;
  private readonly nodesById = new Map<string, PnrpNode>();
  private readonly order: PnrpNode[] = [];
  private readonly byAddress = new Map<string, PnrpNode>();
  private readonly handlers = new Map<string, PnrpRequestHandler>();
  private readonly dead = new Set<string>();
  private readonly random: () => number;
  private dropRate: number;
  private time: number;
  /** Requests sent since creation, and how many were lost or hit a dead node. */
  requests = 0;
  /** Of those, requests lost or sent to a dead node. */
  failedRequests = 0;

  constructor(private readonly options: PnrpSimOptions = {}) {
    this.cloud = options.cloud ?? 'sim';
    this.random = mulberry32(options.seed ?? 1);
    this.dropRate = options.dropRate ?? 0;
    this.time = options.startTime ?? Date.now();
  }

  /** The virtual clock, milliseconds since the epoch. */
  now(): number {
    return this.time;
  }

  /** Moves the virtual clock forward. */
  advance(ms: number): void {
    this.time += ms;
  }

  /** Sets the probability that a request is lost. */
  setDropRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'dropRate must be in [0, 1]');
    this.dropRate = rate;
  }

  /** Every node, in creation order. */
  get nodes(): readonly PnrpNode[] {
    return this.order;
  }

  /** Makes a node (not yet joined). */
  addNode(identity: PeerIdentity = PeerIdentity.generate()): PnrpNode {
    const address = `sim://${this.nodesById.size + 1}`;
    let self: PnrpNode | undefined;
    const rpc: PnrpRpc = {
      request: (to, request, signal) => this.deliver(self as PnrpNode, to, request, signal),
      probe: async (target, signal) => {
        const node = this.byAddress.get(target);
        if (node === undefined) throw new PeerChannelError(ErrorCode.DIAL_FAILED, `nothing at ${target}`);
        const pong = await this.deliver(self as PnrpNode, node.contact, { op: 'ping' }, signal);
        return pong.contact;
      },
    };
    self = new PnrpNode({ ...this.options.node, cloud: this.cloud, identity, addresses: [address], rpc, now: () => this.time, random: this.random });
    this.nodesById.set(identity.peerId, self);
    this.order.push(self);
    this.byAddress.set(address, self);
    return self;
  }

  /**
   * Adds `count` nodes one after another, each bootstrapping from up to three random earlier
   * nodes, as a cloud grows.
   */
  async grow(count: number, onProgress?: (joined: number) => void): Promise<PnrpNode[]> {
    const added: PnrpNode[] = [];
    for (let i = 0; i < count; i += 1) {
      const node = this.addNode();
      const earlier = this.order.length - 1;
      const seeds = new Set<string>();
      for (let s = 0; s < 6 && seeds.size < 3 && earlier > 0; s += 1) {
        const seed = this.order[Math.floor(this.random() * earlier)] as PnrpNode;
        if (!this.dead.has(seed.contact.peerId)) seeds.add(seed.contact.addresses[0] as string);
      }
      await node.bootstrap([...seeds]);
      added.push(node);
      onProgress?.(i + 1);
    }
    return added;
  }

  /** Makes a node unreachable: every request to it fails, as if it had vanished. */
  kill(peerId: string): void {
    this.dead.add(peerId);
  }

  /** Brings a killed node back. */
  revive(peerId: string): void {
    this.dead.delete(peerId);
  }

  /** True when the node exists and has not been killed. */
  isAlive(peerId: string): boolean {
    return this.nodesById.has(peerId) && !this.dead.has(peerId);
  }

  /** Answers requests to `peerId` with `handler` instead of its node (e.g. a node that lies). */
  setHandler(peerId: string, handler: PnrpRequestHandler | undefined): void {
    if (handler === undefined) this.handlers.delete(peerId);
    else this.handlers.set(peerId, handler);
  }

  private async deliver<R extends PnrpRequest>(from: PnrpNode, to: PnrpContact, request: R, signal?: AbortSignal): Promise<PnrpResponseFor<R>> {
    this.requests += 1;
    await Promise.resolve();
    if (signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, 'request aborted');
    const node = this.nodesById.get(to.peerId);
    if (node === undefined || this.dead.has(to.peerId) || this.dead.has(from.contact.peerId)) {
      this.failedRequests += 1;
      throw new PeerChannelError(ErrorCode.UNREACHABLE, `node ${to.peerId.slice(0, 12)} does not answer`);
    }
    if (this.dropRate > 0 && this.random() < this.dropRate) {
      this.failedRequests += 1;
      throw new PeerChannelError(ErrorCode.TIMEOUT, 'request lost');
    }
    const handler = this.handlers.get(to.peerId) ?? node;
    return handler.handleRequest(from.contact, from.cloud, request) as PnrpResponseFor<R>;
  }
}
