import type { TraceReport } from './trace-report.js';

/** A node that got a traced message, and how. */
export interface TraceReceiver {
  readonly peerId: string;
  /** Neighbour the first copy came from (`undefined` for the sender). */
  readonly via: string | undefined;
  /** Sender first, this node last, following each hop's first copy. */
  readonly path: readonly string[];
  /** False when a node on the way did not report, so the path is cut short at its start. */
  readonly pathComplete: boolean;
  readonly hops: number;
  /** Milliseconds from the send to this node's first copy (its clock against the sender's). */
  readonly ms: number;
  readonly delivered: boolean;
  /** Why it was not delivered or not passed on: `filter`, `hop-limit`, or a `PC_ERR_*` routing code. */
  readonly reason: string | undefined;
  /** The code local delivery refused it with (e.g. `PC_ERR_UNKNOWN_CONTRACT`), if it did. */
  readonly refused: string | undefined;
  readonly forwardedTo: readonly string[];
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
  readonly peerId: string;
  /** The last node that could have passed it on, if any. */
  readonly lastNode: string | undefined;
  readonly reason: MissReason;
}

/** A traced message's tree, as assembled from the reports so far. */
export interface MessageTrace {
  /** Hex message id. */
  readonly id: string;
  readonly origin: string;
  readonly contract: string;
  readonly operation: string;
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
  const missed: TraceMiss[] = [];
  for (const m of [...members].sort()) {
    if (m === head.origin || reports.has(m)) continue;
    missed.push(whyMissed(m, reports, knowledge));
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

function whyMissed(m: string, reports: ReadonlyMap<string, TraceReport>, knowledge: MeshKnowledge): TraceMiss {
  const all = [...reports.values()].sort((a, b) => a.hops - b.hops || (a.peerId < b.peerId ? -1 : 1));
  const pick = (test: (r: TraceReport) => boolean) => all.find(test);
  const forwarded = pick((r) => r.forwardedTo.includes(m));
  if (forwarded) return { peerId: m, lastNode: forwarded.peerId, reason: 'no-report' };
  for (const reason of ['filter', 'hop-limit']) {
    const r = pick((x) => x.neighbors.includes(m) && x.reason === reason);
    if (r) return { peerId: m, lastNode: r.peerId, reason };
  }
  const linked = pick((r) => r.neighbors.includes(m));
  if (linked) return { peerId: m, lastNode: linked.peerId, reason: linked.reason ?? 'not-forwarded' };
  const was = pick((r) => knowledge.links.get(r.peerId)?.has(m) === true || knowledge.links.get(m)?.has(r.peerId) === true);
  if (was) return { peerId: m, lastNode: was.peerId, reason: 'link-down' };
  const knew = pick((r) => r.known.includes(m));
  if (knew) return { peerId: m, lastNode: knew.peerId, reason: 'not-linked' };
  return { peerId: m, lastNode: undefined, reason: 'unreachable' };
}
