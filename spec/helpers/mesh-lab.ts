import { randomBytes } from 'node:crypto';
import { type CallBody, defaultFrameLimits } from '../../lib/codec/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import type { PeerId } from '../../lib/identity/peer-id.js';
import type { DeliveredMessage } from '../../lib/mesh/delivered-message.js';
import { Mesh } from '../../lib/mesh/mesh.js';
import { type MeshTuning, type NeighborLimits, defaultNeighborLimits } from '../../lib/mesh/options.js';
import type { ResolvedPeer } from '../../lib/resolver/resolver.js';
import { MemoryNetwork } from '../../lib/transport/memory/memory-network.js';
import { MemoryTransport } from '../../lib/transport/memory/memory-transport.js';
import type { Transport } from '../../lib/transport/transport.js';
import { waitFor } from './wait.js';

/** Options of one lab mesh. */
export interface LabOptions {
  neighbors?: Partial<NeighborLimits>;
  tuning?: Partial<MeshTuning>;
  maintenanceIntervalMs?: number;
  /** Peers offered when below the ideal count (the resolver); counts calls in `resolves`. */
  candidates?: () => readonly ResolvedPeer[];
  /** Wraps the memory transport (e.g. to slow some links). */
  wrap?: (t: Transport) => Transport;
}

/** A lab mesh and what it saw. */
export interface LabPeer {
  readonly mesh: Mesh;
  readonly transport: Transport;
  readonly peerId: PeerId;
  readonly address: string;
  readonly delivered: DeliveredMessage[];
  resolves: number;
}

/**
 * Bare {@link Mesh} objects on one memory network, for specs that look at neighbour state
 * (usefulness, passive view, maintenance counters) that a PeerNode does not expose.
 */
export class MeshLab {
  readonly net = new MemoryNetwork();
  readonly peers: LabPeer[] = [];

  async add(options: LabOptions = {}): Promise<LabPeer> {
    const identity = PeerIdentity.generate();
    const inner = new MemoryTransport(this.net, identity.peerId, {});
    const transport = options.wrap ? options.wrap(inner) : inner;
    const [address] = await transport.listen();
    const peer: LabPeer = {
      transport, peerId: identity.peerId, address: address as string, delivered: [], resolves: 0,
      mesh: undefined as unknown as Mesh,
    };
    const mesh = new Mesh({
      mesh: 'lab',
      identity,
      transport,
      limits: defaultFrameLimits,
      neighbors: { ...defaultNeighborLimits, ...options.neighbors },
      candidates: async () => {
        peer.resolves += 1;
        return (options.candidates?.() ?? []).filter((p) => p.peerId !== identity.peerId);
      },
      requireAuthenticatedLinks: false,
      handshakeTimeoutMs: 5_000,
      seenTtlMs: 60_000,
      seenMaxEntries: 10_000,
      maintenanceIntervalMs: options.maintenanceIntervalMs ?? 40,
      maxReferrals: 10,
      directTtl: 64,
      tuning: options.tuning,
    });
    (peer as { mesh: Mesh }).mesh = mesh;
    mesh.onDeliver = (m) => {
      peer.delivered.push(m);
      return undefined;
    };
    mesh.start();
    this.peers.push(peer);
    return peer;
  }

  async addMany(n: number, options: LabOptions = {}): Promise<LabPeer[]> {
    const out: LabPeer[] = [];
    for (let i = 0; i < n; i++) out.push(await this.add(options));
    return out;
  }

  /** Links `a` to `b` (a dials) and waits until both list each other. */
  async link(a: LabPeer, b: LabPeer): Promise<void> {
    await a.mesh.connect(b.address, { expectedPeerId: b.peerId });
    await waitFor(() => b.mesh.neighbors.has(a.peerId), 'the link on both sides');
  }

  /** Floods a call from `from`; returns its id as the flooder reports it. */
  flood(from: LabPeer, hops?: number): CallBody {
    const body: CallBody = { type: 'call', id: randomBytes(16), origin: from.peerId, target: null, contract: 'lab', operation: 'post', args: [], wantsReply: false };
    from.mesh.flood(body, hops);
    return body;
  }

  /** Sends a directed call from `from` to `to`. */
  direct(from: LabPeer, to: PeerId): CallBody {
    const body: CallBody = { type: 'call', id: randomBytes(16), origin: from.peerId, target: to, contract: 'lab', operation: 'post', args: [], wantsReply: false };
    from.mesh.direct(body as CallBody & { target: string });
    return body;
  }

  /** Stops a peer abruptly: its links drop as a network failure would, with no goodbye. */
  async kill(peer: LabPeer): Promise<void> {
    await peer.transport.close();
    await peer.mesh.close();
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.splice(0).map(async (p) => {
      await p.mesh.close();
      await p.transport.close();
    }));
  }
}

/** True when `peer` delivered the message with this id. */
export function got(peer: LabPeer, body: CallBody): boolean {
  return peer.delivered.some((m) => Buffer.compare(m.body.id, body.id) === 0);
}
