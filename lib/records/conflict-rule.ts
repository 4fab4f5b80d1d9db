/** The fields of a record version that decide a conflict (a {@link RecordAbstract} has them all). */
export interface ConflictFields {
  /** 1 on creation, +1 per update or delete; the higher wins. */
  readonly version: number;
  /** Creation time (ms since the epoch); `modified ≠ created` marks an updated copy. */
  readonly created: number;
  /** Last modification time (ms since the epoch). */
  readonly modified: number;
  /** Peer id (lowercase hex) of the last modifier. */
  readonly lastModifier: string;
  /** The last modifier's signature: the final tie-breaker (longer, then higher bytes). */
  readonly signature: Uint8Array;
}

/**
 * Peer Grouping's conflict rule (MS-PPGRH §3.1.7.32) between two copies of one record.
 *
 * @remarks
 * In order: the higher version wins; else a copy that was updated (modified after its creation)
 * beats one never updated; else the lexicographically higher last-modifier id; else the later
 * modification time; else the longer signature, then the higher signature bytes; else the two
 * are the same. The same answer on every node, whatever the order copies arrive in.
 *
 * @returns a positive number when `a` wins, negative when `b` wins, 0 when they are the same.
 */
export function compareVersions(a: ConflictFields, b: ConflictFields): number {
  if (a.version !== b.version) return a.version > b.version ? 1 : -1;
  const aUpdated = a.modified !== a.created;
  const bUpdated = b.modified !== b.created;
  if (aUpdated !== bUpdated) return aUpdated ? 1 : -1;
  if (a.lastModifier !== b.lastModifier) return a.lastModifier > b.lastModifier ? 1 : -1;
  if (a.modified !== b.modified) return a.modified > b.modified ? 1 : -1;
  if (a.signature.length !== b.signature.length) return a.signature.length > b.signature.length ? 1 : -1;
  return Math.sign(Buffer.compare(a.signature, b.signature));
}
