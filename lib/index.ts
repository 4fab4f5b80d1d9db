import 'reflect-metadata';

export { ErrorCode, isErrorCode, PeerChannelError, toPeerChannelError } from './errors/index.js';
export { PeerContract, PeerOperation, PeerHopCount, contractStub, describeContract, type PeerOperationOptions, type ContractClass, type ContractDescriptor, type OperationDescriptor, type ArgumentCheck } from './contracts/index.js';
export { PeerNode, PEER_NODE, type ServiceClass, type OperationArgs } from './node/peer-node.js';
export type { PeerNodeOptions } from './node/options.js';
export { parseMeshAddress } from './node/mesh-address.js';
export { token, type Token } from './node/token.js';
export { currentCall } from './channel/call-context.js';
export type { PeerCall, Reply, GatherOptions } from './channel/peer-call.js';
export type { PeerProxy, GatherProxy, TracedProxy, CallStyles, OperationKeys } from './channel/proxy.js';
export { withinHops, fromPeer, ofOperation, notFromSelf } from './channel/operators.js';
export type { MeshStatus, HandshakeTiming } from './mesh/mesh.js';
export type { MeshStats } from './mesh/mesh-stats.js';
export type { NeighborInfo } from './mesh/neighbor.js';
export { defaultMeshTuning, type NeighborLimits, type BroadcastMode, type MeshTuning } from './mesh/options.js';
export type { MaintenanceStats } from './mesh/neighbor-manager.js';
export type { PropagationFilter, PropagationAction, PropagationMessage, PropagationDecision, MessageOrigin } from './mesh/propagation.js';
export type { Transport, TransportFactory, TransportComponents, Link, LinkCloseInfo, DialOptions, FrameReceiver } from './transport/transport.js';
export { FaultPlan, faultyTransport, FaultyTransport, type FaultOptions, type FaultStats, type FrameFate, type LossMode, type FaultyTransportOptions } from './transport/faults/index.js';
export { MemoryNetwork, memoryTransport, type MemoryFaults, type MemoryTransportOptions } from './transport/memory/index.js';
export { RegistrationKeeper, type RegistrationKeeperOptions } from './resolver/registration-keeper.js';
export type { PeerResolver, ResolverFactory, ResolverComponents, ResolvedPeer, Registration, ResolveOptions } from './resolver/resolver.js';
export { defaultFrameLimits, type FrameLimits } from './codec/index.js';

