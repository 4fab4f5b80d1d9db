import { sha256 } from '@noble/hashes/sha2.js';
import type { PeerNode } from '../../../lib/index.js';
import type { Mesh } from '../../../lib/mesh/mesh.js';
import type { RecordSyncContext } from '../../../lib/records/record-sync-hook.js';
import { RecordSync } from '../../../lib/records/sync/record-sync.js';
import type { RecordSyncOptions } from '../../../lib/records/sync/sync-options.js';
import type { ReceiveOutcome, RecordAbstract, RecordSyncSource } from '../../../lib/records/sync/sync-source.js';
import { SyncTree } from '../../../lib/records/sync/sync-tree.js';
import type { Rng } from './fixtures.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * A minimal RecordSyncSource over plain items: an item's encoding is 8 bytes of modified time
 * followed by a payload, its hash the SHA-256 of that. No conflict rule: every item not held is
 * wanted. Enough to test reconciliation and transfer apart from the record model.
 */
export class ItemSource implements RecordSyncSource {
  readonly index = new SyncTree();
  readonly items = new Map<string, Uint8Array>();
  received = 0;

  add(modified: number, payload: Uint8Array): Uint8Array {
    const encoded = new Uint8Array(8 + payload.length);
    new DataView(encoded.buffer).setFloat64(0, modified);
    encoded.set(payload, 8);
    const hash = sha256(encoded);
    this.items.set(hex(hash), encoded);
    this.index.insert({ modified, hash });
    return hash;
  }

  addRandom(rng: Rng, modified: number, bytes = 100): Uint8Array {
    return this.add(modified, rng.bytes(bytes));
  }

  abstractOf(hash: Uint8Array): RecordAbstract | undefined {
    const e = this.items.get(hex(hash));
    if (e === undefined) return undefined;
    const modified = new DataView(e.buffer, e.byteOffset).getFloat64(0);
    return { hash, recordId: hash.slice(0, 16), version: 1, created: modified, modified, expires: modified + 1e9, lastModifier: 'peer', deleted: false, signature: new Uint8Array(64) };
  }

  wants(theirs: RecordAbstract): boolean {
    return !this.items.has(hex(theirs.hash));
  }

  async load(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.items.get(hex(hash));
  }

  async receive(encoded: Uint8Array): Promise<ReceiveOutcome> {
    this.received++;
    if (encoded.length < 8) return 'rejected';
    const hash = sha256(encoded);
    if (this.items.has(hex(hash))) return 'stale';
    this.items.set(hex(hash), encoded);
    this.index.insert({ modified: new DataView(encoded.buffer, encoded.byteOffset).getFloat64(0), hash });
    return 'stored';
  }

  /** Hashes held, as a sorted list of hex strings. */
  digest(): string[] {
    return [...this.items.keys()].sort();
  }
}

/** The node's mesh as the sync engine sees it. */
export function syncContext(node: PeerNode, source: RecordSyncSource): RecordSyncContext {
  const mesh = (node as unknown as { mesh: Mesh }).mesh;
  return {
    source,
    localPeerId: mesh.localPeerId,
    mesh: {
      get neighbors() {
        return mesh.neighbors;
      },
      neighbors$: mesh.neighbors$,
      neighbor: (peerId: string) => mesh.neighbors.get(peerId),
      registerExtension: mesh.registerExtension.bind(mesh),
      sendExtension: mesh.sendExtension.bind(mesh),
      violation: mesh.violation.bind(mesh),
    },
  };
}

/** Runs the sync engine over an item source on a node opened without records. */
export function attachSync(node: PeerNode, source: RecordSyncSource, options: RecordSyncOptions = {}): RecordSync {
  return new RecordSync(syncContext(node, source), { intervalMs: 0, ...options });
}

export function meshOf(node: PeerNode): Mesh {
  return (node as unknown as { mesh: Mesh }).mesh;
}
