import type { PeerId } from '../identity/peer-id.js';
import type { PeerChannelError } from '../errors/index.js';

/**
 * One call delivered to this node, as `calls$` emits it and {@link currentCall} returns it.
 */
export interface PeerCall<A extends readonly unknown[] = readonly unknown[]> {
  /** Hex message id. */
  readonly id: string;
  /** The contract's wire name. */
  readonly contract: string;
  /** The operation's wire name. */
  readonly operation: string;
  /** The arguments, checked against the operation's declared parameter types (the `@PeerHopCount()` one included). */
  readonly args: A;
  /** Peer id of the sender. */
  readonly from: PeerId;
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

/**
 * One reply gathered from the mesh: from which peer, how far away, and its value or fault.
 * `request` is the hex id of the request it answers (the `id` of the `PeerCall` the hosts saw).
 */
export type Reply<T> =
  | {
      /** A value: the operation returned. */
      readonly ok: true;
      /** Peer id of the peer that answered. */
      readonly from: PeerId;
      /** Hops the request travelled to reach it (0 for this node's own answer). */
      readonly hops: number;
      /** Hex id of the request this reply answers. */
      readonly request: string;
      /** What the operation returned. */
      readonly value: T;
    }
  | {
      /** A fault: the operation threw, or the call was refused. */
      readonly ok: false;
      /** Peer id of the peer that answered. */
      readonly from: PeerId;
      /** Hops the request travelled to reach it (0 for this node's own answer). */
      readonly hops: number;
      /** Hex id of the request this reply answers. */
      readonly request: string;
      /** The fault, with the remote code and message (never a stack). */
      readonly error: PeerChannelError;
    };

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
  /**
   * Whether this node answers its own request when it hosts the contract. A gather floods the
   * request, and a flood reaches its sender too (its local echo), so by default the caller's own
   * answer is among the replies (`from` = this node, `hops` 0). `false` leaves it out: the echo
   * still reaches `calls$`, but this node's implementation is not asked.
   * @defaultValue true
   */
  readonly includeSelf?: boolean;
}

/**
 * A call sent through a `withId()` proxy: the message id at once, and the call's outcome.
 *
 * @remarks
 * `id` is the hex message id, the same that hosts see as `PeerCall.id`, that `decisions$`
 * reports and that errors about this message carry as `messageId`. `result` settles as the plain
 * call would: for a one-way operation when the message is sent, for a reply operation with the
 * reply. A rejection of `result` that nobody awaits is not reported as unhandled.
 */
export interface SentCall<T> {
  /** The hex message id of the call (as hosts see it in `PeerCall.id`, and `decisions$` reports it). */
  readonly id: string;
  /** The call's outcome: resolves when a one-way message is sent, or with the reply of a reply operation. */
  readonly result: Promise<T>;
}
