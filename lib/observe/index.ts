export { NodeObserver, type MeshViewOptions } from './node-observer.js';
export { ObserveContract } from './observe-contract.js';
export { defaultObserveOptions, type ObserveOptions } from './observe-options.js';
export type { MessageTrace, TraceReceiver, TraceMiss, MissReason } from './message-trace.js';
export type { TraceSummary } from './trace-collector.js';
export type { TraceReport } from './trace-report.js';
export type { MeshView, NodeDescription, LinkDescription } from './mesh-view.js';
export { startInspector, type Inspector, type InspectorOptions, MAX_PAGE_MESSAGE_BYTES, PAGE_MESSAGES_PER_SECOND } from './inspector/inspector-server.js';
export { NodeRecord } from './mesh-record.js';
