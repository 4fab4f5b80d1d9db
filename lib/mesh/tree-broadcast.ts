import type { FrameLimits } from '../codec/index.js';
import { MeshFrameKind, MAX_IDS_PER_FRAME, decodeGraft, decodeIHave, decodePrune } from './mesh-frames.js';
import type { MeshStats } from './mesh-stats.js';
import { MessageCache } from './message-cache.js';
import type { Neighbor } from './neighbor.js';
import type { MeshTuning } from './options.js';
import type { SeenCache } from './seen-cache.js';
import { idKey } from './seen-cache.js';

/** What tree broadcast needs from the mesh. @internal */
export interface TreeHost {
  readonly limits: FrameLimits;
  readonly seen: SeenCache;
  readonly stats: MeshStats;
  readonly neighbors: ReadonlyMap<string, Neighbor>;
  sendExtension(to: Neighbor, kind: number, payload: unknown): boolean;
  drop(code: string, message: string): void;
}

interface Missing {
  readonly id: Uint8Array;
  readonly announcers: string[];
  timer: NodeJS.Timeout;
}

/**
 * A lazy link's announcement must beat the tree path by this many hops to re-graft. One (any
 * strictly shorter path) keeps trees at flood depth; equal paths never swap, so trees do not flap.
 */
const OPTIMIZE_THRESHOLD = 1;
/** Most neighbours remembered as having announced one missing message. */
const MAX_ANNOUNCERS = 8;

/**
 * Plumtree's eager/lazy push, with one spanning tree per sender.
 *
 * @remarks
 * A link starts eager for senders not heard from yet (and lazy for the others, see
 * {@link TreeBroadcast.linked}). A payload that arrives a second time from a neighbour
 * makes that link lazy for the message's sender on both sides (PRUNE), so each sender's payloads
 * settle on the tree of first arrivals — a shortest-path tree, hence flood's depth. Lazy links
 * carry only ids (IHAVE, batched once per event-loop turn); a peer that hears of a message it has
 * not received within `graftTimeoutMs` asks an announcer for it (GRAFT), which also makes that
 * link eager again, and tries the next announcer if that fails. When a lazy link announces a
 * message by a shorter path than the tree brought it, the peer grafts that link and
 * prunes its old parent, so trees follow topology changes. Hop-limited messages are not
 * handled here: they are flooded, so `hops: N` still reaches every peer within N hops.
 *
 * The first message of a sender (or of a sender forgotten past `treeMaxSources`) costs what a
 * flood costs; the following ones cost one payload per peer plus ids on the other links.
 */
export class TreeBroadcast {
  private readonly cache: MessageCache;
  /** sender → neighbours that get only ids for its messages. */
  private readonly lazy = new Map<string, Set<string>>();
  private readonly missing = new Map<string, Missing>();
  private readonly pendingIds = new Map<Neighbor, [Uint8Array, number][]>();
  private flushScheduled = false;
  private closed = false;

  constructor(
    private readonly host: TreeHost,
    private readonly tuning: MeshTuning,
    /** False in flood mode: answer IHAVEs from tree-mode neighbours, but never prune or push lazily. */
    readonly active: boolean,
  ) {
    this.cache = new MessageCache(active ? tuning.messageCacheBytes : 0, tuning.messageCacheTtlMs);
  }

  /** Pushes a frame along the sender's tree: payload to eager links, ids to lazy ones; returns payload sends. */
  push(frame: Uint8Array, id: Uint8Array, key: string, origin: string, depth: number, travelledOut: number, from: Neighbor | undefined): number {
    const lazy = this.lazyFor(origin, false);
    let sent = 0;
    for (const n of this.host.neighbors.values()) {
      if (n === from) continue;
      if (lazy !== undefined && lazy.has(n.peerId)) this.announce(n, id, travelledOut);
      else if (n.send(frame)) sent += 1;
    }
    this.host.stats.relayed += sent;
    this.cache.add(key, { origin, frame, depth, from: from?.peerId });
    return sent;
  }

  /**
   * A payload arrived again from `from`: make that link lazy for its sender, both ways. The
   * sender is `origin` when the caller decoded the body, else the one cached under `key`
   * (duplicates are not decoded; one whose message left the cache prunes nothing).
   */
  duplicate(from: Neighbor, key: string, origin?: string): void {
    if (!this.active) return;
    origin ??= this.cache.get(key)?.origin;
    if (origin === undefined) return;
    this.prune(from, origin);
  }

  private prune(from: Neighbor, origin: string): void {
    // Sent on every duplicate, not once: a lost PRUNE must not leave a redundant eager link for good.
    (this.lazyFor(origin, true) as Set<string>).add(from.peerId);
    this.host.stats.prunes += 1;
    this.host.sendExtension(from, MeshFrameKind.Prune, [origin]);
  }

  /** A new payload arrived: stop waiting for it. */
  arrived(key: string): void {
    if (this.missing.size === 0) return;
    const m = this.missing.get(key);
    if (m === undefined) return;
    clearTimeout(m.timer);
    this.missing.delete(key);
  }