export {
  PeerIdentity, peerIdFromSpki, certificateFor, peerIdFromCertificate, saveIdentity, loadIdentity, loadOrCreateIdentity,
  IDENTITY_KEY_FILE, IDENTITY_CERT_FILE, CERTIFICATE_VALIDITY_DAYS, type PeerCertificate, type LoadIdentityOptions, type SaveIdentityOptions,
} from './identity/index.js';
export { webSocketTransport, WebSocketTransport, type WebSocketTransportOptions, type WsListenerStats } from './transport/ws/index.js';
export {
  type Admission, type AdmissionContext, passwordAdmission, type PasswordAdmissionOptions, certificateAdmission, type CertificateAdmissionOptions,
  issueMembershipCertificate, verifyMembershipCertificate, type IssueMembershipOptions, type MembershipInfo, type VerifyMembershipOptions,
  signMessage, verifyMessage, MessageVerifier, type MessageVerifierOptions, meshSecurity, assertLinkSecurity, securityHelloExt, checkSecurityHelloExt,
  MAX_PASSWORD_BYTES, MAX_MESSAGE_SIGNATURE_BYTES, PASSWORD_ADMISSION_PROTOCOL, CERTIFICATE_ADMISSION_PROTOCOL, type MeshSecurity, type MeshSecurityOptions, type SecurityMode,
} from './security/index.js';
export { localResolver, defaultLocalDirectory, LocalResolver, type LocalResolverOptions, type LocalResolverStats } from './resolver/local/index.js';
export { staticResolver, isUnpinnedPeer, type StaticEntry, type StaticResolverOptions } from './resolver/static/index.js';
export { resolverServer, ResolverServer, resolverService, type ResolverServerOptions, type ResolverServerStats, type ResolverServiceClient, type ResolverServiceOptions } from './resolver/service/index.js';
export {
  pnrpResolver, PnrpResolver, meshPeerName, parsePeerName, isPeerName, peerNameId, signRecord, verifyRecord, defaultPnrpLimits,
  PnrpNode, RoutingCache, RecordStore, PnrpSimNetwork, PnrpTransportBinding,
  type PnrpResolverOptions, type PnrpPublishOptions, type PeerName, type PnrpEndpoint, type PnrpBindingOptions, type PnrpBindingStats, type PnrpLimits,
  type PnrpNodeOptions, type PnrpNodeStats, type PublishResult, type VerifiedRecord, type PnrpRecord, type PnrpRecordFields, type VerifyContext,
  type RoutingCacheOptions, type LookupResult, type PnrpSimOptions, PNRP_FRAME_KIND,
  type PnrpContact, type PnrpRpc, type PnrpRequest, type PnrpResponse, type PnrpRequestHandler, type PnrpPingRequest, type PnrpFindRequest,
  type PnrpStoreRequest, type PnrpPongResponse, type PnrpFoundResponse, type PnrpStoredResponse, type PnrpResponseFor, type LookupHost, encodeRecord,
} from './resolver/pnrp/index.js';
export { PeopleNearMe, lanResolver, PRESENCE_SERVICE, defaultPresenceLimits, type PresenceLimits, type PeopleNearMeStats, type PeopleNearMeOptions, type NearbyPeer, type NearbyEvent, type PresenceAnnouncement, type LanResolver, type LanResolverOptions } from './presence/index.js';
export { startInspector, type Inspector, type InspectorOptions, inspectOption, inspectWhenAsked, type InspectFlag, defaultObserveOptions, type ObserveOptions, type MeshViewOptions, type MessageTrace, type TraceReceiver, type TraceMiss, type MissReason, type TraceSummary, type MeshView, type NodeDescription, type LinkDescription, NodeRecord } from './observe/index.js';
export {
  PeerRecordType, RecordField, RecordAttribute, type PeerRecordTypeOptions, type RecordFieldOptions,
  RecordCollection, type PeerRecord, type RecordChange, type RecordWriteOptions, type RecordQuery,
  PeerRecordStore, type RecordStoreOptions, type StoreChange, type StoreChangeKind, type RecordWrite, type RecordValidator, type ReceiveResult,
  type RecordStoreStats, defaultRecordLimits, DEFAULT_RECORD_TTL_MS, type RecordLimits, compareVersions, type ConflictFields,
  type RecordStorage, type StorageChange, LevelRecordStorage, MemoryRecordStorage, RecordFrameKind, SYSTEM_SPACE_KIND_OFFSET, RecordGossip, type GossipMesh,
  type RecordSpaceName, type RecordSyncReport, systemRecordLimits,
  type RecordsOptions, type RecordSyncContext, type RecordSyncEngine, type RecordSyncFactory, type RecordClass,
  decodePeerRecord, signPeerRecord, RECORD_ID_BYTES, RecordDataKind, type SignedRecord, type RecordFields, type AttributeValue, type RecordAttributes,
  type SyncItem, type SyncIndex, type RecordAbstract, type RecordSyncSource, type ReceiveOutcome, VERSION_HASH_BYTES,
  RecordSync, recordSync, type RecordSyncStats, type RecordSyncOptions, SyncTree, SyncFrameKind, type SyncReport, type SyncOutcome,
} from './records/index.js';
export {
  Collaboration, presenceMeshAddress, defaultCollaborationLimits, DEFAULT_INVITATION_TTL_MS, MAX_FRIENDLY_NAME_LENGTH, isFriendlyName,
  contactCardFor, parseContactCard, PEER_ID_PROPERTY, ENDPOINT_PROPERTY, ContactStore, exportIdentity, importIdentity, IDENTITY_EXPORT_FORMAT,
  IdentityManager, sealInvitation, openInvitation, PresenceStatus, isPresenceStatus,
  type CollaborationOptions, type Application, type PublishedObject, type CollaborationLimits, type ContactCard, type Contact, type ContactStoreOptions,
  type ExportedIdentity, type NamedIdentity, type InvitationBody, type InvitationResponse, type InvitationOutcome, type ReceivedInvitation,
  type ReceivedInvitationEnd, type InviteOptions, type PresenceInfo,
} from './collaboration/index.js';
