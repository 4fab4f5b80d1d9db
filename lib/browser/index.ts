/**
 * `peerchannel/browser`: the module a browser page imports to use the mesh through the node that
 * served it (see `startGateway`). It imports no Node module: decorators, contracts and errors
 * are the same code as on Node, so one contract file serves both.
 *
 * @packageDocumentation
 */
export { GatewayClient, type GatewayConnectOptions, type PageOperationArgs, type PageRecordClass } from './gateway-client.js';
export type { GatewayClosed } from './gateway-connection.js';
export { type PageProxy, type PageGatherProxy, type PageCallStyles, type PageOperationKeys } from './page-proxy.js';
export { PageRecordCollection, type PageRecordChange, type PageRecordQuery } from './page-records.js';
export { PeerContract, PeerOperation, PeerHopCount, contractStub, type PeerOperationOptions } from '../contracts/decorators.js';
export { PeerRecordType, RecordField, RecordAttribute, type PeerRecordTypeOptions, type RecordFieldOptions } from '../records/record-decorators.js';
export { ErrorCode, PeerChannelError, isErrorCode } from '../errors/index.js';
export type { PeerCall, Reply, GatherOptions } from '../channel/peer-call.js';
export { type PeerId, asPeerId, isPeerId } from '../identity/peer-id.js';
export { GatewayCloseCode, type PageRecord, type PageRecordEvent, type PageStatus } from '../gateway/page-protocol.js';
