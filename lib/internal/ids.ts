let counter = 0;

/** A process-unique, human-readable id with a prefix (for links, registrations, logs). */
export function localId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter.toString(36)}`;
}
