/**
 * `peerchannel/records`: the record engine under `node.records` — the store and its storage
 * interface (for a storage of one's own), the gossip of live changes, the sync engine's parts
 * (sync tree, sessions), signed record encoding and the conflict rule. An application declares
 * record types and uses collections from `peerchannel`.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export {
  PeerRecordStore, type RecordStoreOptions, type StoreChange, type StoreChangeKind, type RecordWrite, type RecordValidator, type ReceiveResult,
  compareVersions, type ConflictFields,
  type RecordStorage, type StorageChange, LevelRecordStorage, MemoryRecordStorage, RecordFrameKind, SYSTEM_SPACE_KIND_OFFSET, systemRecordLimits, RecordGossip, type GossipMesh,
  type RecordSyncContext, type RecordSyncEngine, type RecordSyncFactory,
  decodePeerRecord, signPeerRecord, RECORD_ID_BYTES, type SignedRecord, type RecordFields,
  type SyncItem, type SyncIndex, type RecordAbstract, type RecordSyncSource, type ReceiveOutcome, VERSION_HASH_BYTES,
  RecordSync, recordSync, type RecordSyncStats, type RecordSyncOptions, SyncTree, SyncFrameKind, type SyncReport, type SyncOutcome,
} from '../records/index.js';
