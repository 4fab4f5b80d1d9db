import type { Observable } from 'rxjs';
import type { Neighbor } from '../mesh/neighbor.js';
import type { NeighborInfo } from '../mesh/neighbor.js';
import type { GossipMesh } from './record-gossip.js';
import type { RecordSyncStats } from './sync/record-sync.js';
import type { SyncReport } from './sync/sync-session.js';
import type { RecordSyncSource } from './sync/sync-source.js';

/** What a reconciliation engine gets from the node. */
export interface RecordSyncContext {
  /** The node's record store, as reconciliation reads and feeds it. */
  readonly source: RecordSyncSource;
  /** This node's peer id. */
  readonly localPeerId: string;
  /**
   * Added to the reconciliation frame kinds (40–43) on the wire: 0 for the user store,
   * `SYSTEM_SPACE_KIND_OFFSET` (8, so 48–51) for the system records space.
   * @defaultValue 0
   */
  readonly kindOffset?: number;
  /** The mesh: neighbours, extension frames (kinds 40–43 are reconciliation's), link violations. */
  readonly mesh: GossipMesh & {
    /** Hot, replays: the neighbour set after each change. */
    readonly neighbors$: Observable<readonly NeighborInfo[]>;
    /** The neighbour with this peer id, if linked. */
    neighbor(peerId: string): Neighbor | undefined;
  };
}

/** A running reconciliation engine: syncs on every new link and periodically with one neighbour. */
export interface RecordSyncEngine {
  /** Hot, replays: `true` once the first reconciliation with a neighbour finished. */
  readonly synchronized$: Observable<boolean>;
  /** Hot: one report per finished session, whatever its outcome (engines that do not report leave it out). */
  readonly sessions$?: Observable<SyncReport>;
  /** Sessions counted since the engine started (engines that do not count leave it out). */
  readonly stats?: RecordSyncStats;
  /** Stops every session and timer. Idempotent. */
  close(): void;
}

/** Makes the reconciliation engine of one node. */
export type RecordSyncFactory = (context: RecordSyncContext) => RecordSyncEngine;
