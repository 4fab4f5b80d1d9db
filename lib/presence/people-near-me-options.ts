import type { PeerId } from '../identity/peer-id.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { PresenceLimits } from './presence-record.js';

/** Options for {@link PeopleNearMe}: where to multicast, how often, and what to accept. */
export interface PeopleNearMeOptions {
  /**
   * The interface to multicast on: for IPv4 its address (tests pass `'127.0.0.1'`: multicast then
   * never leaves the machine); for IPv6 `'::%<name>'` (e.g. `'::%eth0'`), which IPv6 requires.
   * @defaultValue IPv4: every interface (multicast-dns's choice); IPv6: none (required)
   */
  readonly interface?: string;
  /**
   * Address family. mDNS runs on each family separately (`224.0.0.251` and `ff02::fb`); start one
   * People Near Me per family to be seen on both.
   * @defaultValue `'IPv6'` when `interface` contains a colon, else `'IPv4'`
   */
  readonly family?: 'IPv4' | 'IPv6';
  /**
   * UDP port. Tests use a random free one, never the real mDNS port.
   * @defaultValue 5353
   */
  readonly port?: number;
  /**
   * Multicast group.
   * @defaultValue '224.0.0.251' (IPv4), 'ff02::fb' (IPv6)
   */
  readonly group?: string;
  /**
   * Multicast TTL (hops); 1 keeps packets on the local link.
   * @defaultValue 255 (mDNS)
   */
  readonly multicastTtl?: number;
  /**
   * How long an announced presence stays valid; announcements repeat at a third of it.
   * @defaultValue 60_000
   */
  readonly presenceTtlMs?: number;
  /**
   * How long a query waits for answers.
   * @defaultValue 250
   */
  readonly queryWindowMs?: number;
  /**
   * Most peers remembered; announcements of further peers are dropped and counted.
   * @defaultValue 256
   */
  readonly maxPeers?: number;
  /**
   * Most packets handled per second; the rest are dropped and counted.
   * @defaultValue 500
   */
  readonly maxPacketsPerSecond?: number;
  /**
   * Most answers looked at in one packet (the rest are counted `oversized`).
   * @defaultValue 32
   */
  readonly maxAnswersPerPacket?: number;
  /**
   * Largest packet looked at, in bytes (RFC 6762 keeps mDNS packets within 9,000); a larger one
   * is dropped and counted `oversized`.
   * @defaultValue 9_000
   */
  readonly maxPacketBytes?: number;
  /**
   * Most signatures checked per second for one source address (a burst of as many, then refilled
   * at that rate); announcements past it are dropped and counted `rateLimited`.
   * @defaultValue 64
   */
  readonly maxVerificationsPerSource?: number;
  /**
   * Most signatures checked per second in all (every source together, as a source address is
   * easy to forge on a LAN).
   * @defaultValue 256
   */
  readonly maxVerificationsPerSecond?: number;
  /**
   * How far an announcement's timestamp may be from this node's clock, either way, in
   * milliseconds: older ones (a recorded announcement replayed) and ones from too far ahead are
   * dropped and counted `replayed`. Beyond it, each peer's announcements are taken in strictly
   * increasing time order, so within the window a replay is refused too once the receiver heard
   * the peer (its key and last time are remembered for twice `maxPeers` peers).
   * @defaultValue 60_000
   */
  readonly maxClockSkewMs?: number;
  /** Bounds on each presence. */
  readonly limits?: Partial<PresenceLimits>;
}

/** A peer near me, as its last announcement described it: signed by the key of its peer id. */
export interface NearbyPeer {
  /**
   * Its peer id: the announcement was signed by the key that hashes to it (so only that key's
   * holder announced it; dial it with that id pinned to reach that holder).
   */
  readonly peerId: PeerId;
  /** Its public key (DER SubjectPublicKeyInfo), which hashes to `peerId`. */
  readonly publicKeySpki: Uint8Array;
  /** The display name it announces, signed with the rest (at most 64 characters; a name is not unique). */
  readonly displayName: string;
  /** Addresses it can be dialled at (at most 8). */
  readonly addresses: readonly string[];
  /** Meshes the peer offers now. */
  readonly meshes: readonly string[];
  /** Source address of the last announcement (informational: UDP source addresses are easily forged). */
  readonly from: string;
}

/** A change in the set of peers near me. */
export interface NearbyEvent {
  /** `appeared` the first time, `updated` when its announcement changed, `left` on a goodbye or when its presence expired. */
  readonly type: 'appeared' | 'updated' | 'left';
  /** The peer as last announced. */
  readonly peer: NearbyPeer;
}

/** What this node announces about one of its peers. */
export interface PresenceAnnouncement {
  /** Whose presence: its peer id is announced, and its key signs every announcement (normally `node.identity`). */
  readonly identity: PeerIdentity;
  /** @defaultValue '' */
  readonly displayName?: string;
  /** Addresses to announce (normally `node.addresses`; at most 8). */
  readonly addresses: readonly string[];
  /** Meshes offered for as long as the presence is published. */
  readonly meshes?: readonly string[];
}

/** Counters of a {@link PeopleNearMe}. */
export interface PeopleNearMeStats {
  /** Multicast DNS packets received. */
  packets: number;
  /** Presence answers that broke the format or a bound. */
  malformed: number;
  /** Packets dropped by the rate bound, or undecodable. */
  dropped: number;
  /** Peers not remembered because `maxPeers` were known. */
  overflow: number;
  /** Packets over `maxPacketBytes`, answers past `maxAnswersPerPacket`, presences with more strings than any within the limits. */
  oversized: number;
  /** Presences without a key and signature (e.g. version 1): never shown. */
  unsigned: number;
  /** Presences whose key does not hash to their peer id, or whose signature does not verify (an altered field): never shown. */
  forged: number;
  /** Presences older than the last one taken from that peer, or with a timestamp outside `maxClockSkewMs`: never shown. */
  replayed: number;
  /** Presences not checked because their source, or all sources, were over the verification rate. */
  rateLimited: number;
  /** Presences whose signature verified. */
  verified: number;
}
