export { pnrpResolver, PnrpResolver, meshPeerName, type PnrpResolverOptions, type PnrpPublishOptions } from './pnrp-resolver.js';
export { parsePeerName, isPeerName, peerNameId, UNSECURED_AUTHORITY, MAX_CLASSIFIER_LENGTH, type PeerName } from './peer-name.js';
export { signRecord, verifyRecord, signedBytes, type PnrpRecord, type PnrpRecordFields, type PnrpEndpoint, type VerifiedRecord, type VerifyContext } from './record.js';
export { defaultPnrpLimits, pnrpLimits, type PnrpLimits } from './pnrp-limits.js';
export { PnrpNode, contactFor, type PnrpNodeOptions, type PnrpNodeStats, type PublishResult } from './pnrp-node.js';
export { RoutingCache, type RoutingCacheOptions } from './routing-cache.js';
export { RecordStore } from './record-store.js';
export type { LookupResult, LookupHost } from './lookup.js';
export { PnrpSimNetwork, type PnrpSimOptions } from './sim-network.js';
export { PnrpTransportBinding, type PnrpBindingOptions, type PnrpBindingStats } from './transport-binding.js';
export { PNRP_FRAME_KIND, encodeRecord } from './wire.js';
export type {
  PnrpContact, PnrpRpc, PnrpRequest, PnrpResponse, PnrpRequestHandler, PnrpPingRequest, PnrpFindRequest, PnrpStoreRequest,
  PnrpPongResponse, PnrpFoundResponse, PnrpStoredResponse, PnrpResponseFor,
} from './protocol.js';
export { nodeIdFor, pnrpIdOf } from './pnrp-id.js';
