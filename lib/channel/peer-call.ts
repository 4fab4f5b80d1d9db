import type { PeerChannelError } from '../errors/index.js';

/**
 * One call delivered to this node, as `calls$` emits it and {@link currentCall} returns it.
 */
export interface PeerCall<A extends readonly unknown[] = readonly unknown[]> {
  /** Hex message id. */
  readonly id: string;
  readonly contract: string;
  readonly operation: string;
  readonly args: A;
  /** Peer id of the sender. */
  readonly from: string;
  /** Hops travelled to reach this node (0 for this node's own call). */
  readonly hops: number;
  /** Hops the message may still travel after this node; `null` = unlimited. */
  readonly remainingHops: number | null;
  /** True for a call sent to this node alone. */
  readonly directed: boolean;
  /** Neighbour it arrived through; `undefined` for this node's own call. */
  readonly via: string | undefined;
  /** True when this node sent the call itself (the flood's local echo). */
  readonly local: boolean;
}

/** One reply gathered from the mesh. */
export type Reply<T> =
  | { readonly ok: true; readonly from: string; readonly hops: number; readonly value: T }
  | { readonly ok: false; readonly from: string; readonly hops: number; readonly error: PeerChannelError };

/** How long and for how many replies a gather waits. */
export interface GatherOptions {
  /**
   * Completes this long after the request was sent.
   * @defaultValue the node's `replyTimeoutMs`
   */
  readonly timeoutMs?: number;
  /**
   * Completes after this many replies.
   * @defaultValue unlimited (up to `maxRepliesPerGather`)
   */
  readonly count?: number;
}
