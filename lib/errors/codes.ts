/**
 * Every error code PeerChannel raises, in one registry.
 *
 * @remarks
 * Branch on {@link PeerChannelError.code}, never on message text. Codes are stable across
 * releases; new ones are only ever added.
 */
export const ErrorCode = {
  // API misuse
  /** An API was called with a value it does not accept (an out-of-range option, a malformed peer id or address, a value that cannot cross the wire, `currentCall()` outside an operation…). Thrown synchronously; fix the call as the message says. */
  INVALID_ARGUMENT: 'PC_ERR_INVALID_ARGUMENT',
  /** A mesh address is not `net.p2p://name` with a name of 1–100 letters, digits, `.`, `_` or `-`. Thrown by `PeerNode.open` and {@link parseMeshAddress}; fix the address. */
  INVALID_MESH_ADDRESS: 'PC_ERR_INVALID_MESH_ADDRESS',
  /** The node, resolver, store or other object was closed: calls made after `close()` throw it, and calls still waiting for a reply reject with it. Links closed by a leaving node carry it too. Open a new object if you need one. */
  CLOSED: 'PC_ERR_CLOSED',
  /** A class passed to `host`, `proxy` or `calls$` is not decorated with `@PeerContract()`. Decorate it (and compile with `experimentalDecorators`). */
  NOT_A_CONTRACT: 'PC_ERR_NOT_A_CONTRACT',
  /** A contract, implementation or record type is malformed: no `design:paramtypes` metadata (compiled without `emitDecoratorMetadata`), an implementation that lacks an operation's method, a second class bound under one contract name, or a record type without fields. Fix the declaration or the compiler options. */
  CONTRACT_INVALID: 'PC_ERR_CONTRACT_INVALID',
  /** Two operations of one contract have the same wire name. Give one of them another `name` in `@PeerOperation({ name })`. */
  CONTRACT_DUPLICATE_OPERATION: 'PC_ERR_CONTRACT_DUPLICATE_OPERATION',
  /** An operation is neither one-way nor reply (`oneWay: false` without `reply: true`, or both set), or a reply operation declares no return type. Declare reply operations as `@PeerOperation({ reply: true }) op(): Promise<T>`. */
  CONTRACT_OPERATION_KIND: 'PC_ERR_CONTRACT_OPERATION_KIND',
  /** `@PeerHopCount()` is on something other than one `number` parameter of an operation, or appears twice in one operation. Keep at most one, on a `number` parameter. */
  CONTRACT_HOP_PARAMETER: 'PC_ERR_CONTRACT_HOP_PARAMETER',
  /** An operation is named like a proxy call style (`to`, `withHops`, `withTimeout`, `gather`, `all`, `traced`, `then`…). Rename the method. */
  CONTRACT_RESERVED_NAME: 'PC_ERR_CONTRACT_RESERVED_NAME',
  /** `node.host(Contract, …)` was called twice for one contract on one node. Host each contract once per node. */
  CONTRACT_ALREADY_HOSTED: 'PC_ERR_CONTRACT_ALREADY_HOSTED',
  /** A contract method's body ({@link contractStub}) was called directly. Call operations through `node.proxy(Contract)`. */
  CONTRACT_STUB_CALLED: 'PC_ERR_CONTRACT_STUB_CALLED',
  /**
   * A decorated class (contract or record type) carries no TypeScript decorator metadata
   * (`design:paramtypes`, `design:returntype`, `design:type`): it was compiled by a transpiler that
   * drops it (tsx, esbuild). The message names the compiler option or plugin that is needed.
   */
  DECORATOR_METADATA_MISSING: 'PC_ERR_DECORATOR_METADATA_MISSING',
  /**
   * `node.host(Contract, ServiceClass)` could not construct the service: a class with constructor
   * parameters that tsyringe does not know (no `@injectable()` from the tsyringe copy PeerChannel
   * uses), or a parameter it cannot resolve. The message says which and what to do.
   */
  SERVICE_NOT_INJECTABLE: 'PC_ERR_SERVICE_NOT_INJECTABLE',
  /**
   * `require('peerchannel')` on a Node.js that cannot load ES modules from `require()` (before
   * 20.19, or with `--no-experimental-require-module`). Thrown as a plain `Error` carrying this
   * `code`, since `PeerChannelError` lives in the module that could not load.
   */
  REQUIRE_UNSUPPORTED: 'PC_ERR_REQUIRE_UNSUPPORTED',
  /** `calls$(Contract, name)` names no operation of the contract (thrown); or an inbound call names an operation the local contract lacks (dropped, counted and reported on `errors$`): peers run different versions of the contract. */
  UNKNOWN_OPERATION: 'PC_ERR_UNKNOWN_OPERATION',
  /** Replies were asked of a one-way operation: `gather()` on it (thrown), or an inbound call waits for a reply from an operation that is one-way here (dropped and reported): peers disagree on the contract. */
  NOT_A_REPLY_OPERATION: 'PC_ERR_NOT_A_REPLY_OPERATION',

  // calls
  /** No answer in time: a reply call got no reply within its timeout (`replyTimeoutMs`, `withTimeout`), or a resolver, PNRP or sync request was not answered. Retry, raise the timeout, or check that the target is in the mesh. */
  TIMEOUT: 'PC_ERR_TIMEOUT',
  /** The operation's `AbortSignal` was aborted (a handshake, a query, a registration…). Nothing to fix: it is the answer to your own abort. */
  ABORTED: 'PC_ERR_ABORTED',
  /** The remote implementation threw something without a registered code (a plain `Error`); the message is the remote one, never a stack. Throw a `PeerChannelError` in services to give callers a code to branch on. */
  REMOTE_FAULT: 'PC_ERR_REMOTE_FAULT',
  /** A directed message found no way to its target: no neighbour at all, route discovery gave up after its last ring, or a relay's next hop was gone. The target may have left; retry later or check the peer id. */
  NO_ROUTE: 'PC_ERR_NO_ROUTE',
  /** Too many requests wait for an answer at once (reply calls: 4,096 by default; resolver and PNRP clients: 256). Wait for some to settle, or lower your concurrency. */
  TOO_MANY_PENDING: 'PC_ERR_TOO_MANY_PENDING',
  /** Reserved for an action that needs a neighbour; not raised at present (a directed call on a node with no neighbour fails with {@link ErrorCode.NO_ROUTE}, a flood goes nowhere). Wait for `status$` to say `'online'`. */
  OFFLINE: 'PC_ERR_OFFLINE',

  // frames and inbound messages (each closes a link or drops a message with this reason)
  /** A frame or value is larger than the frame bound (`maxFrameBytes`, 64 KiB by default): a local send throws it, an inbound frame closes its link with it. Send smaller messages or raise the bound on every peer. */
  FRAME_TOO_LARGE: 'PC_ERR_FRAME_TOO_LARGE',
  /** A frame is not valid msgpack, uses a type outside the wire schema, or has trailing bytes: the link it came on is closed. A peer running other software, or a hostile one. */
  FRAME_DECODE: 'PC_ERR_FRAME_DECODE',
  /** A frame decoded but breaks its shape (wrong fields, counts, lengths or names over their bounds): the link it came on is closed. */
  FRAME_SHAPE: 'PC_ERR_FRAME_SHAPE',
  /** A frame nests deeper or holds more values than `FrameLimits.maxDepth` / `maxElements`. */
  FRAME_TOO_COMPLEX: 'PC_ERR_FRAME_TOO_COMPLEX',
  /** A frame arrived where the protocol does not allow it (another frame kind during the handshake or admission, a reply to no waiting call, a wrong extension kind): the link is closed or the frame dropped, counted and reported. */
  FRAME_UNEXPECTED: 'PC_ERR_FRAME_UNEXPECTED',
  /** An inbound frame carries a hop count outside 1..255 (or travelled hops out of range): its link is closed. A local call with a bad hop limit throws {@link ErrorCode.INVALID_ARGUMENT} instead (pass 0..255). */
  BAD_HOP_COUNT: 'PC_ERR_BAD_HOP_COUNT',
  /** An inbound call names a contract this node neither hosts nor watches with `calls$`: it is dropped, counted and reported on `errors$` (a waiting caller gets no answer and times out). Host the contract on the peers you call. */
  UNKNOWN_CONTRACT: 'PC_ERR_UNKNOWN_CONTRACT',
  /** An inbound call's arguments do not match the operation's declared parameter types: dropped before user code runs, counted, reported, and returned to a directed caller as its fault. The proxy applies the same check before sending and throws this code synchronously. */
  BAD_ARGUMENTS: 'PC_ERR_BAD_ARGUMENTS',
  /** A hosted operation (or a propagation filter) threw or rejected. The caller gets the fault's own code; this code counts it at the host and reports it on `errors$`. Fix the service. */
  HANDLER_FAILED: 'PC_ERR_HANDLER_FAILED',
  /** A gather reached its bound on replies (10,000). Not raised at present: the gather simply completes. */
  TOO_MANY_REPLIES: 'PC_ERR_TOO_MANY_REPLIES',

  // links and handshake
  /** A link closed without a more specific reason (connection lost, closed during a handshake or a sync session). The mesh repairs itself; no action unless it repeats. */
  LINK_CLOSED: 'PC_ERR_LINK_CLOSED',
  /** A link's send queue, or its buffer of unread inbound frames, or the frames held by injected faults, is over its bound (`maxPendingSends`, 4,096 frames by default): `send` throws it and the link closes. The other side reads too slowly. */
  LINK_QUEUE_FULL: 'PC_ERR_LINK_QUEUE_FULL',
  /** A mesh hello, welcome or admission exchange did not finish within its timeout (10 s by default). Usually an overloaded or unreachable peer; it is retried by neighbour maintenance. */
  HANDSHAKE_TIMEOUT: 'PC_ERR_HANDSHAKE_TIMEOUT',
  /** The handshake failed for a reason without its own code (a refusal with an unknown code, a dialled server without a certificate). See the message and the `cause`. */
  HANDSHAKE_FAILED: 'PC_ERR_HANDSHAKE_FAILED',
  /** The peer asked for another mesh than this node's (a stale registration or referral). Harmless; the dialer tries other peers. */
  WRONG_MESH: 'PC_ERR_WRONG_MESH',
  /** The peer speaks another PeerChannel wire protocol version. Run compatible releases on every peer. */
  PROTOCOL_VERSION: 'PC_ERR_PROTOCOL_VERSION',
  /** A link leads back to this node itself (its own address in a resolver answer or a referral); it is closed. Harmless. */
  SELF_CONNECTION: 'PC_ERR_SELF_CONNECTION',
  /** A second link to a peer that is already a neighbour: the one dialled by the lower peer id is kept, the other closed with this code. Harmless. */
  DUPLICATE_LINK: 'PC_ERR_DUPLICATE_LINK',
  /** The peer is at its maximum of neighbours, or of links awaiting the handshake, and refused (with referrals to its neighbours). Harmless: the dialer tries the referrals. */
  BUSY: 'PC_ERR_BUSY',
  /** A neighbour whose send queue stayed over `slowQueueBound` for `slowGraceMs` was disconnected (never the last neighbour). The peer, or its link, cannot keep up with the traffic. */
  TOO_SLOW: 'PC_ERR_TOO_SLOW',
  /** A connection to an address failed (refused, unreachable, TLS or upgrade failure, an address that is not `wss://host:port`). Check the address and that the peer is listening. */
  DIAL_FAILED: 'PC_ERR_DIAL_FAILED',
  /** The transport could not listen on its host and port (in use, not an address of this machine, no permission). Choose another `host` or `port` (0 picks a free port). */
  LISTEN_FAILED: 'PC_ERR_LISTEN_FAILED',
  /** Nothing arrived from a neighbour within the idle or keepalive timeout: the link is closed as dead. The mesh repairs itself. */
  UNREACHABLE: 'PC_ERR_UNREACHABLE',
  /** A link closed by neighbour maintenance because it brought the fewest new messages. */
  NOT_USEFUL: 'PC_ERR_NOT_USEFUL',
  /**
   * A route reply was refused: it answers no route request this node sent or relayed to that
   * neighbour, or (in message-signing modes) it is not signed by its target. Nothing is learned.
   */
  ROUTE_FORGED: 'PC_ERR_ROUTE_FORGED',
  /**
   * A member announcement was not taken: the member list is at `maxMembers`, the member
   * announced again sooner than half its announce interval allows, or its sequence is out of range.
   */
  MEMBERS_LIMIT: 'PC_ERR_MEMBERS_LIMIT',

  // large messages, sent in chunks (docs/mesh.md, "Large messages")
  /** A message larger than `maxMessageBytes`, sent or announced in a first chunk: refused, and the link closes. */
  MESSAGE_TOO_LARGE: 'PC_ERR_MESSAGE_TOO_LARGE',
  /** A chunk that breaks the chunk protocol (unknown stream, out of order, overlapping, past its total): the link closes. */
  CHUNK_INVALID: 'PC_ERR_CHUNK_INVALID',
  /** A neighbour or an origin has more partial messages or bytes in reassembly than the bounds allow: the link closes. */
  REASSEMBLY_LIMIT: 'PC_ERR_REASSEMBLY_LIMIT',
  /** A partial message did not complete within `chunkTimeoutMs`: dropped, and the link closes. */
  REASSEMBLY_TIMEOUT: 'PC_ERR_REASSEMBLY_TIMEOUT',
  /** A large message could not be queued: this node already holds `maxChunkQueueBytes` of large messages to send. */
  CHUNK_QUEUE_FULL: 'PC_ERR_CHUNK_QUEUE_FULL',

  // per-peer connection and rate bounds (docs/security.md, "Connection and rate bounds")
  /** A link's send queue holds more than `maxPendingSendBytes` bytes. */
  LINK_QUEUE_BYTES: 'PC_ERR_LINK_QUEUE_BYTES',
  /** The other side sent pings faster than `maxPingBurst` / `maxPingsPerSecond` allow. */
  PING_FLOOD: 'PC_ERR_PING_FLOOD',
  /** A neighbour sent messages or frames faster than the mesh's per-neighbour rate bounds allow; also a trace report or mesh-view answer not sent (or not accepted) because its rate bound was reached. */
  RATE_LIMITED: 'PC_ERR_RATE_LIMITED',

  // security
  /** A peer's key does not hash to the peer id expected for it (a dial with `expectedPeerId`, a hello, a membership certificate, a resolver registration or PNRP request for another id). An impostor, or a stale peer id: check where the id came from. */
  PEER_ID_MISMATCH: 'PC_ERR_PEER_ID_MISMATCH',
  /** Mesh admission failed: a wrong password, a forged or replayed proof, a possession signature that does not verify, or one side has a password/certificate admission and the other has none. Both sides see it. Use the mesh's password. */
  AUTH_FAILED: 'PC_ERR_AUTH_FAILED',
  /** Certificate admission refused the peer: it is not on `trustedPeerIds` and holds no valid membership certificate from a `trustedOwnerKeys` owner (missing, expired, for another mesh, bad signature). Issue it a certificate or list its id. */
  UNTRUSTED_PEER: 'PC_ERR_UNTRUSTED_PEER',
  /** A signed message, route reply or PNRP record does not verify (or its key does not match its claimed origin): it is dropped and counted. A forger or a corrupted relay; honest copies still arrive. */
  BAD_SIGNATURE: 'PC_ERR_BAD_SIGNATURE',
  /** The peer uses another security mode or admission protocol, or its link does not authenticate the peer id while the mode requires it. Give every peer of a mesh the same `security` and admission options. */
  SECURITY_MODE_MISMATCH: 'PC_ERR_SECURITY_MODE_MISMATCH',
  /** Identity files are damaged: an unreadable or unsupported key, an unparsable certificate, a bad self-signature, a certificate without its key. Restore the files; they are never silently replaced. */
  IDENTITY_CORRUPT: 'PC_ERR_IDENTITY_CORRUPT',
  /** Identity files disagree: a certificate for another key, an identity other than `expectedPeerId`, or `saveIdentity` over another identity without `overwrite`. */
  IDENTITY_MISMATCH: 'PC_ERR_IDENTITY_MISMATCH',
  /** No identity in the directory given to `loadIdentity` (no `peer-key.pem`). Use `loadOrCreateIdentity` to create one. */
  IDENTITY_NOT_FOUND: 'PC_ERR_IDENTITY_NOT_FOUND',

  // resolvers and records
  /** A resolver could not register, refresh or resolve (a socket failed, a resolver service restarted mid-request, the directory is unusable). Reported on `errors$`; the node and the registration keeper retry. */
  RESOLVER_FAILED: 'PC_ERR_RESOLVER_FAILED',
  /** A PNRP record breaks its shape or bounds (endpoint, payload, lifetime, name). Refused by every node; fix what the publisher passes. */
  RECORD_INVALID: 'PC_ERR_RECORD_INVALID',
  /** A PNRP record, or a replicated record, arrived after its expiry: it is refused. Usually clock skew or a stale copy; nothing to do. */
  RECORD_EXPIRED: 'PC_ERR_RECORD_EXPIRED',
  /** `refresh` of a registration the resolver does not know (expired, unregistered, or the resolver service restarted). Register again; {@link RegistrationKeeper} does it for you. */
  NOT_REGISTERED: 'PC_ERR_NOT_REGISTERED',
  /** A PNRP peer name is not `authority.classifier` (authority `0` or a 64-hex peer id; classifier 1–149 characters without control characters). Fix the name. */
  NAME_INVALID: 'PC_ERR_NAME_INVALID',
  /** A secured PNRP name (authority = a peer id) published or signed by another key. Only the holder of that key may publish it; use an unsecured `0.` name otherwise. */
  NAME_NOT_OWNED: 'PC_ERR_NAME_NOT_OWNED',
  /** A PNRP request or record belongs to another cloud than this node's. Give every node the same `cloud` option. */
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
  /** A bound with no code of its own was reached (messages waiting for a route, route searches, resolver registrations per link/peer/mesh, PNRP requests per link or records per name, …). Refused or dropped, counted; the message names the bound. */
  LIMIT_EXCEEDED: 'PC_ERR_LIMIT_EXCEEDED',

  // observe
  /** Too many traces in flight at the sender, reports over a trace's bound, or pending reports over the reporter's bound. */
  TRACE_LIMIT: 'PC_ERR_TRACE_LIMIT',
  /** `node.trace(id)` for an id this node neither traced nor still remembers. */
  TRACE_UNKNOWN: 'PC_ERR_TRACE_UNKNOWN',
  /** The inspector refused an HTTP request or WebSocket: wrong token, Origin or Host. */
  INSPECTOR_REFUSED: 'PC_ERR_INSPECTOR_REFUSED',

  // gateway (browser pages)
  /** The gateway refused an HTTP request or WebSocket: wrong token, Origin, Host, path, or too many pages. */
  GATEWAY_REFUSED: 'PC_ERR_GATEWAY_REFUSED',
  /** A page sent a message that is not a valid request (its socket closes with 4400). */
  GATEWAY_BAD_MESSAGE: 'PC_ERR_GATEWAY_BAD_MESSAGE',
  /** A page sent more messages a second than the gateway's rate bound (its socket closes with 4429). */
  GATEWAY_RATE: 'PC_ERR_GATEWAY_RATE',
  /** A page kept more requests open than `maxOpenRequests` (its socket closes with 4409). */
  GATEWAY_TOO_MANY_REQUESTS: 'PC_ERR_GATEWAY_TOO_MANY_REQUESTS',
  /** A page did not read what its node sent: queued bytes passed `maxQueuedBytes` (its socket closes with 4408). */
  GATEWAY_SLOW_PAGE: 'PC_ERR_GATEWAY_SLOW_PAGE',
  /** In a page: the gateway socket is closed (or never opened); pending requests fail with it. */
  GATEWAY_CLOSED: 'PC_ERR_GATEWAY_CLOSED',

  /** A bug in PeerChannel (or an unexpected throw from a dependency), wrapped with its `cause`. Please report it with the message and cause. */
  INTERNAL: 'PC_ERR_INTERNAL',

  /** A node cut the link on purpose (`node.disconnect(peerId)`, e.g. the peer is no longer trusted); while its hold-off lasts it refuses that peer's links with this code. */
  DISCONNECTED: 'PC_ERR_DISCONNECTED',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const known: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `value` is one of the registered {@link ErrorCode} strings. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && known.has(value);
}
