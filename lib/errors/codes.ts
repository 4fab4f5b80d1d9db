/**
 * Every error code PeerChannel raises, in one registry.
 *
 * @remarks
 * Branch on {@link PeerChannelError.code}, never on message text. Codes are stable across
 * releases; new ones are only ever added.
 */
export const ErrorCode = {
  // API misuse
  INVALID_ARGUMENT: 'PC_ERR_INVALID_ARGUMENT',
  INVALID_MESH_ADDRESS: 'PC_ERR_INVALID_MESH_ADDRESS',
  CLOSED: 'PC_ERR_CLOSED',
  NOT_A_CONTRACT: 'PC_ERR_NOT_A_CONTRACT',
  CONTRACT_INVALID: 'PC_ERR_CONTRACT_INVALID',
  CONTRACT_DUPLICATE_OPERATION: 'PC_ERR_CONTRACT_DUPLICATE_OPERATION',
  CONTRACT_OPERATION_KIND: 'PC_ERR_CONTRACT_OPERATION_KIND',
  CONTRACT_HOP_PARAMETER: 'PC_ERR_CONTRACT_HOP_PARAMETER',
  CONTRACT_RESERVED_NAME: 'PC_ERR_CONTRACT_RESERVED_NAME',
  CONTRACT_ALREADY_HOSTED: 'PC_ERR_CONTRACT_ALREADY_HOSTED',
  CONTRACT_STUB_CALLED: 'PC_ERR_CONTRACT_STUB_CALLED',
  UNKNOWN_OPERATION: 'PC_ERR_UNKNOWN_OPERATION',
  NOT_A_REPLY_OPERATION: 'PC_ERR_NOT_A_REPLY_OPERATION',

  // calls
  TIMEOUT: 'PC_ERR_TIMEOUT',
  ABORTED: 'PC_ERR_ABORTED',
  REMOTE_FAULT: 'PC_ERR_REMOTE_FAULT',
  NO_ROUTE: 'PC_ERR_NO_ROUTE',
  TOO_MANY_PENDING: 'PC_ERR_TOO_MANY_PENDING',
  OFFLINE: 'PC_ERR_OFFLINE',

  // frames and inbound messages (each closes a link or drops a message with this reason)
  FRAME_TOO_LARGE: 'PC_ERR_FRAME_TOO_LARGE',
  FRAME_DECODE: 'PC_ERR_FRAME_DECODE',
  FRAME_SHAPE: 'PC_ERR_FRAME_SHAPE',
  /** A frame nests deeper or holds more values than `FrameLimits.maxDepth` / `maxElements`. */
  FRAME_TOO_COMPLEX: 'PC_ERR_FRAME_TOO_COMPLEX',
  FRAME_UNEXPECTED: 'PC_ERR_FRAME_UNEXPECTED',
  BAD_HOP_COUNT: 'PC_ERR_BAD_HOP_COUNT',
  UNKNOWN_CONTRACT: 'PC_ERR_UNKNOWN_CONTRACT',
  BAD_ARGUMENTS: 'PC_ERR_BAD_ARGUMENTS',
  HANDLER_FAILED: 'PC_ERR_HANDLER_FAILED',
  TOO_MANY_REPLIES: 'PC_ERR_TOO_MANY_REPLIES',

  // links and handshake
  LINK_CLOSED: 'PC_ERR_LINK_CLOSED',
  LINK_QUEUE_FULL: 'PC_ERR_LINK_QUEUE_FULL',
  HANDSHAKE_TIMEOUT: 'PC_ERR_HANDSHAKE_TIMEOUT',
  HANDSHAKE_FAILED: 'PC_ERR_HANDSHAKE_FAILED',
  WRONG_MESH: 'PC_ERR_WRONG_MESH',
  PROTOCOL_VERSION: 'PC_ERR_PROTOCOL_VERSION',
  SELF_CONNECTION: 'PC_ERR_SELF_CONNECTION',
  DUPLICATE_LINK: 'PC_ERR_DUPLICATE_LINK',
  BUSY: 'PC_ERR_BUSY',
  TOO_SLOW: 'PC_ERR_TOO_SLOW',
  DIAL_FAILED: 'PC_ERR_DIAL_FAILED',
  LISTEN_FAILED: 'PC_ERR_LISTEN_FAILED',
  UNREACHABLE: 'PC_ERR_UNREACHABLE',
  /** A link closed by neighbour maintenance because it brought the fewest new messages. */
  NOT_USEFUL: 'PC_ERR_NOT_USEFUL',
  /**
   * A route reply was refused: it answers no route request this node sent or relayed to that
   * neighbour, or (in message-signing modes) it is not signed by its target. Nothing is learned.
   */
  ROUTE_FORGED: 'PC_ERR_ROUTE_FORGED',

  // per-peer connection and rate bounds (docs/security.md, "Connection and rate bounds")
  /** A link's send queue holds more than `maxPendingSendBytes` bytes. */
  LINK_QUEUE_BYTES: 'PC_ERR_LINK_QUEUE_BYTES',
  /** The other side sent pings faster than `maxPingBurst` / `maxPingsPerSecond` allow. */
  PING_FLOOD: 'PC_ERR_PING_FLOOD',
  /** A neighbour sent messages or frames faster than the mesh's per-neighbour rate bounds allow; also a trace report or mesh-view answer not sent (or not accepted) because its rate bound was reached. */
  RATE_LIMITED: 'PC_ERR_RATE_LIMITED',

  // security
  PEER_ID_MISMATCH: 'PC_ERR_PEER_ID_MISMATCH',
  AUTH_FAILED: 'PC_ERR_AUTH_FAILED',
  UNTRUSTED_PEER: 'PC_ERR_UNTRUSTED_PEER',
  BAD_SIGNATURE: 'PC_ERR_BAD_SIGNATURE',
  SECURITY_MODE_MISMATCH: 'PC_ERR_SECURITY_MODE_MISMATCH',
  IDENTITY_CORRUPT: 'PC_ERR_IDENTITY_CORRUPT',
  IDENTITY_MISMATCH: 'PC_ERR_IDENTITY_MISMATCH',
  IDENTITY_NOT_FOUND: 'PC_ERR_IDENTITY_NOT_FOUND',

  // resolvers and records
  RESOLVER_FAILED: 'PC_ERR_RESOLVER_FAILED',
  RECORD_INVALID: 'PC_ERR_RECORD_INVALID',
  RECORD_EXPIRED: 'PC_ERR_RECORD_EXPIRED',
  NOT_REGISTERED: 'PC_ERR_NOT_REGISTERED',
  NAME_INVALID: 'PC_ERR_NAME_INVALID',
  NAME_NOT_OWNED: 'PC_ERR_NAME_NOT_OWNED',
  WRONG_CLOUD: 'PC_ERR_WRONG_CLOUD',
  /**
   * A PNRP node refused to store a record: its publisher, the sending link or the whole store
   * is at its quota there. Not a fault of the record: store it on other nodes close to its id.
   */
  STORE_QUOTA: 'PC_ERR_STORE_QUOTA',

  // replicated records (lib/records)
  /** A record's signed encoding is larger than the store's `maxRecordBytes` (default 60 KiB). */
  RECORD_TOO_LARGE: 'PC_ERR_RECORD_TOO_LARGE',
  /** A record change by someone without the authority: only the creator updates; creator or admin deletes. */
  RECORD_FORBIDDEN: 'PC_ERR_RECORD_FORBIDDEN',
  /** A record whose signature does not verify, whose signer is not its last modifier, or whose id is not bound to its creator. */
  RECORD_SIGNATURE: 'PC_ERR_RECORD_SIGNATURE',
  /** No live record with that id (never held, deleted, or expired). */
  RECORD_NOT_FOUND: 'PC_ERR_RECORD_NOT_FOUND',
  /** A record or record frame that breaks its wire shape or its bounds (attributes, type name, nesting, times). */
  RECORD_SHAPE: 'PC_ERR_RECORD_SHAPE',
  /** A record whose data or attributes do not match the declared record type. */
  RECORD_TYPE_MISMATCH: 'PC_ERR_RECORD_TYPE_MISMATCH',
  /** A newer version of a record that would shorten its expiry: expiry only grows. */
  RECORD_EXPIRY_SHRINKS: 'PC_ERR_RECORD_EXPIRY_SHRINKS',
  /** A creator holds more live records than the store's per-creator quota. */
  RECORD_QUOTA: 'PC_ERR_RECORD_QUOTA',
  /** A neighbour sent record changes faster than the per-link rate bound. */
  RECORD_RATE: 'PC_ERR_RECORD_RATE',
  /** The record storage failed to open, read or write. */
  RECORD_STORAGE: 'PC_ERR_RECORD_STORAGE',
  /** Records were used on a node opened without the `records` option, or a record type is not declared. */
  RECORDS_DISABLED: 'PC_ERR_RECORDS_DISABLED',

  // record sync (range-based reconciliation between two neighbours)
  /** A sync frame that is malformed, unexpected in the session's state, or for a session never opened: the link closes. */
  SYNC_FRAME: 'PC_ERR_SYNC_FRAME',
  /** A sync session went past a bound (rounds, differences, wanted records): the link closes. */
  SYNC_LIMIT: 'PC_ERR_SYNC_LIMIT',
  /** A record sent in a sync session is not the version that was asked for: the link closes. */
  SYNC_UNASKED: 'PC_ERR_SYNC_UNASKED',

  // collaboration (lib/collaboration)
  /** No stored identity has this peer id or friendly name. */
  COLLAB_IDENTITY_UNKNOWN: 'PC_ERR_COLLAB_IDENTITY_UNKNOWN',
  /** A friendly name is empty, too long, has control characters, or is taken by another identity. */
  COLLAB_NAME_INVALID: 'PC_ERR_COLLAB_NAME_INVALID',
  /** An identity export could not be opened: wrong password, damaged or not an export. */
  COLLAB_EXPORT_INVALID: 'PC_ERR_COLLAB_EXPORT_INVALID',
  /** A contact card is not a vCard 4.0 with FN, a peer id and a certificate, or is too large. */
  CARD_INVALID: 'PC_ERR_CARD_INVALID',
  /** A contact card's certificate key does not hash to the peer id it claims. */
  CARD_KEY_MISMATCH: 'PC_ERR_CARD_KEY_MISMATCH',
  /** No contact has this peer id. */
  CONTACT_UNKNOWN: 'PC_ERR_CONTACT_UNKNOWN',
  /** The contact store is full (`maxContacts`). */
  CONTACT_LIMIT: 'PC_ERR_CONTACT_LIMIT',
  /** The contact is not reachable: its presence mesh has no member online in time. */
  CONTACT_OFFLINE: 'PC_ERR_CONTACT_OFFLINE',
  /** A presence note, published object or object count is over its bound. */
  PRESENCE_LIMIT: 'PC_ERR_PRESENCE_LIMIT',
  /** An application id or description is invalid, or the user already has the maximum of 64. */
  APPLICATION_INVALID: 'PC_ERR_APPLICATION_INVALID',
  /** The application is not registered (by the inviter, or by the invitee for an incoming invitation). */
  APPLICATION_UNKNOWN: 'PC_ERR_APPLICATION_UNKNOWN',
  /** An invitation's message, data, lifetime or envelope is over its bound or malformed. */
  INVITATION_INVALID: 'PC_ERR_INVITATION_INVALID',
  /** An invitation or answer whose signature does not verify, or whose key is not its sender's. */
  INVITATION_FORGED: 'PC_ERR_INVITATION_FORGED',
  /** An invitation from a peer that is not a trusted contact, while only trusted contacts may invite. */
  INVITATION_UNTRUSTED: 'PC_ERR_INVITATION_UNTRUSTED',
  /** The invitation was withdrawn by its sender (cancelled) and can no longer be answered. */
  INVITATION_WITHDRAWN: 'PC_ERR_INVITATION_WITHDRAWN',
  /** The invitation expired before it was answered. */
  INVITATION_EXPIRED: 'PC_ERR_INVITATION_EXPIRED',
  /** The invitation was already answered, or its id was seen before (a replay). */
  INVITATION_ANSWERED: 'PC_ERR_INVITATION_ANSWERED',
  /** Too many invitations are waiting for an answer (`maxPendingInvitations`, or `maxPendingPerSender` from one sender). */
  INVITATION_LIMIT: 'PC_ERR_INVITATION_LIMIT',
  /** One sender delivered invitation envelopes faster than its rate (`senderBurst`, `senderPerSecond`). */
  INVITATION_RATE_LIMITED: 'PC_ERR_INVITATION_RATE_LIMITED',

  // limits
  LIMIT_EXCEEDED: 'PC_ERR_LIMIT_EXCEEDED',

  // observe
  /** Too many traces in flight at the sender, reports over a trace's bound, or pending reports over the reporter's bound. */
  TRACE_LIMIT: 'PC_ERR_TRACE_LIMIT',
  /** `node.trace(id)` for an id this node neither traced nor still remembers. */
  TRACE_UNKNOWN: 'PC_ERR_TRACE_UNKNOWN',
  /** The inspector refused an HTTP request or WebSocket: wrong token, Origin or Host. */
  INSPECTOR_REFUSED: 'PC_ERR_INSPECTOR_REFUSED',

  INTERNAL: 'PC_ERR_INTERNAL',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const known: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `value` is one of the registered {@link ErrorCode} strings. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && known.has(value);
}
