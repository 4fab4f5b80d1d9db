import type { SignedRecord } from './record.js';
import type { RecordAbstract } from './sync/sync-source.js';

/** The abstract of a record version. */
export function abstractOf(r: SignedRecord): RecordAbstract {
  return {
    hash: r.hash,
    recordId: r.id,
    version: r.version,
    created: r.created,
    modified: r.modified,
    expires: r.expires,
    lastModifier: r.lastModifier,
    deleted: r.deleted,
    signature: r.signature,
  };
}
