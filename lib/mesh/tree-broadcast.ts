import type { FrameLimits } from '../codec/index.js';
import { IHAVE_ENTRY_BYTES, MeshFrameKind, MAX_IDS_PER_FRAME, decodeGraft, decodeIHave, decodePrune } from './mesh-frames.js';
import type { MeshStats } from './mesh-stats.js';
import { MessageCache } from './message-cache.js';
import type { Neighbor } from './neighbor.js';
import type { MeshTuning } from './options.js';
import type { SeenIds } from './seen-ids.js';
import { idKey, idKeyAt } from './seen-cache.js';

/** What tree broadcast needs from the mesh. @internal */
export interface TreeHost {
  readonly limits: FrameLimits;
  readonly seen: SeenIds;
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

/** Ids owed to one lazy link, by origin, until the next lazy push. */
interface Owed {
  count: number;
  readonly byOrigin: Map<string, { ids: Uint8Array[]; travelled: number[] }>;
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
 * Each node chooses its own incoming tree link per sender: its **parent**, the neighbour the
 * last first-arriving payload of that sender came from. A payload that arrives a second time
 * from a neighbour other than the parent makes that neighbour stop pushing that sender's payloads
 * here (PRUNE, one direction of the link only); the parent is never pruned, so a node always has
 * the link its payloads came by, and trees settle on first arrivals — shortest paths, hence
 * flood's depth — without a moment where a node has no tree link at all. Links not in the tree
 * carry only ids (IHAVE), gathered per link and sent every `lazyPushMs` in one frame. A peer
 * that hears of a message it has not received asks an announcer for it (GRAFT, which also makes
 * that link eager again): at once when it has no parent for that sender (a new link, a parent
 * gone), else after `graftTimeoutMs`, trying the next announcer if that fails. When a lazy link
 * announces a message by a shorter path than the tree brought it, the peer grafts that link and
 * prunes its old parent, so trees follow topology changes. Hop-limited messages are not handled
 * here: they are flooded, so `hops: N` still reaches every peer within N hops.
 *
 * The first message of a sender (or of a sender forgotten past `treeMaxSources`) costs what a
 * flood costs; the following ones cost one payload per peer plus batched ids on the other links.
 */
export class TreeBroadcast {
  private readonly cache: MessageCache;
  /** sender → neighbours that get only ids for its messages (they pruned this node). */
  private readonly lazy = new Map<string, Set<string>>();
  /** sender → the neighbour its last first-arriving payload came from. */
  private readonly parents = new Map<string, string>();
  /**
   * sender → the most hops any of its payloads had travelled when cached here: a bound that lets
   * an IHAVE of a seen id skip the cache lookup when it cannot offer a shorter path. Bounded like
   * the trees; a sender forgotten and heard again may miss one optimisation, nothing else.
   */
  private readonly deepest = new Map<string, number>();
  private readonly missing = new Map<string, Missing>();
  private readonly owed = new Map<Neighbor, Owed>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;
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
      if (lazy !== undefined && lazy.has(n.peerId)) this.announce(n, origin, id, travelledOut);
      else if (n.send(frame)) sent += 1;
    }
    this.host.stats.relayed += sent;
    // A relayed frame is a view into the bytes it arrived in (a batch of frames, maybe): the cache
    // keeps a copy then, so that it holds no more than the frames' own bytes.
    const kept = frame.byteLength * 2 < frame.buffer.byteLength ? frame.slice() : frame;
    this.cache.add(key, { origin, frame: kept, depth, from: from?.peerId });
    const deepest = this.deepest.get(origin);
    if (deepest === undefined || deepest < depth) {
      this.deepest.set(origin, depth);
      if (deepest === undefined && this.deepest.size > this.tuning.treeMaxSources) this.deepest.delete(this.deepest.keys().next().value as string);
    }
    return sent;
  }

  /**
   * A payload arrived again from `from`: unless `from` is this node's parent for the sender, ask
   * it to push that sender's payloads here no more. The sender is `origin` when the caller
   * decoded the body, else the one cached under `key` (duplicates are not decoded; one whose
   * message left the cache prunes nothing).
   */
  duplicate(from: Neighbor, key: string, origin?: string): void {
    if (!this.active) return;
    origin ??= this.cache.get(key)?.origin;
    if (origin === undefined || this.parents.get(origin) === from.peerId) return;
    this.prune(from, origin);
  }

  /** Sent on every duplicate, not once: a lost PRUNE must not leave a redundant eager link for good. */
  private prune(from: Neighbor, origin: string): void {
    this.host.stats.prunes += 1;
    this.host.sendExtension(from, MeshFrameKind.Prune, [origin]);
  }

  /**
   * A new payload arrived from `from`: stop waiting for it, and `from` is the parent for its
   * sender now (`origin` is undefined for a hop-limited message, which is flooded, not treed).
   */
  arrived(key: string, origin: string | undefined, from: Neighbor): void {
    if (this.active && origin !== undefined) this.setParent(origin, from.peerId);
    if (this.missing.size === 0) return;
    const m = this.missing.get(key);
    if (m === undefined) return;
    clearTimeout(m.timer);
    this.missing.delete(key);
  }

