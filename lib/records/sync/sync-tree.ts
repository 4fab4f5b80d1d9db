import { ErrorCode, PeerChannelError } from '../../errors/index.js';
import { type Bound, END_BOUND, boundBetween, compareKeys, paddedPrefix } from './bound.js';
import { HashSlots } from './hash-slots.js';
import { addHash, addSum, fingerprint, subHash, subSum, zeroSum } from './sum256.js';
import { type SyncIndex, type SyncItem, VERSION_HASH_BYTES } from './sync-source.js';

const H = VERSION_HASH_BYTES;
/** Items per leaf. */
const LEAF_CAPACITY = 64;
/** Children per inner node. */
const FANOUT = 32;

class Leaf {
  n = 0;
  readonly mods = new Float64Array(LEAF_CAPACITY);
  readonly hashes = new Uint8Array(LEAF_CAPACITY * H);
  readonly sum = zeroSum();
  get count(): number {
    return this.n;
  }
  resum(): void {
    this.sum.fill(0);
    for (let i = 0; i < this.n; i++) addHash(this.sum, this.hashes, i * H);
  }
}

class Inner {
  n = 0;
  count = 0;
  readonly children: Node[] = [];
  /** Lower bound of each child's keys (a separator: at most the child's smallest key). */
  readonly lowMods = new Float64Array(FANOUT + 1);
  readonly lowHashes = new Uint8Array((FANOUT + 1) * H);
  readonly sum = zeroSum();
  resum(): void {
    this.sum.fill(0);
    this.count = 0;
    for (let i = 0; i < this.n; i++) {
      const c = this.children[i] as Node;
      addSum(this.sum, c.sum);
      this.count += c.count;
    }
  }
}

type Node = Leaf | Inner;

/** A key as the tree takes it: `modified` and the 32 bytes at `bytes[off..]`. */
interface Key {
  readonly mod: number;
  readonly bytes: Uint8Array;
  readonly off: number;
}

/**
 * The {@link SyncIndex} implementation: an ordered set of {@link SyncItem}s by
 * `(modified, hash bytes)` with the range queries reconciliation needs.
 *
 * @remarks
 * A B+ tree whose leaves pack 64 items into typed arrays and whose nodes each keep their item
 * count and the 256-bit sum of their hashes, so insert, remove, rank and any range's count and
 * fingerprint cost O(log n). Items appended in time order fill leaves completely. A side table
 * keyed by hash prefix answers {@link SyncTree.has} from the hash alone. About 60–100 bytes an
 * item in all (see `npm run bench -- records`). Leaves emptied by removals are dropped;
 * partly-empty ones are not merged.
 */
export class SyncTree implements SyncIndex {
  private root: Node = new Leaf();
  private readonly slots = new HashSlots();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Approximate bytes this index holds (typed arrays; object headers not counted). */
  get memoryBytes(): number {
    let bytes = this.slots.bytes;
    const walk = (n: Node): void => {
      if (n instanceof Leaf) bytes += n.mods.byteLength + n.hashes.byteLength + n.sum.byteLength;
      else {
        bytes += n.lowMods.byteLength + n.lowHashes.byteLength + n.sum.byteLength + n.n * 8;
        for (let i = 0; i < n.n; i++) walk(n.children[i] as Node);
      }
    };
    walk(this.root);
    return bytes;
  }

  /**
   * Adds an item (no-op if present).
   * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for a hash that is not 32 bytes or a time
   * that is not a non-negative safe integer.
   */
  insert(item: SyncItem): void {
    const key = checked(item);
    if (this.contains(key)) return;
    const right = this.insertInto(this.root, key);
    if (right !== undefined) {
      const top = new Inner();
      this.attach(top, 0, this.root);
      this.attach(top, 1, right);
      top.resum();
      this.root = top;
    }
    this.slots.add(HashSlots.keyOf(key.bytes, key.off), key.mod);
    this.count++;
  }

  /** Removes an item (no-op if absent). */
  remove(item: SyncItem): void {
    const key = checked(item);
    if (!this.contains(key)) return;
    this.removeFrom(this.root, key);
    while (this.root instanceof Inner && this.root.n <= 1) this.root = this.root.n === 1 ? (this.root.children[0] as Node) : new Leaf();
    this.slots.delete(HashSlots.keyOf(key.bytes, key.off), key.mod);
    this.count--;
  }

  /** True if an item with this hash is held. */
  has(hash: Uint8Array): boolean {
    if (hash.length !== H) return false;
    return this.slots.find(HashSlots.keyOf(hash), (mod) => this.contains({ mod, bytes: hash, off: 0 }));
  }

