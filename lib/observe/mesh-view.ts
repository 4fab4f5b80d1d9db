import type { FrameLimits } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { MAX_REPORT_PEERS } from './observe-options.js';

/** One link as a node describes it. */
export interface LinkDescription {
  /** The neighbour at the other end. */
  readonly peerId: string;
  /** Share of new messages over both directions of the link, in [0, 1]. */
  readonly utility: number;
  /** `outbound` when the describing node dialled the link. */
  readonly direction: 'inbound' | 'outbound';
  /** Frames queued on the link and not yet handed to the network. */
  readonly queued: number;
}

/** What a node says about itself in answer to a mesh-view query. */
export interface NodeDescription {
  /** The node that answered (the sender the mesh authenticated, not a field it chose). */
  readonly peerId: string;
  /** Its status when it answered. */
  readonly status: 'online' | 'offline';
  /** Its links (at most 64). */
  readonly neighbors: readonly LinkDescription[];
  /** Messages it sent (its `stats().sent`). */
  readonly sent: number;
  /** Messages delivered to it. */
  readonly delivered: number;
  /** Messages it passed on. */
  readonly relayed: number;
  /** Duplicate copies it received. */
  readonly duplicates: number;
  /** Drops by code (at most 64 codes). */
  readonly dropped: Readonly<Record<string, number>>;
  /** When it answered (its clock, ms since the epoch). */
  readonly at: number;
}

/** The mesh as gathered: every node that answered, and the links between them. */
export interface MeshView {
  /** Every node that answered in time, this one included. */
  readonly nodes: readonly NodeDescription[];
  /** Each link once (`a < b`), with the utility its two ends report (mean when both do). */
  readonly links: readonly {
    /** The lower peer id of the two ends. */
    readonly a: string;
    /** The higher peer id. */
    readonly b: string;
    /** Share of new messages over the link, in [0, 1]. */
    readonly utility: number;
  }[];
  /** When the gather finished (ms since the epoch). */
  readonly at: number;
}

function shape(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.FRAME_SHAPE, `node description: ${message}`);
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw shape(`${what} must be a non-negative integer`);
  return v;
}

/** Encodes a description as its wire tuple (the peer id is not in it: the mesh names the sender). */
export function encodeDescription(d: Omit<NodeDescription, 'peerId'>): unknown[] {
  return [
    d.status === 'online' ? 1 : 0,
    d.neighbors.slice(0, MAX_REPORT_PEERS).map((n) => [n.peerId, n.utility, n.direction === 'outbound' ? 1 : 0, n.queued]),
    [d.sent, d.delivered, d.relayed, d.duplicates],
    Object.entries(d.dropped).slice(0, MAX_REPORT_PEERS),
    d.at,
  ];
}

/**
 * Decodes and bounds a description from an untrusted peer.
 * @throws PeerChannelError `PC_ERR_FRAME_SHAPE`.
 */
export function decodeDescription(raw: unknown, peerId: string, limits: FrameLimits): NodeDescription {
  if (!Array.isArray(raw) || raw.length !== 5) throw shape('must be a tuple of 5');
  const [status, neighbors, counters, dropped, at] = raw as unknown[];
  if (status !== 0 && status !== 1) throw shape('status must be 0 or 1');
  if (!Array.isArray(neighbors) || neighbors.length > MAX_REPORT_PEERS) throw shape(`neighbours must be a list of at most ${MAX_REPORT_PEERS}`);
  if (!Array.isArray(counters) || counters.length !== 4) throw shape('counters must be a tuple of 4');
  if (!Array.isArray(dropped) || dropped.length > MAX_REPORT_PEERS) throw shape(`drops must be a list of at most ${MAX_REPORT_PEERS}`);
  if (typeof at !== 'number' || !Number.isFinite(at)) throw shape('at must be a number');
  const drops: Record<string, number> = Object.create(null);
  for (const d of dropped) {
    if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== 'string' || d[0].length > limits.maxNameLength) throw shape('a drop must be [code, count]');
    drops[d[0]] = count(d[1], 'drop count');
  }
  return {
    peerId,
    status: status === 1 ? 'online' : 'offline',
    neighbors: neighbors.map((n) => {
      if (!Array.isArray(n) || n.length !== 4) throw shape('a neighbour must be [peerId, utility, direction, queued]');
      const [id, utility, direction, queued] = n as unknown[];
      if (typeof id !== 'string' || id.length === 0 || id.length > limits.maxNameLength) throw shape('neighbour id must be a peer id');
      if (typeof utility !== 'number' || !(utility >= 0 && utility <= 1)) throw shape('utility must be in [0, 1]');
      if (direction !== 0 && direction !== 1) throw shape('direction must be 0 or 1');
      return { peerId: id, utility, direction: direction === 1 ? 'outbound' : 'inbound', queued: count(queued, 'queued') } as const;
    }),
    sent: count(counters[0], 'sent'),
    delivered: count(counters[1], 'delivered'),
    relayed: count(counters[2], 'relayed'),
    duplicates: count(counters[3], 'duplicates'),
    dropped: drops,
    at,
  };
}

/** Joins descriptions into a view: each link once, between nodes that answered or that they name. */
export function assembleMeshView(nodes: readonly NodeDescription[], at: number): MeshView {
  const links = new Map<string, { a: string; b: string; sum: number; n: number }>();
  for (const node of nodes) {
    for (const l of node.neighbors) {
      const [a, b] = node.peerId < l.peerId ? [node.peerId, l.peerId] : [l.peerId, node.peerId];
      const key = `${a} ${b}`;
      const e = links.get(key) ?? { a, b, sum: 0, n: 0 };
      e.sum += l.utility;
      e.n += 1;
      links.set(key, e);
    }
  }
  const sorted = [...nodes].sort((x, y) => (x.peerId < y.peerId ? -1 : 1));
  return { nodes: sorted, links: [...links.values()].map((l) => ({ a: l.a, b: l.b, utility: l.sum / l.n })), at };
}
