/**
 * `peerchannel/testing`: tools for specs and simulations, not for production meshes — the
 * in-process memory transport, fault injection on any transport, and an in-process PNRP network.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export { MemoryNetwork, memoryTransport, type MemoryFaults, type MemoryTransportOptions } from '../transport/memory/index.js';
export { FaultPlan, faultyTransport, FaultyTransport, type FaultOptions, type FaultStats, type FrameFate, type LossMode, type FaultyTransportOptions } from '../transport/faults/index.js';
export { PnrpSimNetwork, type PnrpSimOptions } from '../resolver/pnrp/index.js';
