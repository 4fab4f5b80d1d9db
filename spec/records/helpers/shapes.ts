import { PeerRecordType, RecordAttribute, RecordField } from '../../../lib/index.js';

/** The record type the node-level specs share. */
@PeerRecordType('whiteboard.shape')
export class Shape {
  @RecordAttribute() kind!: string;
  @RecordAttribute({ optional: true }) layer?: number;
  @RecordField() x!: number;
  @RecordField() y!: number;
  @RecordField({ optional: true }) label?: string;
  @RecordField({ optional: true }) points?: number[];
}
