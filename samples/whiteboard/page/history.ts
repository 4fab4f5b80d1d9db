// Undo/redo of this user's own changes only: every entry names shapes this node created, and
// the record layer refuses to change anyone else's (PC_ERR_RECORD_FORBIDDEN), so another's
// work can never be removed from here.
import type { Shape } from '../board-contract.js';

/** The record operations history needs. */
export interface ShapeStore {
  add(value: Shape): Promise<{ id: string }>;
  delete(id: string): Promise<void>;
  /** True when a live record with this id exists. */
  has(id: string): boolean;
}

type Entry = { readonly kind: 'add' | 'remove'; items: { id: string; value: Shape }[] };

/** A bounded undo/redo history of this user's own shapes. */
export class History {
  private readonly undos: Entry[] = [];
  private readonly redos: Entry[] = [];

  constructor(
    private readonly store: ShapeStore,
    private readonly onChange: () => void,
    private readonly limit = 200,
  ) {}

  get canUndo(): boolean {
    return this.undos.length > 0;
  }

  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  /** Records that this user added a shape. */
  added(id: string, value: Shape): void {
    this.push({ kind: 'add', items: [{ id, value }] });
  }

  /** Records that this user removed some of their shapes (eraser, clear mine). */
  removed(items: { id: string; value: Shape }[]): void {
    if (items.length > 0) this.push({ kind: 'remove', items });
  }

  private push(e: Entry): void {
    this.undos.push(e);
    if (this.undos.length > this.limit) this.undos.shift();
    this.redos.length = 0;
    this.onChange();
  }

  /** Undoes this user's last change. */
  async undo(): Promise<void> {
    const e = this.undos.pop();
    if (e === undefined) return;
    await this.apply(e, e.kind === 'add' ? 'remove' : 'add');
    this.redos.push(e);
    this.onChange();
  }

  /** Redoes the last undone change. */
  async redo(): Promise<void> {
    const e = this.redos.pop();
    if (e === undefined) return;
    await this.apply(e, e.kind);
    this.undos.push(e);
    this.onChange();
  }

  private async apply(e: Entry, action: 'add' | 'remove'): Promise<void> {
    for (const item of e.items) {
      if (action === 'remove') {
        if (this.store.has(item.id)) await this.store.delete(item.id);
      } else {
        // A removed record cannot come back (tombstones are final): re-adding makes a new one.
        item.id = (await this.store.add(item.value)).id;
      }
    }
  }
}
