export { RecordSync, recordSync, type RecordSyncStats } from './record-sync.js';
export { type RecordSyncOptions, type SyncTuning, syncTuning } from './sync-options.js';
export type { SyncReport, SyncOutcome } from './sync-session.js';
export { SyncTree } from './sync-tree.js';
export { Reconciler, type ReconcileOptions } from './reconciler.js';
export { SyncFrameKind } from './sync-messages.js';
export { type Bound, END_BOUND, START_BOUND } from './bound.js';
export { RangeMode, type SyncRange } from './sync-range.js';
export * from './sync-source.js';
