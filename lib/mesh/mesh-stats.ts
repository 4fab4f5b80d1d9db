/** Counters a mesh keeps; read them with `node.stats()`. */
export interface MeshStats {
  /** Messages delivered to this node's handlers (floods, directed calls and replies). */
  delivered: number;
  /** Frames passed on to neighbours (payload frames: floods, tree pushes, directed hops). */
  relayed: number;
  /** Copies of already-seen messages that arrived. */
  duplicates: number;
  /** Messages sent by this node. */
  sent: number;
  /** Tree mode: message ids offered lazily (IHAVE entries sent). */
  lazyIds: number;
  /** Tree mode: messages asked for after an IHAVE (GRAFT entries sent). */
  grafts: number;
  /** Tree mode: PRUNE entries sent (a redundant eager link made lazy). */
  prunes: number;
  /** Route requests this node sent or relayed (frames). */
  routeRequests: number;
  /** Route replies this node sent or relayed (frames). */
  routeReplies: number;
  /**
   * Route replies refused: answering no request this node sent or relayed to that neighbour,
   * or not signed by their target in message-signing modes (each also reported as
   * `PC_ERR_ROUTE_FORGED`).
   */
  routeRepliesRefused: number;
  /**
   * Replies that came after their call had settled: after the first reply of a plain flooded
   * reply call, after a gather completed (count reached, timed out or unsubscribed), or after a
   * timeout. Every host answers a flooded request, so in a mesh of N hosts a plain call has N - 1
   * of them: they are normal, counted here and not as drops nor on `errors$`.
   */
  lateReplies: number;
  /** Dropped messages and closed links, by reason code. */
  readonly dropped: Record<string, number>;
}

/** A fresh set of zeroed counters. */
export function emptyStats(): MeshStats {
  return { delivered: 0, relayed: 0, duplicates: 0, sent: 0, lazyIds: 0, grafts: 0, prunes: 0, routeRequests: 0, routeReplies: 0, routeRepliesRefused: 0, lateReplies: 0, dropped: {} };
}

/** Counts one drop under `code`. */
export function countDrop(stats: MeshStats, code: string): void {
  stats.dropped[code] = (stats.dropped[code] ?? 0) + 1;
}