  onIHave(from: Neighbor, payload: unknown): void {
    for (const { id, travelled } of decodeIHave(payload)) {
      from.received += 1;
      const key = idKey(id);
      if (this.host.seen.has(key)) {
        this.maybeOptimize(from, id, key, travelled);
        continue;
      }
      const m = this.missing.get(key);
      if (m !== undefined) {
        if (m.announcers.length < MAX_ANNOUNCERS && !m.announcers.includes(from.peerId)) m.announcers.push(from.peerId);
        continue;
      }
      if (this.missing.size >= this.tuning.maxMissing) {
        this.host.drop('PC_ERR_LIMIT_EXCEEDED', `more than ${this.tuning.maxMissing} announced messages awaited; ignoring an IHAVE`);
        continue;
      }
      const entry: Missing = { id, announcers: [from.peerId], timer: undefined as unknown as NodeJS.Timeout };
      entry.timer = setTimeout(() => this.graftNext(key, entry), this.tuning.graftTimeoutMs);
      this.missing.set(key, entry);
    }
  }

  onGraft(from: Neighbor, payload: unknown): void {
    const { ids, resend } = decodeGraft(payload);
    for (const id of ids) {
      const cached = this.cache.get(idKey(id));
      if (cached === undefined) {
        this.host.drop('PC_ERR_LIMIT_EXCEEDED', 'graft for a message no longer cached');
        continue;
      }
      this.lazy.get(cached.origin)?.delete(from.peerId);
      if (resend && from.send(cached.frame)) this.host.stats.relayed += 1;
    }
  }

  onPrune(from: Neighbor, payload: unknown): void {
    const origins = decodePrune(payload, this.host.limits);
    if (!this.active) return;
    for (const origin of origins) (this.lazyFor(origin, true) as Set<string>).add(from.peerId);
  }

  /**
   * A new link starts lazy for every sender this node already has a tree for: it carries ids,
   * and becomes a tree link only if it proves shorter or is grafted after a miss. Starting eager
   * would push a duplicate per sender and reshape settled trees each time a link is added.
   */
  linked(peerId: string): void {
    if (!this.active) return;
    for (const set of this.lazy.values()) set.add(peerId);
  }

  close(): void {
    this.closed = true;
    for (const m of this.missing.values()) clearTimeout(m.timer);
    this.missing.clear();
    this.pendingIds.clear();
    this.cache.clear();
    this.lazy.clear();
  }

  private lazyFor(origin: string, create: boolean): Set<string> | undefined {
    let set = this.lazy.get(origin);
    if (set !== undefined) {
      // Most recently used senders stay; the least recent is forgotten first.
      this.lazy.delete(origin);
      this.lazy.set(origin, set);
      return set;
    }
    if (!create) return undefined;
    if (this.lazy.size >= this.tuning.treeMaxSources) this.lazy.delete(this.lazy.keys().next().value as string);
    set = new Set();
    this.lazy.set(origin, set);
    return set;
  }

  /** A lazy link offers a message much shorter than the tree brought it: graft it, prune the old parent. */
  private maybeOptimize(from: Neighbor, id: Uint8Array, key: string, travelled: number): void {
    if (!this.active) return;
    const cached = this.cache.get(key);
    if (cached === undefined || cached.from === undefined || cached.from === from.peerId) return;
    if (cached.depth - travelled < OPTIMIZE_THRESHOLD) return;
    // Once per parent: the old parent is marked lazy when pruned, so later ids do not graft again.
    if (this.lazy.get(cached.origin)?.has(cached.from) === true) return;
    this.host.stats.grafts += 1;
    this.host.sendExtension(from, MeshFrameKind.Graft, [[id], false]);
    const parent = this.host.neighbors.get(cached.from);
    if (parent !== undefined) this.prune(parent, cached.origin);
  }

  private graftNext(key: string, m: Missing): void {
    if (this.closed || this.missing.get(key) !== m) return;
    if (this.host.seen.has(key)) {
      this.missing.delete(key);
      return;
    }
    while (m.announcers.length > 0) {
      const n = this.host.neighbors.get(m.announcers.shift() as string);
      if (n === undefined) continue;
      this.host.stats.grafts += 1;
      this.host.sendExtension(n, MeshFrameKind.Graft, [[m.id], true]);
      // Plumtree's second timer: a shorter wait before asking the next announcer.
      m.timer = setTimeout(() => this.graftNext(key, m), Math.max(1, this.tuning.graftTimeoutMs / 2));
      return;
    }
    this.missing.delete(key);
  }

  private announce(to: Neighbor, id: Uint8Array, travelled: number): void {
    let list = this.pendingIds.get(to);
    if (list === undefined) {
      list = [];
      this.pendingIds.set(to, list);
    }
    list.push([id, travelled]);
    this.host.stats.lazyIds += 1;
    if (list.length >= MAX_IDS_PER_FRAME) {
      this.pendingIds.delete(to);
      this.host.sendExtension(to, MeshFrameKind.IHave, list);
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    for (const [to, list] of this.pendingIds) this.host.sendExtension(to, MeshFrameKind.IHave, list);
    this.pendingIds.clear();
  }
}