  /** The `modified` time of the item with this hash, or `undefined`. */
  modifiedOf(hash: Uint8Array): number | undefined {
    if (hash.length !== H) return undefined;
    let found: number | undefined;
    this.slots.find(HashSlots.keyOf(hash), (mod) => {
      if (this.contains({ mod, bytes: hash, off: 0 })) found = mod;
      return found !== undefined;
    });
    return found;
  }

  /** Number of items strictly below `bound`. */
  rank(bound: Bound): number {
    if (bound.modified === Number.POSITIVE_INFINITY) return this.count;
    const key: Key = { mod: bound.modified, bytes: paddedPrefix(bound), off: 0 };
    let below = 0;
    let node = this.root;
    while (node instanceof Inner) {
      const i = this.route(node, key, false);
      if (i < 0) return below;
      for (let j = 0; j < i; j++) below += (node.children[j] as Node).count;
      node = node.children[i] as Node;
    }
    return below + this.leafPosition(node, key);
  }

  /** Fingerprint of the items at indices `[from, to)`. */
  fingerprint(from: number, to: number): Uint8Array {
    const acc = this.sumBefore(to);
    subSum(acc, this.sumBefore(from));
    return fingerprint(acc, to - from);
  }

  /** The item at `index` (a copy). */
  at(index: number): SyncItem {
    const [leaf, pos] = this.locate(index);
    return { modified: leaf.mods[pos] as number, hash: leaf.hashes.slice(pos * H, pos * H + H) };
  }

  /**
   * The shortest bound that separates the item at `index` from the one before it: every item
   * below `index` is below it, the item at `index` is not. `END_BOUND` at `size`.
   * @internal
   */
  boundAt(index: number): Bound {
    if (index >= this.count) return END_BOUND;
    const [leaf, pos] = this.locate(index);
    if (index === 0) return { modified: leaf.mods[pos] as number, prefix: new Uint8Array(0) };
    const [pl, pp] = this.locate(index - 1);
    return boundBetween(pl.mods[pp] as number, pl.hashes, pp * H, leaf.mods[pos] as number, leaf.hashes, pos * H);
  }

  /**
   * Calls `fn(bytes, offset)` for the hash of each item at indices `[from, to)`, in order, until
   * it returns `false`.
   */
  forEachHash(from: number, to: number, fn: (bytes: Uint8Array, offset: number) => boolean | void): void {
    if (from >= to) return;
    const visit = (node: Node, start: number): void => {
      if (node instanceof Leaf) {
        const end = Math.min(node.n, start + (to - from));
        for (let i = start; i < end && from < to; i++, from++) {
          if (fn(node.hashes, i * H) === false) {
            to = from;
            return;
          }
        }
        return;
      }
      let skip = start;
      for (let j = 0; j < node.n && from < to; j++) {
        const c = node.children[j] as Node;
        if (skip >= c.count) {
          skip -= c.count;
          continue;
        }
        visit(c, skip);
        skip = 0;
      }
    };
    visit(this.root, from);
  }

  // ---- internals ----

  private contains(key: Key): boolean {
    let node = this.root;
    while (node instanceof Inner) {
      const i = this.route(node, key, true);
      if (i < 0) return false;
      node = node.children[i] as Node;
    }
    const pos = this.leafPosition(node, key);
    return pos < node.n && compareKeys(node.mods[pos] as number, node.hashes, pos * H, key.mod, key.bytes, key.off) === 0;
  }

