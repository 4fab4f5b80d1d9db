import { createHash, randomBytes } from 'node:crypto';

/**
 * Positions on the PNRP ring: where node ids and record ids sit, and how far apart they are.
 *
 * @remarks
 * PNRP ids are 256 bits. Closeness is measured on their leading 52 bits, read as a fraction of the
 * ring in [0, 1): doubles keep a 10,000-node simulation cheap, and two ids agreeing in their first
 * 52 bits are, for routing, the same place (ties are broken by peer id). Every published instance
 * of one name shares its top 128 bits, so all of them route to the same few nodes.
 */
const SCALE = 2 ** 52;

/** The 256-bit PNRP id (hex) of one published instance: name id ‖ service location. */
export function pnrpIdOf(nameId: string, serviceLocation: string): string {
  return nameId + serviceLocation;
}

/** A fresh random 128-bit service location, in hex. */
export function newServiceLocation(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The 256-bit routing id of a node in a cloud: SHA-256 over the cloud name and the node's peer id.
 *
 * @remarks
 * Deriving it (instead of letting a node choose) means a node cannot pick where it sits on the
 * ring, and any node can recompute a contact's id from its authenticated peer id.
 */
export function nodeIdFor(cloud: string, peerId: string): string {
  return createHash('sha256').update('pnrp-node\0').update(cloud, 'utf8').update('\0').update(peerId, 'utf8').digest('hex');
}

/** Where a hex id (at least 13 digits) sits on the ring, in [0, 1). */
export function positionOf(hexId: string): number {
  return Number.parseInt(hexId.slice(0, 13), 16) / SCALE;
}

/** Shortest way round the ring between two positions, in [0, 0.5]. */
export function ringDistance(a: number, b: number): number {
  const d = Math.abs(a - b);
  return d > 0.5 ? 1 - d : d;
}

/**
 * The cache level of a contact at ring distance `distance`: level 0 holds the far half of the
 * ring, and each level below covers a tenth of the span of the one above.
 *
 * @remarks
 * Level L holds distances in (0.5·10^-(L+1), 0.5·10^-L]; anything closer than the deepest level
 * counts as the deepest level.
 */
export function levelOf(distance: number, levels: number): number {
  if (distance <= 0) return levels - 1;
  const level = Math.floor(Math.log10(0.5 / distance));
  return Math.min(Math.max(level, 0), levels - 1);
}

/** A random position whose distance from `self` falls in `level`'s band. */
export function randomPositionInLevel(self: number, level: number, random: () => number): number {
  const outer = 0.5 / 10 ** level;
  const inner = outer / 10;
  const distance = inner + random() * (outer - inner);
  const side = random() < 0.5 ? -1 : 1;
  return (((self + side * distance) % 1) + 1) % 1;
}

/** The hex id (13 significant digits, zero-padded to 64) of a ring position, for lookups toward it. */
export function hexOfPosition(position: number): string {
  const top = Math.floor(position * SCALE) % SCALE;
  return top.toString(16).padStart(13, '0').padEnd(64, '0');
}
