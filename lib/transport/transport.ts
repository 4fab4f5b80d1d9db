import type { Observable } from 'rxjs';
import type { ErrorCode } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';

/** Why and by whom a link was closed. */
export interface LinkCloseInfo {
  /** A {@link ErrorCode}, or `'PC_OK'` for an orderly close. */
  readonly code: ErrorCode | 'PC_OK';
  /** Human-readable reason (for logs; branch on `code`). */
  readonly reason: string;
  /** True when the other side (or the network) ended the link. */
  readonly remote: boolean;
}

/**
 * Receives inbound frames of one link. The receiver owns each frame it is handed: a transport
 * never hands the same bytes to two receivers, nor reads or reuses them afterwards (a relay
 * rewrites a frame's hop fields in place and forwards it).
 */
export type FrameReceiver = (frame: Uint8Array) => void;

/**
 * A bidirectional, ordered, message-framed connection between two peers.
 *
 * @remarks
 * A link has exactly one frame consumer at a time, set with {@link Link.setReceiver}; frames that
 * arrive while none is set wait in a bounded buffer, so handshake steps can hand the link on
 * without losing a frame.
 */
export interface Link {
  /** Unique within this process. */
  readonly id: string;
  /** `outbound` when this side dialled, `inbound` when it accepted. */
  readonly direction: 'inbound' | 'outbound';
  /** Where the other side is, as the transport sees it (informational). */
  readonly remoteAddress: string;
  /**
   * The other side's peer id as authenticated by the transport (e.g. the hash of its TLS
   * certificate key), or `undefined` when the transport authenticates nothing.
   */
  readonly remotePeerId: string | undefined;
  /** Frames queued on this side and not yet handed to the network. */
  readonly pendingSends: number;
  /** False once the link started closing; `send` then throws. */
  readonly isOpen: boolean;
  /**
   * Queues one frame.
   * @throws PeerChannelError `PC_ERR_LINK_CLOSED` after close; `PC_ERR_LINK_QUEUE_FULL` (and the link
   * closes) when pending sends exceed the transport's bound.
   */
  send(frame: Uint8Array): void;
  /** Sets (or clears, with `undefined`) the one consumer of inbound frames. */
  setReceiver(receiver: FrameReceiver | undefined): void;
  /** Settles once, when the link has closed for any reason; never rejects. */
  readonly closed: Promise<LinkCloseInfo>;
  /** Closes the link, telling the other side `code` and `reason`. Idempotent. */
  close(code: LinkCloseInfo['code'], reason: string): void;
  /**
   * Keying material exported from the link's TLS session (RFC 5705), for binding proofs to this
   * very connection. Absent on transports without a TLS session.
   */
  exportKeyingMaterial?(length: number, label: string): Uint8Array;
}

/** Options for {@link Transport.dial}. */
export interface DialOptions {
  /** Fail with `PC_ERR_PEER_ID_MISMATCH` unless the remote authenticates as this peer id. */
  readonly expectedPeerId?: string;
  /** Aborts the dial (`PC_ERR_ABORTED`). */
  readonly signal?: AbortSignal;
}

/**
 * Moves frames between peers: listens, dials, and hands over {@link Link}s.
 *
 * @remarks
 * Implementations: `memoryTransport` (in-process, fault injection) and `webSocketTransport`
 * (TLS WebSockets). Every implementation runs `spec/compliance/transport-compliance.ts`.
 */
export interface Transport {
  /** Short implementation name, e.g. `'memory'` or `'ws'`. */
  readonly name: string;
  /** Starts accepting links; resolves to the addresses others can dial. Idempotent. */
  listen(): Promise<readonly string[]>;
  /** Addresses from the last {@link Transport.listen}, empty before. */
  readonly addresses: readonly string[];
  /** Hot: emits each accepted inbound link. Completes on close. */
  readonly inbound$: Observable<Link>;
  /**
   * Opens a link to `address`.
   * @throws PeerChannelError `PC_ERR_DIAL_FAILED`, `PC_ERR_PEER_ID_MISMATCH`, `PC_ERR_ABORTED`, `PC_ERR_CLOSED`.
   */
  dial(address: string, options?: DialOptions): Promise<Link>;
  /** Stops listening and closes every link. Idempotent. */
  close(): Promise<void>;
}

/** What a transport factory is given by the node that owns it. */
export interface TransportComponents {
  /** The node's identity: its certificate on TLS links, the id a memory link vouches for. */
  readonly identity: PeerIdentity;
}

/** Makes a transport for one node (the libp2p factory style: options first, components later). */
export type TransportFactory = (components: TransportComponents) => Transport;
