/**
 * PeerChannel's application entry (`peerchannel`): contracts, nodes, calls and streams, identities,
 * transports and resolvers to pick from, security options, records, presence, collaboration and the
 * inspector. Internals and test tools live behind subpath entries: `peerchannel/testing`,
 * `peerchannel/pnrp`, `peerchannel/security`, `peerchannel/records`, `peerchannel/prometheus`
 * (see docs/package.md).
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export { ErrorCode, isErrorCode, PeerChannelError, toPeerChannelError } from './errors/index.js';
export { PeerContract, PeerOperation, PeerHopCount, contractStub, describeContract, type PeerOperationOptions, type ContractClass, type ContractDescriptor, type OperationDescriptor, type ArgumentCheck } from './contracts/index.js';
export { PeerNode, PEER_NODE, type ServiceClass, type OperationArgs } from './node/peer-node.js';
export type { WhenOnlineOptions } from './node/when-online.js';
export { type DisconnectOptions, MAX_HOLD_OFF_MS } from './node/disconnect.js';
export type { MeshRefusal } from './mesh/refusal-tracker.js';
export type { PeerNodeOptions } from './node/options.js';
export { parseMeshAddress } from './node/mesh-address.js';
export { token, type Token } from './node/token.js';
export { injectable, inject } from './node/injection.js';
export { currentCall } from './channel/call-context.js';
export type { PeerCall, Reply, GatherOptions, SentCall } from './channel/peer-call.js';
export type { PeerProxy, GatherProxy, TracedProxy, IdProxy, CallStyles, OperationKeys, ReplyOperationKeys } from './channel/proxy.js';
export { withinHops, fromPeer, ofOperation, notFromSelf } from './channel/operators.js';
export type { MeshStatus, HandshakeTiming } from './mesh/mesh.js';
export type { MeshStats } from './mesh/mesh-stats.js';
export type { NeighborInfo } from './mesh/neighbor.js';
export type { MemberInfo } from './mesh/member-directory.js';
export { defaultMeshTuning, type NeighborLimits, type BroadcastMode, type MeshTuning } from './mesh/options.js';
export type { MaintenanceStats } from './mesh/neighbor-manager.js';
export type { PropagationFilter, PropagationAction, PropagationMessage, PropagationDecision, MessageOrigin } from './mesh/propagation.js';
export type { Transport, TransportFactory, TransportComponents, Link, LinkCloseInfo, DialOptions, FrameReceiver } from './transport/transport.js';
export { securedMeshOwner, securedMeshName } from './resolver/secured-mesh.js';
export type { PeerResolver, ResolverFactory, ResolverComponents, ResolvedPeer, Registration, ResolveOptions } from './resolver/resolver.js';
export { RegistrationKeeper, type RegistrationKeeperOptions } from './resolver/registration-keeper.js';
export { defaultFrameLimits, type FrameLimits } from './codec/index.js';

export {
  PeerIdentity, type PeerId, asPeerId, isPeerId, peerIdFromSpki, certificateFor, peerIdFromCertificate, saveIdentity, loadIdentity, loadOrCreateIdentity,
  IDENTITY_KEY_FILE, IDENTITY_CERT_FILE, CERTIFICATE_VALIDITY_DAYS, type PeerCertificate, type LoadIdentityOptions, type SaveIdentityOptions,
} from './identity/index.js';
export { webSocketTransport, WebSocketTransport, type WebSocketTransportOptions, type WsListenerStats } from './transport/ws/index.js';
export {
  type Admission, passwordAdmission, type PasswordAdmissionOptions, certificateAdmission, type CertificateAdmissionOptions,
  issueMembershipCertificate, verifyMembershipCertificate, type IssueMembershipOptions, type MembershipInfo, type VerifyMembershipOptions, type SecurityMode,
} from './security/index.js';
export { localResolver, defaultLocalDirectory, LocalResolver, type LocalResolverOptions, type LocalResolverStats } from './resolver/local/index.js';
export { staticResolver, isUnpinnedPeer, type StaticEntry, type StaticResolverOptions } from './resolver/static/index.js';
export { resolverServer, ResolverServer, resolverService, type ResolverServerOptions, type ResolverServerStats, type ResolverServiceClient, type ResolverServiceOptions } from './resolver/service/index.js';
export {
  pnrpResolver, PnrpResolver, meshPeerName, parsePeerName, isPeerName, defaultPnrpLimits,
  type PnrpResolverOptions, type PnrpPublishOptions, type PeerName, type PnrpEndpoint, type PnrpLimits,
} from './resolver/pnrp/index.js';
export { PeopleNearMe, lanResolver, PRESENCE_SERVICE, defaultPresenceLimits, type PresenceLimits, type PeopleNearMeStats, type PeopleNearMeOptions, type NearbyPeer, type NearbyEvent, type PresenceAnnouncement, type LanResolver, type LanResolverOptions } from './presence/index.js';
export { startInspector, type Inspector, type InspectorOptions, inspectOption, inspectWhenAsked, type InspectFlag, defaultObserveOptions, type ObserveOptions, type MeshViewOptions, type MessageTrace, type TraceReceiver, type TraceMiss, type MissReason, type TraceSummary, type MeshView, type NodeDescription, type LinkDescription, NodeRecord } from './observe/index.js';
export { startGateway, type Gateway, type GatewayOptions, type GatewayPage, type GatewayLimits, defaultGatewayLimits, PageGuard, type PageRefusal, GATEWAY_PROTOCOL, GATEWAY_SOCKET_PATH, GatewayCloseCode, type PageRecord, type PageRecordEvent, type PageStatus, pageBuildDir } from './gateway/index.js';
export {
  PeerRecordType, RecordField, RecordAttribute, type PeerRecordTypeOptions, type RecordFieldOptions,
  RecordCollection, type PeerRecord, type RecordChange, type RecordWriteOptions, type RecordQuery,
  type RecordStoreStats, defaultRecordLimits, DEFAULT_RECORD_TTL_MS, type RecordLimits,
  type RecordsOptions, type RecordClass, RecordDataKind, type AttributeValue, type RecordAttributes,
  recordSync, type RecordSyncOptions, type RecordSyncStats, type RecordSpaceName, type RecordSyncReport,
} from './records/index.js';
export {
  Collaboration, presenceMeshAddress, inboxMeshAddress, defaultCollaborationLimits, DEFAULT_INVITATION_TTL_MS, MAX_FRIENDLY_NAME_LENGTH, isFriendlyName,
  contactCardFor, parseContactCard, PEER_ID_PROPERTY, ENDPOINT_PROPERTY, ContactStore, exportIdentity, importIdentity, IDENTITY_EXPORT_FORMAT,
  IdentityManager, sealInvitation, openInvitation, PresenceStatus, isPresenceStatus,
  type CollaborationOptions, type PeopleNodeOptions, type Application, type PublishedObject, type CollaborationLimits, type ContactCard, type Contact, type ContactStoreOptions,
  type ExportedIdentity, type NamedIdentity, type InvitationBody, type InvitationResponse, type InvitationOutcome, type ReceivedInvitation,
  type ReceivedInvitationEnd, type InviteOptions, type PresenceInfo, type NearbyPerson, type InvitationStats,
} from './collaboration/index.js';
