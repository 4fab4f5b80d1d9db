import { randomBytes } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { Registration, ResolvedPeer } from './resolver.js';
import { notRegistered, shuffle } from './resolver-limits.js';

/** Bounds of a {@link RegistrationTable}. */
export interface RegistrationTableOptions {
  /**
   * Most live registrations in the table.
   * @defaultValue 100_000
   */
  readonly maxTotal?: number;
  /**
   * Most live registrations in one mesh.
   * @defaultValue 10_000
   */
  readonly maxPerMesh?: number;
  /**
   * Most live registrations of one peer id in one mesh; registering more evicts the one closest
   * to expiry, so a client that leaks registrations cannot fill a mesh.
   * @defaultValue 4
   */
  readonly maxPerPeer?: number;
  /** Clock, for tests. @defaultValue Date.now */
  readonly now?: () => number;
}

interface Entry {
  readonly id: string;
  readonly mesh: string;
  readonly peer: ResolvedPeer;
  expiresAt: number;
  ttlMs: number;
}

/**
 * An in-memory store of registrations with expiry: the state behind the static resolver and the
 * resolver service.
 *
 * @remarks
 * Expiry is checked on every read, so an expired registration is never returned even if no sweep
 * has run; {@link RegistrationTable.sweep} only frees memory and runs by itself at most once a
 * second from {@link RegistrationTable.register}. No timers are owned, so there is nothing to close.
 */
export class RegistrationTable {
  private readonly entries = new Map<string, Entry>();
  private readonly meshes = new Map<string, Set<string>>();
  private readonly maxTotal: number;
  private readonly maxPerMesh: number;
  private readonly maxPerPeer: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(options: RegistrationTableOptions = {}) {
    this.maxTotal = options.maxTotal ?? 100_000;
    this.maxPerMesh = options.maxPerMesh ?? 10_000;
    this.maxPerPeer = options.maxPerPeer ?? 4;
    this.now = options.now ?? (() => Date.now());
  }

  /** Live registrations (expired ones not yet swept included). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds a registration of `peer` in `mesh` for `ttlMs`.
   * @throws PeerChannelError `PC_ERR_LIMIT_EXCEEDED` when the table or the mesh is full.
   */
  register(mesh: string, peer: ResolvedPeer, ttlMs: number): Registration {
    const now = this.now();
    if (now - this.lastSweep >= 1000) this.sweep();
    let ids = this.meshes.get(mesh);
    const mine = ids === undefined ? [] : [...ids].map((id) => this.live(id, now)).filter((e): e is Entry => e?.peer.peerId === peer.peerId);
    if (mine.length >= this.maxPerPeer) {
      mine.sort((a, b) => a.expiresAt - b.expiresAt);
      this.remove(mine[0] as Entry);
      ids = this.meshes.get(mesh);
    }
    if (this.entries.size >= this.maxTotal) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `registration table is full (${this.maxTotal})`);
    if ((ids?.size ?? 0) >= this.maxPerMesh) throw new PeerChannelError(ErrorCode.LIMIT_EXCEEDED, `mesh is full (${this.maxPerMesh} registrations)`);
    const entry: Entry = { id: randomBytes(16).toString('hex'), mesh, peer, expiresAt: now + ttlMs, ttlMs };
    this.entries.set(entry.id, entry);
    if (ids === undefined) this.meshes.set(mesh, (ids = new Set()));
    ids.add(entry.id);
    return { id: entry.id, ttlMs };
  }

  /** Extends a live registration by `ttlMs` from now. @throws PeerChannelError `PC_ERR_NOT_REGISTERED` */
  refresh(id: string, ttlMs?: number): Registration {
    const entry = this.live(id, this.now());
    if (entry === undefined) throw notRegistered(id);
    if (ttlMs !== undefined) entry.ttlMs = ttlMs;
    entry.expiresAt = this.now() + entry.ttlMs;
    return { id, ttlMs: entry.ttlMs };
  }

  /** True while `id` is a live registration. */
  has(id: string): boolean {
    return this.live(id, this.now()) !== undefined;
  }

  /** Removes a registration; unknown ids are ignored. Returns whether one was removed. */
  unregister(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    this.remove(entry);
    return true;
  }

  /**
   * Up to `max` distinct live peers of `mesh`, in random order. When a peer has several
   * registrations, the one refreshed last wins.
   */
  resolve(mesh: string, max: number): ResolvedPeer[] {
    const ids = this.meshes.get(mesh);
    if (ids === undefined) return [];
    const now = this.now();
    const byPeer = new Map<string, Entry>();
    for (const id of [...ids]) {
      const entry = this.live(id, now);
      if (entry === undefined) continue;
      const seen = byPeer.get(entry.peer.peerId);
      if (seen === undefined || seen.expiresAt < entry.expiresAt) byPeer.set(entry.peer.peerId, entry);
    }
    return shuffle([...byPeer.values()]).slice(0, max).map((e) => e.peer);
  }

  /** Drops every expired registration; returns how many. */
  sweep(): number {
    const now = this.now();
    this.lastSweep = now;
    let n = 0;
    for (const entry of [...this.entries.values()]) {
      if (entry.expiresAt <= now) {
        this.remove(entry);
        n += 1;
      }
    }
    return n;
  }

  /** Forgets everything (a service restart, in tests). */
  clear(): void {
    this.entries.clear();
    this.meshes.clear();
  }

  private live(id: string, now: number): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.remove(entry);
      return undefined;
    }
    return entry;
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.id);
    const ids = this.meshes.get(entry.mesh);
    ids?.delete(entry.id);
    if (ids?.size === 0) this.meshes.delete(entry.mesh);
  }
}
