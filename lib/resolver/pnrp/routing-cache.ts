import { levelOf, ringDistance } from './pnrp-id.js';
import type { PnrpContact } from './protocol.js';

/** Shape of a node's multi-level cache. */
export interface RoutingCacheOptions {
  /**
   * Most contacts kept in one level.
   * @defaultValue 20
   */
  readonly entriesPerLevel?: number;
  /**
   * Number of levels; contacts closer than the deepest level's band count as the deepest level.
   * @defaultValue 16
   */
  readonly levels?: number;
  /**
   * Nearest contacts kept on each side of the node (its neighbourhood, the bottom of the cache).
   * @defaultValue 5
   */
  readonly neighboursPerSide?: number;
  /**
   * Contacts remembered per full level, promoted when an entry of that level is evicted.
   * @defaultValue 5
   */
  readonly replacementsPerLevel?: number;
  /**
   * Failed requests in a row after which an entry is evicted.
   * @defaultValue 1
   */
  readonly maxFailures?: number;
}

interface Entry {
  contact: PnrpContact;
  readonly level: number;
  inLevel: boolean;
  inLeaf: boolean;
  failures: number;
  lastSeen: number;
}

/**
 * A PNRP node's cache: levels that each cover a tenth of the ring span of the one above, about 20
 * contacts a level, and the node's own neighbourhood at the bottom.
 *
 * @remarks
 * A lookup through such caches gains about a level per step, so it takes about log10(N) steps.
 * Level entries are kept while they answer (older live contacts are worth more than new unknown
 * ones); a contact that fails is evicted and the newest remembered replacement takes its place.
 * The neighbourhood always holds the nearest known contacts on each side, so the nodes closest to
 * any id know each other — that is where records are stored.
 */
export class RoutingCache {
  private readonly entries = new Map<string, Entry>();
  private readonly levelLists: Entry[][];
  private readonly replacements: PnrpContact[][];
  private successors: Entry[] = [];
  private predecessors: Entry[] = [];
  /** Most contacts kept in one level. */
  readonly entriesPerLevel: number;
  /** Number of levels. */
  readonly levels: number;
  /** Nearest contacts always kept on each side of the node. */
  readonly neighboursPerSide: number;
  private readonly replacementsPerLevel: number;
  private readonly maxFailures: number;
  /** Contacts evicted after failing, since creation. */
  evictions = 0;

  constructor(
    /** The node whose cache this is. */
    readonly self: PnrpContact,
    options: RoutingCacheOptions = {},
  ) {
    this.entriesPerLevel = options.entriesPerLevel ?? 20;
    this.levels = options.levels ?? 16;
    this.neighboursPerSide = options.neighboursPerSide ?? 5;
    this.replacementsPerLevel = options.replacementsPerLevel ?? 5;
    this.maxFailures = options.maxFailures ?? 1;
    this.levelLists = Array.from({ length: this.levels }, () => []);
    this.replacements = Array.from({ length: this.levels }, () => []);
  }

  /** Contacts held (in a level, the neighbourhood, or both). */
  get size(): number {
    return this.entries.size;
  }

  /** True when the contact is in a level or the neighbourhood. */
  has(peerId: string): boolean {
    return this.entries.has(peerId);
  }

  /** Contacts per level, top level first (for diagnostics and the level-refresh schedule). */
  levelCounts(): number[] {
    return this.levelLists.map((list) => list.length);
  }

  /** The neighbourhood: nearest known contacts, successors then predecessors. */
  neighbours(): PnrpContact[] {
    return [...this.successors, ...this.predecessors].map((e) => e.contact);
  }

  /** Every contact held. */
  contacts(): PnrpContact[] {
    return [...this.entries.values()].map((e) => e.contact);
  }

  /**
   * Offers a contact to the cache.
   *
   * @param direct - true when the contact itself just spoke to us (its details are fresh).
   * @returns whether the contact is now held.
   */
  add(contact: PnrpContact, now: number, direct = false): boolean {
    if (contact.peerId === this.self.peerId) return false;
    const existing = this.entries.get(contact.peerId);
    if (existing !== undefined) {
      if (direct) {
        existing.contact = contact;
        existing.failures = 0;
        existing.lastSeen = now;
      }
      return true;
    }
    const entry: Entry = { contact, level: levelOf(ringDistance(this.self.position, contact.position), this.levels), inLevel: false, inLeaf: false, failures: 0, lastSeen: direct ? now : 0 };
    this.offerLeaf(entry);
    const list = this.levelLists[entry.level] as Entry[];
    if (list.length < this.entriesPerLevel) {
      list.push(entry);
      entry.inLevel = true;
    } else {
      const failing = list.findIndex((e) => e.failures > 0);
      if (failing >= 0) {
        this.dropFromLevel(list[failing] as Entry, false);
        list.push(entry);
        entry.inLevel = true;
      } else if (!entry.inLeaf) {
        this.remember(entry.level, contact);
      }
    }
    if (entry.inLevel || entry.inLeaf) this.entries.set(contact.peerId, entry);
    return entry.inLevel || entry.inLeaf;
  }