  onIHave(from: Neighbor, payload: unknown): void {
    for (const { origin, entries } of decodeIHave(payload, this.host.limits)) {
      const parent = this.parents.get(origin);
      // No tree link for this sender (a new link, or the parent is gone): nothing else will bring it.
      const orphan = this.active && (parent === undefined || !this.host.neighbors.has(parent));
      // A seen id whose announced path cannot be shorter than any cached one of its sender costs one lookup.
      const deepest = this.active ? (this.deepest.get(origin) ?? Infinity) : -Infinity;
      for (let at = 0; at < entries.length; at += IHAVE_ENTRY_BYTES) {
        from.received += 1;
        if (this.host.seen.hasAt(entries, at)) {
          const travelled = ((entries[at + 16] as number) << 8) | (entries[at + 17] as number);
          if (deepest - travelled >= OPTIMIZE_THRESHOLD) this.maybeOptimize(from, entries.subarray(at, at + 16), idKeyAt(entries, at), travelled);
          continue;
        }
        const id = entries.subarray(at, at + 16);
        const key = idKeyAt(entries, at);
        const m = this.missing.get(key);
        if (m !== undefined) {
          if (m.announcers.length < MAX_ANNOUNCERS && !m.announcers.includes(from.peerId)) m.announcers.push(from.peerId);
          continue;
        }
        if (this.missing.size >= this.tuning.maxMissing) {
          this.host.drop('PC_ERR_LIMIT_EXCEEDED', `more than ${this.tuning.maxMissing} announced messages awaited; ignoring an IHAVE`);
          continue;
        }
        const entry: Missing = { id: id.slice(), announcers: [from.peerId], timer: undefined as unknown as NodeJS.Timeout };
        this.missing.set(key, entry);
        if (orphan) this.graftNext(key, entry);
        else entry.timer = setTimeout(() => this.graftNext(key, entry), this.tuning.graftTimeoutMs);
      }
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
   * and becomes a tree link only if it proves shorter or is grafted (at once by a peer with no
   * parent, such as one that just joined). Starting eager would push a duplicate per sender and
   * reshape settled trees each time a link is added.
   */
  linked(peerId: string): void {
    if (!this.active) return;
    for (const set of this.lazy.values()) set.add(peerId);
  }

  close(): void {
    this.closed = true;
    for (const m of this.missing.values()) clearTimeout(m.timer);
    this.missing.clear();
    this.owed.clear();
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    if (this.flushImmediate !== undefined) clearImmediate(this.flushImmediate);
    this.flushTimer = this.flushImmediate = undefined;
    this.cache.clear();
    this.lazy.clear();
    this.parents.clear();
    this.deepest.clear();
  }

  private setParent(origin: string, peerId: string): void {
    const parents = this.parents;
    if (parents.get(origin) === peerId) return;
    parents.delete(origin);
    parents.set(origin, peerId);
    if (parents.size > this.tuning.treeMaxSources) parents.delete(parents.keys().next().value as string);
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
    // Once per parent: after the switch the old parent is no longer the parent, so later ids do not graft again.
    if (this.parents.get(cached.origin) !== cached.from) return;
    this.host.stats.grafts += 1;
    this.host.sendExtension(from, MeshFrameKind.Graft, [[Buffer.from(id)], false]);
    this.setParent(cached.origin, from.peerId);
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
      this.host.sendExtension(n, MeshFrameKind.Graft, [[Buffer.from(m.id.buffer, m.id.byteOffset, m.id.byteLength)], true]);
      // Plumtree's second timer: a shorter wait before asking the next announcer.
      m.timer = setTimeout(() => this.graftNext(key, m), Math.max(1, this.tuning.graftTimeoutMs / 2));
      return;
    }
    this.missing.delete(key);
  }

  private announce(to: Neighbor, origin: string, id: Uint8Array, travelled: number): void {
    let owed = this.owed.get(to);
    if (owed === undefined) {
      owed = { count: 0, byOrigin: new Map() };
      this.owed.set(to, owed);
    }
    let group = owed.byOrigin.get(origin);
    if (group === undefined) {
      group = { ids: [], travelled: [] };
      owed.byOrigin.set(origin, group);
    }
    group.ids.push(id);
    group.travelled.push(travelled);
    owed.count += 1;
    this.host.stats.lazyIds += 1;
    if (owed.count >= MAX_IDS_PER_FRAME) {
      this.owed.delete(to);
      this.sendOwed(to, owed);
    } else if (this.flushTimer === undefined && this.flushImmediate === undefined) {
      if (this.tuning.lazyPushMs > 0) this.flushTimer = setTimeout(this.flush, this.tuning.lazyPushMs);
      else this.flushImmediate = setImmediate(this.flush);
    }
  }

  private sendOwed(to: Neighbor, owed: Owed): void {
    const groups: [string, Buffer][] = [];
    for (const [origin, g] of owed.byOrigin) {
      const entries = Buffer.allocUnsafe(g.ids.length * IHAVE_ENTRY_BYTES);
      for (let i = 0; i < g.ids.length; i++) {
        const at = i * IHAVE_ENTRY_BYTES;
        entries.set(g.ids[i] as Uint8Array, at);
        const t = Math.min(0xffff, g.travelled[i] as number);
        entries[at + 16] = t >>> 8;
        entries[at + 17] = t & 0xff;
      }
      groups.push([origin, entries]);
    }
    this.host.sendExtension(to, MeshFrameKind.IHave, groups);
  }

  private readonly flush = (): void => {
    this.flushTimer = this.flushImmediate = undefined;
    if (this.closed) return;
    for (const [to, owed] of this.owed) this.sendOwed(to, owed);
    this.owed.clear();
  };
}
