export { PeerContract, PeerOperation, PeerHopCount, contractStub, type PeerOperationOptions } from './decorators.js';
export { describeContract, checkArguments, RESERVED_NAMES, type ContractClass, type ContractDescriptor, type OperationDescriptor } from './contract-descriptor.js';
export type { ArgumentCheck } from './argument-check.js';
