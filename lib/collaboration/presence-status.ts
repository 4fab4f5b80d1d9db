import type { PeerId } from '../identity/peer-id.js';
import { PeerRecordType, RecordAttribute, RecordField } from '../records/record-decorators.js';

/** A person's availability, as Windows Peer Collaboration names it. */
export const PresenceStatus = {
  /** Not available (also shown for a contact whose presence is unknown or expired). */
  Offline: 'Offline',
  /** Away from the device. */
  Away: 'Away',
  /** Away for a short while. */
  BeRightBack: 'BeRightBack',
  /** Connected but not active. */
  Idle: 'Idle',
  /** Available, but does not want to be disturbed. */
  Busy: 'Busy',
  /** In a call. */
  OnThePhone: 'OnThePhone',
  /** Available. */
  Online: 'Online',
  /** Away for a meal. */
  OutToLunch: 'OutToLunch',
} as const;

/** One of the {@link PresenceStatus} values. */
export type PresenceStatus = (typeof PresenceStatus)[keyof typeof PresenceStatus];

const statuses: ReadonlySet<string> = new Set(Object.values(PresenceStatus));

/** True for one of the {@link PresenceStatus} values. */
export function isPresenceStatus(value: unknown): value is PresenceStatus {
  return typeof value === 'string' && statuses.has(value);
}

/** What a contact's presence looks like to a watcher. */
export interface PresenceInfo {
  /** The contact whose presence this is. */
  readonly peerId: PeerId;
  /** Their availability; `Offline` when their presence record is missing or expired. */
  readonly status: PresenceStatus;
  /** At most 255 characters. */
  readonly note: string;
}

/**
 * The presence record a user keeps in its own presence mesh: one per user, created and updated
 * only by its key (the store refuses an update by anyone but the creator), expiring unless
 * refreshed.
 * @internal
 */
@PeerRecordType('peerchannel.presence')
export class PresenceRecord {
  @RecordAttribute() status!: string;
  @RecordField() note!: string;
}

/**
 * A small published object (an avatar, a profile) a user keeps in its presence mesh, ≤ 16 KiB.
 * @internal
 */
@PeerRecordType('peerchannel.object')
export class PublishedObjectRecord {
  @RecordAttribute() name!: string;
  @RecordField() data!: Uint8Array;
}
