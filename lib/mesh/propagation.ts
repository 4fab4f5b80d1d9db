import type { PeerId } from '../identity/peer-id.js';
/** Where a message came from, as a propagation filter sees it. */
export type MessageOrigin = 'local' | 'remote';

/**
 * What to do with a message: deliver it here (`local`), pass it on (`remote`), both, or neither.
 */
export type PropagationAction = 'none' | 'local' | 'remote' | 'localAndRemote';

/** The message a propagation filter decides on. */
export interface PropagationMessage {
  /** Hex message id. */
  readonly id: string;
  /** The contract's wire name. */
  readonly contract: string;
  /** The operation's wire name. */
  readonly operation: string;
  /** The call's arguments, already checked against the operation's parameter types for inbound messages. Do not change them. */
  readonly args: readonly unknown[];
  /** Peer id of the original sender. */
  readonly from: PeerId;
  /** Hops travelled to reach this node (0 for a local send). */
  readonly hops: number;
  /** Hops it may still travel after this node, `null` = unlimited. */
  readonly remainingHops: number | null;
}

/**
 * Decides the fate of each flooded message (WCF's PeerMessagePropagationFilter).
 *
 * @remarks
 * Called exactly once per local send (`origin = 'local'`) and once per new inbound message
 * (`origin = 'remote'`), never for a duplicate. Its answer is applied first, then the hop-zero
 * rule (a message with no hops left is delivered but not forwarded). A throwing filter counts as
 * `'none'` and is reported on `errors$`.
 */
export type PropagationFilter = (message: PropagationMessage, origin: MessageOrigin) => PropagationAction;

/** Why a message was or was not delivered or relayed, as reported on `decisions$`. */
export interface PropagationDecision {
  /** Hex message id. */
  readonly id: string;
  /** The contract's wire name; `undefined` for a reply (which names none). */
  readonly contract: string | undefined;
  /** The operation's wire name; `undefined` for a reply. */
  readonly operation: string | undefined;
  /** Peer id of the original sender. */
  readonly from: string | undefined;
  /** Neighbour it arrived from; `undefined` for a local send. */
  readonly via: string | undefined;
  /** How it travelled: a flood, a directed call, or a reply to a call. */
  readonly kind: 'flood' | 'direct' | 'reply';
  /** Hops it had travelled when it reached this node (0 for a local send). */
  readonly hops: number;
  /** True when it was delivered here (to `calls$`, a hosted service or a waiting call). */
  readonly delivered: boolean;
  /** Neighbours it was passed on to. */
  readonly relayedTo: number;
  /** Set when the message was dropped or not forwarded, e.g. `duplicate`, `filter`, `hop-limit`, or a `PC_ERR_*` code. */
  readonly reason: string | undefined;
}

/** True when the action includes local delivery. */
export function deliversLocally(action: PropagationAction): boolean {
  return action === 'local' || action === 'localAndRemote';
}

/** True when the action includes forwarding. */
export function forwards(action: PropagationAction): boolean {
  return action === 'remote' || action === 'localAndRemote';
}
