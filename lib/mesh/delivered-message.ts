import type { MessageBody } from '../codec/index.js';

/** A message the mesh hands to the channel layer for local delivery. */
export interface DeliveredMessage {
  readonly body: MessageBody;
  readonly kind: 'flood' | 'direct';
  /** Hops travelled (0 for this node's own message). */
  readonly hops: number;
  /** Hops it may still travel after this node; `null` = unlimited. */
  readonly remainingHops: number | null;
  /** Neighbour it arrived from; `undefined` for a local send. */
  readonly via: string | undefined;
}
