import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import { compareVersions } from './conflict-rule.js';
import type { SignedRecord } from './record.js';
import type { RecordLimits } from './record-limits.js';

/** What the store knows when it checks one incoming version. */
export interface CheckContext {
  readonly now: number;
  readonly limits: RecordLimits;
  readonly admins: ReadonlySet<string>;
  /** Records the version's creator holds in the store now. */
  readonly heldByCreator: number;
  /** Records the store holds now. */
  readonly held: number;
  readonly validator: ((record: SignedRecord) => void) | undefined;
  /** Refuse a type without a validator. */
  readonly declaredTypesOnly?: boolean;
}

/**
 * The store's checks of a verified record version against what it holds: expiry, authority
 * (only the creator updates; the creator or an admin deletes; a deleted record never changes
 * again), expiry only growing, quotas, and the record type's validator.
 *
 * @returns the coded refusal, or `undefined` when the version may be stored (if it wins).
 */
export function checkIncoming(record: SignedRecord, held: SignedRecord | undefined, ctx: CheckContext): PeerChannelError | undefined {
  const now = ctx.now;
  if (ctx.declaredTypesOnly === true && ctx.validator === undefined) return new PeerChannelError(ErrorCode.RECORD_TYPE_MISMATCH, `record type '${record.type}' is not declared in this store`);
  if (record.expires <= now) return new PeerChannelError(ErrorCode.RECORD_EXPIRED, `record ${record.idHex} expired`);
  if (record.expires > now + ctx.limits.maxTtlMs + 86_400_000) return new PeerChannelError(ErrorCode.RECORD_SHAPE, `record ${record.idHex} expires too far ahead`);
  if (record.deleted && record.version === 1) return new PeerChannelError(ErrorCode.RECORD_SHAPE, 'a tombstone has a version above 1');
  if (record.lastModifier !== record.creator && !(record.deleted && ctx.admins.has(record.lastModifier))) {
    return new PeerChannelError(ErrorCode.RECORD_FORBIDDEN, `record ${record.idHex} changed by ${record.lastModifier.slice(0, 12)}…, neither its creator nor an admin deleting it`);
  }
  if (held !== undefined && compareVersions(record, held) > 0) {
    if (held.deleted) return new PeerChannelError(ErrorCode.RECORD_FORBIDDEN, `record ${record.idHex} was deleted and cannot change again`);
    if (record.type !== held.type || record.created !== held.created) return new PeerChannelError(ErrorCode.RECORD_FORBIDDEN, `record ${record.idHex} cannot change its type or creation time`);
    if (record.expires < held.expires) return new PeerChannelError(ErrorCode.RECORD_EXPIRY_SHRINKS, `record ${record.idHex}: expiry only grows`);
  }
  if (held === undefined) {
    if (ctx.heldByCreator >= ctx.limits.maxRecordsPerCreator) return new PeerChannelError(ErrorCode.RECORD_QUOTA, `creator ${record.creator.slice(0, 12)}… holds ${ctx.limits.maxRecordsPerCreator} records`);
    if (ctx.held >= ctx.limits.maxRecords) return new PeerChannelError(ErrorCode.RECORD_QUOTA, `store holds ${ctx.limits.maxRecords} records`);
  }
  if (!record.deleted) {
    const validate = ctx.validator;
    if (validate !== undefined) {
      try {
        validate(record);
      } catch (error) {
        return toPeerChannelError(error, ErrorCode.RECORD_TYPE_MISMATCH);
      }
    }
  }
  return undefined;
}
