// The whiteboard's contract and record type: one file for the node (main.ts) and the page
// (page/main.ts), so it imports only the Node-free decorators.
import { PeerContract, PeerOperation } from '../../lib/contracts/decorators.js';
import { PeerRecordType, RecordAttribute, RecordField } from '../../lib/records/record-decorators.js';

/** Kinds of finished shapes. */
export type ShapeKind = 'pen' | 'line' | 'rect';

/** A finished shape: one record per shape, so late joiners and restarted peers see the board. */
@PeerRecordType('whiteboard.shape', { ttlMs: 365 * 24 * 3_600_000 })
export class Shape {
  /** `pen`, `line` or `rect`. */
  @RecordAttribute() kind!: string;
  /** Name of the author (the creator's peer id is the record's creator). */
  @RecordAttribute() author!: string;
  /** CSS colour, `#rrggbb`. */
  @RecordField() color!: string;
  /** Stroke width in board pixels. */
  @RecordField() width!: number;
  /** Flat list of board coordinates, x0, y0, x1, y1, … (two points for lines and rectangles). */
  @RecordField() points!: number[];
}

/** A shape being drawn, sent while the pointer moves (ephemeral, not stored). */
export interface DraftShape {
  readonly kind: ShapeKind;
  readonly color: string;
  readonly width: number;
  readonly points: readonly number[];
}

/**
 * What peers on the board tell each other as it happens: flooded, one-way, never stored.
 * Pages throttle `cursor` and `draft` to about 30 a second.
 */
@PeerContract('whiteboard')
export abstract class Board {
  /** "I am on the board" (every 2 s; a peer silent for 6 s is gone). */
  @PeerOperation() here(name: string): void {}
  /** Leaving the board. */
  @PeerOperation() bye(name: string): void {}
  /** Where the named user's pointer is. */
  @PeerOperation() cursor(name: string, x: number, y: number, color: string): void {}
  /** The shape the named user is drawing now; `ended` when it was finished or abandoned. */
  @PeerOperation() draft(name: string, shape: DraftShape, ended: boolean): void {}
}