  /** Records that `peerId` answered. */
  markAlive(peerId: string, now: number): void {
    const entry = this.entries.get(peerId);
    if (entry === undefined) return;
    entry.failures = 0;
    entry.lastSeen = now;
  }

  /** Records that a request to `peerId` failed; evicts it after `maxFailures`. Returns true if evicted. */
  markFailed(peerId: string): boolean {
    const entry = this.entries.get(peerId);
    if (entry === undefined) {
      for (const list of this.replacements) {
        const i = list.findIndex((c) => c.peerId === peerId);
        if (i >= 0) list.splice(i, 1);
      }
      return false;
    }
    entry.failures += 1;
    if (entry.failures < this.maxFailures) return false;
    this.remove(peerId);
    this.evictions += 1;
    return true;
  }

  /** Forgets a contact, promoting a replacement into its level and refilling the neighbourhood. */
  remove(peerId: string): void {
    const entry = this.entries.get(peerId);
    if (entry === undefined) return;
    this.entries.delete(peerId);
    if (entry.inLevel) this.dropFromLevel(entry, true);
    if (entry.inLeaf) {
      entry.inLeaf = false;
      this.successors = this.successors.filter((e) => e !== entry);
      this.predecessors = this.predecessors.filter((e) => e !== entry);
      // Any held contact may now be among the nearest: re-offer them all (the cache is small).
      for (const other of this.entries.values()) if (!other.inLeaf) this.offerLeaf(other);
    }
  }

  /**
   * Up to `n` held contacts closest to `position`, nearest first (ties broken by peer id).
   * @param exclude - peer ids to leave out.
   */
  closest(position: number, n: number, exclude?: ReadonlySet<string>): PnrpContact[] {
    const best: { d: number; c: PnrpContact }[] = [];
    for (const entry of this.entries.values()) {
      const c = entry.contact;
      if (exclude?.has(c.peerId)) continue;
      const d = ringDistance(position, c.position);
      if (best.length === n && !closer(d, c.peerId, best[n - 1] as { d: number; c: PnrpContact })) continue;
      let i = best.length;
      while (i > 0 && closer(d, c.peerId, best[i - 1] as { d: number; c: PnrpContact })) i -= 1;
      best.splice(i, 0, { d, c });
      if (best.length > n) best.pop();
    }
    return best.map((b) => b.c);
  }

  /** Up to `n` held contacts not heard from since `before`, oldest first. */
  staleContacts(before: number, n: number): PnrpContact[] {
    return [...this.entries.values()]
      .filter((e) => e.lastSeen < before)
      .sort((a, b) => a.lastSeen - b.lastSeen)
      .slice(0, n)
      .map((e) => e.contact);
  }

  private dropFromLevel(entry: Entry, promote: boolean): void {
    const list = this.levelLists[entry.level] as Entry[];
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    entry.inLevel = false;
    if (!entry.inLeaf) this.entries.delete(entry.contact.peerId);
    if (!promote) return;
    const candidates = this.replacements[entry.level] as PnrpContact[];
    while (candidates.length > 0 && list.length < this.entriesPerLevel) {
      const next = candidates.pop() as PnrpContact;
      if (next.peerId === entry.contact.peerId || this.entries.has(next.peerId)) continue;
      const promoted: Entry = { contact: next, level: entry.level, inLevel: true, inLeaf: false, failures: 0, lastSeen: 0 };
      list.push(promoted);
      this.entries.set(next.peerId, promoted);
      this.offerLeaf(promoted);
    }
  }

  private remember(level: number, contact: PnrpContact): void {
    const list = this.replacements[level] as PnrpContact[];
    const i = list.findIndex((c) => c.peerId === contact.peerId);
    if (i >= 0) list.splice(i, 1);
    list.push(contact);
    if (list.length > this.replacementsPerLevel) list.shift();
  }

  private offerLeaf(entry: Entry): void {
    const clockwise = (((entry.contact.position - this.self.position) % 1) + 1) % 1;
    const successor = clockwise <= 0.5;
    const side = successor ? this.successors : this.predecessors;
    const span = (e: Entry) => {
      const cw = (((e.contact.position - this.self.position) % 1) + 1) % 1;
      return successor ? cw : 1 - cw;
    };
    const mine = successor ? clockwise : 1 - clockwise;
    if (side.length >= this.neighboursPerSide && mine >= span(side[side.length - 1] as Entry)) return;
    let i = side.length;
    while (i > 0 && mine < span(side[i - 1] as Entry)) i -= 1;
    side.splice(i, 0, entry);
    entry.inLeaf = true;
    if (side.length > this.neighboursPerSide) {
      const out = side.pop() as Entry;
      out.inLeaf = false;
      if (!out.inLevel) {
        this.entries.delete(out.contact.peerId);
        this.remember(out.level, out.contact);
      }
    }
  }
}

function closer(d: number, peerId: string, other: { d: number; c: PnrpContact }): boolean {
  return d < other.d || (d === other.d && peerId < other.c.peerId);
}
