/** Counters a mesh keeps; read them with `node.stats()`. */
export interface MeshStats {
  /** Messages delivered to this node's handlers (floods, directed calls and replies). */
  delivered: number;
  /** Frames passed on to neighbours. */
  relayed: number;
  /** Copies of already-seen messages that arrived. */
  duplicates: number;
  /** Messages sent by this node. */
  sent: number;
  /** Dropped messages and closed links, by reason code. */
  readonly dropped: Record<string, number>;
}

/** A fresh set of zeroed counters. */
export function emptyStats(): MeshStats {
  return { delivered: 0, relayed: 0, duplicates: 0, sent: 0, dropped: {} };
}

/** Counts one drop under `code`. */
export function countDrop(stats: MeshStats, code: string): void {
  stats.dropped[code] = (stats.dropped[code] ?? 0) + 1;
}
