/** Bounds of the collaboration layer; every one is enforced and fails with its own code. */
export interface CollaborationLimits {
  /** Longest presence note, in characters (`PC_ERR_PRESENCE_LIMIT`). @defaultValue 255 */
  readonly maxNoteLength: number;
  /** Largest published object, in bytes (`PC_ERR_PRESENCE_LIMIT`). @defaultValue 16_384 */
  readonly maxObjectBytes: number;
  /** Most published objects a user keeps at once (`PC_ERR_PRESENCE_LIMIT`). @defaultValue 16 */
  readonly maxObjects: number;
  /** Most registered applications per user (`PC_ERR_APPLICATION_INVALID`). @defaultValue 64 */
  readonly maxApplications: number;
  /** Longest invitation message, in characters (`PC_ERR_INVITATION_INVALID`). @defaultValue 255 */
  readonly maxInvitationMessageLength: number;
  /** Largest invitation data, in bytes (`PC_ERR_INVITATION_INVALID`). @defaultValue 16_384 */
  readonly maxInvitationDataBytes: number;
  /** Longest lifetime an invitation may ask for (`PC_ERR_INVITATION_INVALID`). @defaultValue 3_600_000 (1 hour) */
  readonly maxInvitationTtlMs: number;
  /** Most received invitations waiting for an answer (`PC_ERR_INVITATION_LIMIT`). @defaultValue 64 */
  readonly maxPendingInvitations: number;
  /** Most invitations this user waits on at once (`PC_ERR_INVITATION_LIMIT`). @defaultValue 64 */
  readonly maxOutgoingInvitations: number;
  /** Invitation ids remembered against replays. @defaultValue 4_096 */
  readonly maxSeenInvitations: number;
  /** Most contacts in a contact store (`PC_ERR_CONTACT_LIMIT`). @defaultValue 1_000 */
  readonly maxContacts: number;
  /** Largest contact card read, in bytes (`PC_ERR_CARD_INVALID`). @defaultValue 16_384 */
  readonly maxCardBytes: number;
  /**
   * Most contacts' presence meshes joined at once, and separately most invitees' inboxes joined
   * at once (`PC_ERR_CONTACT_LIMIT`). @defaultValue 64
   */
  readonly maxWatchedContacts: number;
  /** Most links into my presence mesh (trusted contacts watching me) and, separately, into my inbox. @defaultValue 64 */
  readonly maxWatchers: number;
  /**
   * Envelopes (invitations, withdrawals, answers) one sender may deliver at once before the rate
   * applies; the rest fail with `PC_ERR_INVITATION_RATE_LIMITED`, checked before any decoding. @defaultValue 8
   */
  readonly senderBurst: number;
  /** Envelopes per second one sender's allowance refills by. @defaultValue 1 */
  readonly senderPerSecond: number;
  /** Senders whose rate is tracked; past it the idlest is forgotten. @defaultValue 1_024 */
  readonly maxTrackedSenders: number;
  /** Most received invitations from one sender waiting for an answer (`PC_ERR_INVITATION_LIMIT`). @defaultValue 4 */
  readonly maxPendingPerSender: number;
}

/** The default {@link CollaborationLimits}. */
export const defaultCollaborationLimits: CollaborationLimits = Object.freeze({
  maxNoteLength: 255,
  maxObjectBytes: 16_384,
  maxObjects: 16,
  maxApplications: 64,
  maxInvitationMessageLength: 255,
  maxInvitationDataBytes: 16_384,
  maxInvitationTtlMs: 3_600_000,
  maxPendingInvitations: 64,
  maxOutgoingInvitations: 64,
  maxSeenInvitations: 4_096,
  maxContacts: 1_000,
  maxCardBytes: 16_384,
  maxWatchedContacts: 64,
  maxWatchers: 64,
  senderBurst: 8,
  senderPerSecond: 1,
  maxTrackedSenders: 1_024,
  maxPendingPerSender: 4,
});

/** How long an invitation waits for an answer unless told otherwise. */
export const DEFAULT_INVITATION_TTL_MS = 300_000;

/** Longest friendly name of an identity or contact, in characters. */
export const MAX_FRIENDLY_NAME_LENGTH = 64;

/** True when `name` is a friendly name: 1..64 characters, no control characters, not blank. */
export function isFriendlyName(name: unknown): name is string {
  // eslint-disable-next-line no-control-regex
  return typeof name === 'string' && name.trim().length > 0 && [...name].length <= MAX_FRIENDLY_NAME_LENGTH && !/[\u0000-\u001f\u007f]/.test(name);
}
