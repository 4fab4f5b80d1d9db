export { MemoryNetwork, type MemoryFaults } from './memory-network.js';
export { memoryTransport, type MemoryTransportOptions } from './memory-transport.js';
