import type { TraceReport } from './trace-report.js';

/** A node that got a traced message, and how. */
export interface TraceReceiver {
  /** The node that reported. */
  readonly peerId: string;
  /** Neighbour the first copy came from (`undefined` for the sender). */
  readonly via: string | undefined;
  /** Sender first, this node last, following each hop's first copy. */
  readonly path: readonly string[];
  /** False when a node on the way did not report, so the path is cut short at its start. */
  readonly pathComplete: boolean;
  /** Hops its first copy had travelled (0 for the sender). */
  readonly hops: number;
  /** Milliseconds from the send to this node's first copy (its clock against the sender's). */
  readonly ms: number;
  /** True when it delivered the message locally. */
  readonly delivered: boolean;
  /** Why it was not delivered or not passed on: `filter`, `hop-limit`, or a `PC_ERR_*` routing code. */
  readonly reason: string | undefined;
  /** The code local delivery refused it with (e.g. `PC_ERR_UNKNOWN_CONTRACT`), if it did. */
  readonly refused: string | undefined;
  /** Neighbours it passed the message on to. */
  readonly forwardedTo: readonly string[];
  /** Neighbours that sent it further copies (duplicates, neither delivered nor forwarded). */
  readonly duplicatesFrom: readonly string[];
}

/**
 * Why a known member missed a traced message:
 * - `no-report`: `lastNode` passed it on, but no report came back (the member did not get it, does
 *   not answer traces, or its report was rate-limited);
 * - `filter`: `lastNode` is linked to it and got the message, but its propagation filter kept it;
 * - `hop-limit`: `lastNode` is linked to it and got the message with no hops left;
 * - `link-down`: `lastNode` got the message and was linked to it in the last mesh view, not any more;
 * - `not-linked`: `lastNode` got the message and knew of it, without a link;
 * - `unreachable`: no node that got the message is or was linked to it, as far as the reports tell.
 */
export type MissReason = 'no-report' | 'filter' | 'hop-limit' | 'link-down' | 'not-linked' | 'unreachable' | (string & {});

/** A known mesh member that did not get a traced message. */
export interface TraceMiss {
  /** The member that sent no report. */
  readonly peerId: string;
  /** The last node that could have passed it on, if any. */
  readonly lastNode: string | undefined;
  /** Why it missed the message (see {@link MissReason}). */
  readonly reason: MissReason;
}

/** A traced message's tree, as assembled from the reports so far. */
export interface MessageTrace {
  /** Hex message id. */
  readonly id: string;
  /** Peer id of the sender (this node). */
  readonly origin: string;
  /** The contract's wire name. */
  readonly contract: string;
  /** The operation's wire name. */
  readonly operation: string;
  /** A flood (with or without a hop limit) or a directed call. */
  readonly kind: 'flood' | 'direct';
  /** When it was sent (the sender's clock, ms since the epoch). */
  readonly sentAt: number;
  /** True once the trace stopped collecting reports (`traceTtlMs` after the send). */
  readonly complete: boolean;
  /** Every node that reported, the sender first, then by hops. */
  readonly receivers: readonly TraceReceiver[];
  /** Known members with no report, each with the last node that could have passed it on and why it did not. */
  readonly missed: readonly TraceMiss[];
  /** Reports past `maxReportsPerTrace`, or that did not fit their trace. */
  readonly reportsDropped: number;
}

/** What the assembly knows about the mesh besides the reports. @internal */
export interface MeshKnowledge {
  /** Members known from mesh views and elsewhere. */
  readonly members: Iterable<string>;
  /** Links of the last mesh view, by peer. */
  readonly links: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Assembles a trace's tree from its reports (the sender's own among them). @internal */
export function assembleTrace(
  head: Omit<MessageTrace, 'receivers' | 'missed'>,
  reports: ReadonlyMap<string, TraceReport>,
  knowledge: MeshKnowledge,
): MessageTrace {
  const receivers: TraceReceiver[] = [];
  for (const r of reports.values()) {
    const { path, complete } = pathOf(r.peerId, head.origin, reports);
    receivers.push({
      peerId: r.peerId, via: r.via, path, pathComplete: complete, hops: r.hops, ms: Math.max(0, r.at - head.sentAt),
      delivered: r.delivered, reason: r.reason, refused: r.refused, forwardedTo: r.forwardedTo, duplicatesFrom: r.duplicatesFrom,
    });
  }
  receivers.sort((a, b) => (a.peerId === head.origin ? -1 : b.peerId === head.origin ? 1 : a.hops - b.hops || (a.peerId < b.peerId ? -1 : 1)));
  const members = new Set<string>(knowledge.members);
  for (const r of reports.values()) {
    for (const p of r.neighbors) members.add(p);
    for (const p of r.forwardedTo) members.add(p);
    for (const p of r.known) members.add(p);
  }
  const reasons = missReasons(head.origin, reports, knowledge);
  const missed: TraceMiss[] = [];
  for (const m of [...members].sort()) {
    if (m === head.origin || reports.has(m)) continue;
    missed.push(reasons.get(m) ?? { peerId: m, lastNode: undefined, reason: 'unreachable' });
  }
  return { ...head, receivers, missed };
}

function pathOf(peer: string, origin: string, reports: ReadonlyMap<string, TraceReport>): { path: string[]; complete: boolean } {
  const path = [peer];
  const seen = new Set(path);
  let cur = peer;
  while (cur !== origin) {
    const via = reports.get(cur)?.via;
    if (via === undefined || seen.has(via)) return { path, complete: false };
    path.unshift(via);
    seen.add(via);
    cur = via;
  }
  return { path, complete: true };
}

/**
 * For every peer some report points at, the best explanation of why it may have missed the
 * message, in this order: passed on but not reported, held by a filter, out of hops, not passed
 * on, link gone since the last mesh view, known but not linked. Reports are read nearest first,
 * so among equals the node closest to the sender is named. One pass over the reports.
 */
function missReasons(origin: string, reports: ReadonlyMap<string, TraceReport>, knowledge: MeshKnowledge): Map<string, TraceMiss> {
  const all = [...reports.values()].sort((a, b) => a.hops - b.hops || (a.peerId < b.peerId ? -1 : 1));
  const links = new Map<string, Set<string>>();
  const addLink = (a: string, b: string) => {
    let set = links.get(a);
    if (set === undefined) links.set(a, (set = new Set()));
    set.add(b);
  };
  for (const [a, set] of knowledge.links) for (const b of set) (addLink(a, b), addLink(b, a));
  const best = new Map<string, { rank: number; miss: TraceMiss }>();
  const offer = (peerId: string, rank: number, lastNode: string, reason: string) => {
    if (peerId === origin || reports.has(peerId)) return;
    const b = best.get(peerId);
    if (b === undefined || rank < b.rank) best.set(peerId, { rank, miss: { peerId, lastNode, reason } });
  };
  for (const r of all) {
    for (const p of r.forwardedTo) offer(p, 0, r.peerId, 'no-report');
    const rank = r.reason === 'filter' ? 1 : r.reason === 'hop-limit' ? 2 : 3;
    for (const p of r.neighbors) offer(p, rank, r.peerId, r.reason ?? 'not-forwarded');
    for (const p of links.get(r.peerId) ?? []) offer(p, 4, r.peerId, 'link-down');
    for (const p of r.known) offer(p, 5, r.peerId, 'not-linked');
  }
  return new Map([...best].map(([k, v]) => [k, v.miss]));
}
