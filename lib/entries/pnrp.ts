/**
 * `peerchannel/pnrp`: the PNRP resolver's parts for those who build on them — the DHT node, its
 * routing cache and record store, the binding to a transport, signed records and the wire types.
 * An application only needs `pnrpResolver` from `peerchannel`.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export {
  pnrpResolver, PnrpResolver, meshPeerName, parsePeerName, isPeerName, peerNameId, signRecord, verifyRecord, defaultPnrpLimits,
  PnrpNode, RoutingCache, RecordStore, PnrpTransportBinding, UNSECURED_AUTHORITY, MAX_CLASSIFIER_LENGTH,
  type PnrpResolverOptions, type PnrpPublishOptions, type PeerName, type PnrpEndpoint, type PnrpBindingOptions, type PnrpBindingStats, type PnrpLimits,
  type PnrpNodeOptions, type PnrpNodeStats, type PublishResult, type VerifiedRecord, type PnrpRecord, type PnrpRecordFields, type VerifyContext,
  type RoutingCacheOptions, type LookupResult, PNRP_FRAME_KIND,
  type PnrpContact, type PnrpRpc, type PnrpRequest, type PnrpResponse, type PnrpRequestHandler, type PnrpPingRequest, type PnrpFindRequest,
  type PnrpStoreRequest, type PnrpPongResponse, type PnrpFoundResponse, type PnrpStoredResponse, type PnrpResponseFor, type LookupHost, encodeRecord,
} from '../resolver/pnrp/index.js';