  /** Last child whose low is `<= key` (`orEqual`) or `< key`; -1 if none. */
  private route(node: Inner, key: Key, orEqual: boolean): number {
    let lo = 0;
    let hi = node.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKeys(node.lowMods[mid] as number, node.lowHashes, mid * H, key.mod, key.bytes, key.off);
      if (c < 0 || (orEqual && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** First position in the leaf whose item is `>= key`. */
  private leafPosition(leaf: Leaf, key: Key): number {
    let lo = 0;
    let hi = leaf.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(leaf.mods[mid] as number, leaf.hashes, mid * H, key.mod, key.bytes, key.off) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private setLow(node: Inner, i: number, mod: number, bytes: Uint8Array, off: number): void {
    node.lowMods[i] = mod;
    node.lowHashes.set(bytes.subarray(off, off + H), i * H);
  }

  /** Puts `child` at position `i` of `node`, its low taken from the child itself. */
  private attach(node: Inner, i: number, child: Node): void {
    node.children.splice(i, 0, child);
    node.lowMods.copyWithin(i + 1, i, node.n);
    node.lowHashes.copyWithin((i + 1) * H, i * H, node.n * H);
    node.n++;
    if (child instanceof Leaf) this.setLow(node, i, child.mods[0] as number, child.hashes, 0);
    else this.setLow(node, i, child.lowMods[0] as number, child.lowHashes, 0);
  }

  private insertInto(node: Node, key: Key): Node | undefined {
    if (node instanceof Leaf) return this.leafInsert(node, key);
    addHash(node.sum, key.bytes, key.off);
    node.count++;
    let i = this.route(node, key, true);
    if (i < 0) {
      i = 0;
      this.setLow(node, 0, key.mod, key.bytes, key.off);
    }
    const right = this.insertInto(node.children[i] as Node, key);
    if (right === undefined) return undefined;
    this.attach(node, i + 1, right);
    if (node.n <= FANOUT) return undefined;
    // Appending at the right edge keeps the left node full (time-ordered inserts).
    const mid = i + 1 === node.n - 1 ? node.n - 1 : node.n >>> 1;
    const out = new Inner();
    out.children.push(...node.children.splice(mid));
    out.n = node.n - mid;
    out.lowMods.set(node.lowMods.subarray(mid, node.n));
    out.lowHashes.set(node.lowHashes.subarray(mid * H, node.n * H));
    node.n = mid;
    node.resum();
    out.resum();
    return out;
  }

  private leafInsert(leaf: Leaf, key: Key): Leaf | undefined {
    const pos = this.leafPosition(leaf, key);
    if (leaf.n < LEAF_CAPACITY) {
      this.leafPut(leaf, pos, key);
      addHash(leaf.sum, key.bytes, key.off);
      return undefined;
    }
    const out = new Leaf();
    const mid = pos === LEAF_CAPACITY ? LEAF_CAPACITY : LEAF_CAPACITY >>> 1;
    out.n = LEAF_CAPACITY - mid;
    out.mods.set(leaf.mods.subarray(mid));
    out.hashes.set(leaf.hashes.subarray(mid * H));
    leaf.n = mid;
    if (pos <= mid && pos < LEAF_CAPACITY) this.leafPut(leaf, pos, key);
    else this.leafPut(out, pos - mid, key);
    leaf.resum();
    out.resum();
    return out;
  }

  private leafPut(leaf: Leaf, pos: number, key: Key): void {
    leaf.mods.copyWithin(pos + 1, pos, leaf.n);
    leaf.hashes.copyWithin((pos + 1) * H, pos * H, leaf.n * H);
    leaf.mods[pos] = key.mod;
    leaf.hashes.set(key.bytes.subarray(key.off, key.off + H), pos * H);
    leaf.n++;
  }

  /** Removes a key known to be present; returns true if `node` is now empty. */
  private removeFrom(node: Node, key: Key): boolean {
    subHash(node.sum, key.bytes, key.off);
    if (node instanceof Leaf) {
      const pos = this.leafPosition(node, key);
      node.mods.copyWithin(pos, pos + 1, node.n);
      node.hashes.copyWithin(pos * H, (pos + 1) * H, node.n * H);
      node.n--;
      return node.n === 0;
    }
    node.count--;
    const i = this.route(node, key, true);
    if (this.removeFrom(node.children[i] as Node, key)) {
      node.children.splice(i, 1);
      node.lowMods.copyWithin(i, i + 1, node.n);
      node.lowHashes.copyWithin(i * H, (i + 1) * H, node.n * H);
      node.n--;
    }
    return node.n === 0;
  }

  private locate(index: number): [Leaf, number] {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `index ${index} is outside 0..${this.count - 1}`);
    let node = this.root;
    let rest = index;
    while (node instanceof Inner) {
      let j = 0;
      while (rest >= (node.children[j] as Node).count) rest -= (node.children[j++] as Node).count;
      node = node.children[j] as Node;
    }
    return [node, rest];
  }

  /** Sum of the hashes of the first `index` items. */
  private sumBefore(index: number): Uint32Array {
    const acc = zeroSum();
    if (index <= 0) return acc;
    if (index >= this.count) {
      addSum(acc, this.root.sum);
      return acc;
    }
    let node = this.root;
    let rest = index;
    while (node instanceof Inner) {
      let j = 0;
      while (rest >= (node.children[j] as Node).count) {
        const c = node.children[j++] as Node;
        rest -= c.count;
        addSum(acc, c.sum);
      }
      node = node.children[j] as Node;
    }
    if (rest * 2 <= node.n) for (let i = 0; i < rest; i++) addHash(acc, node.hashes, i * H);
    else {
      addSum(acc, node.sum);
      for (let i = rest; i < node.n; i++) subHash(acc, node.hashes, i * H);
    }
    return acc;
  }
}

function checked(item: SyncItem): Key {
  if (!(item.hash instanceof Uint8Array) || item.hash.length !== H) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `a sync item's hash must be ${H} bytes`);
  if (!Number.isSafeInteger(item.modified) || item.modified < 0) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a sync item\'s modified time must be a non-negative safe integer');
  return { mod: item.modified, bytes: item.hash, off: 0 };
}
