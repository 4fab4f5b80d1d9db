export { FaultPlan, type FaultOptions, type FaultStats, type FrameFate, type LossMode } from './fault-plan.js';
export { faultyTransport, FaultyTransport, type FaultyTransportOptions } from './faulty-transport.js';
