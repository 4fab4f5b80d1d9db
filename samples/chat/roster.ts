import { type Observable, Subject } from 'rxjs';
import { type PeerId, token } from '../../lib/index.js';
import { cleanName } from './text.js';

/** A change in who is in the room. */
export interface RosterEvent {
  /** `joined`: announced itself; `here`: was already in the room; `left`: said bye; `gone`: went silent. */
  readonly kind: 'joined' | 'here' | 'left' | 'gone';
  readonly peerId: PeerId;
  /** How to show the peer (its name, plus a peer-id suffix if another peer shares it). */
  readonly label: string;
}

/** Bounds and timing of a {@link Roster}. */
export interface RosterOptions {
  /** A peer not heard from for this long is gone. */
  readonly goneAfterMs: number;
  /**
   * Most peers remembered; presence from further peers is ignored (and counted).
   * @defaultValue 1000
   */
  readonly maxPeers?: number;
}

interface Entry {
  name: string;
  lastSeen: number;
}

/** Injection token of the chat's {@link Roster}. */
export const ROSTER = token<Roster>('chat:roster');

/**
 * The peers this chat knows are in the room, by peer id, and the names to show them by.
 *
 * @remarks
 * Fed by the presence service (announcements, heartbeats, byes, `/who` replies) and swept by the chat's
 * heartbeat timer. `events$` is hot and completes on {@link Roster.close}.
 */
export class Roster {
  private readonly peers = new Map<PeerId, Entry>();
  private readonly events = new Subject<RosterEvent>();
  private readonly maxPeers: number;
  /** Presence ignored because the roster was full. */
  ignored = 0;
  /** Hot: joins, leaves and silences, in the order they were noticed. */
  readonly events$: Observable<RosterEvent> = this.events.asObservable();

  constructor(
    private readonly self: { readonly peerId: PeerId; readonly name: string },
    private readonly options: RosterOptions,
  ) {
    this.maxPeers = options.maxPeers ?? 1000;
  }

  /** Notes that `peerId` is in the room as `name`; returns true if it was not known before. */
  saw(peerId: PeerId, name: string, kind: 'joined' | 'here'): boolean {
    const known = this.peers.get(peerId);
    if (known !== undefined) {
      known.name = cleanName(name);
      known.lastSeen = Date.now();
      return false;
    }
    if (this.peers.size >= this.maxPeers) {
      this.ignored += 1;
      return false;
    }
    this.peers.set(peerId, { name: cleanName(name), lastSeen: Date.now() });
    this.events.next({ kind, peerId, label: this.label(peerId) });
    return true;
  }

  /** Forgets a peer that said bye. */
  left(peerId: PeerId): void {
    this.forget(peerId, 'left');
  }

  /** Forgets every peer not heard from within `goneAfterMs`. */
  sweep(now = Date.now()): void {
    for (const [peerId, entry] of this.peers) {
      if (now - entry.lastSeen > this.options.goneAfterMs) this.forget(peerId, 'gone');
    }
  }

  /** The name to show for `peerId`, with a peer-id suffix when another peer (or this one) shares it. */
  label(peerId: PeerId, fallbackName = 'anonymous'): string {
    const name = this.peers.get(peerId)?.name ?? cleanName(fallbackName);
    let shared = name === this.self.name && peerId !== this.self.peerId;
    for (const [id, entry] of this.peers) shared ||= id !== peerId && entry.name === name;
    return shared ? `${name}#${peerId.slice(0, 6)}` : name;
  }

  /** Labels of every known peer, sorted. */
  labels(): string[] {
    return [...this.peers.keys()].map((id) => this.label(id)).sort();
  }

  /** Peer ids matching `query`: a name (any case), or `name#prefix` of a peer id. */
  find(query: string): PeerId[] {
    const hash = query.lastIndexOf('#');
    const name = (hash < 0 ? query : query.slice(0, hash)).toLowerCase();
    const prefix = hash < 0 ? '' : query.slice(hash + 1).toLowerCase();
    return [...this.peers].filter(([id, e]) => e.name.toLowerCase() === name && id.startsWith(prefix)).map(([id]) => id);
  }

  /** Completes `events$`. */
  close(): void {
    this.events.complete();
  }

  private forget(peerId: PeerId, kind: 'left' | 'gone'): void {
    if (!this.peers.has(peerId)) return;
    const label = this.label(peerId);
    this.peers.delete(peerId);
    this.events.next({ kind, peerId, label });
  }
}
