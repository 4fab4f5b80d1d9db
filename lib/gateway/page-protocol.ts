/**
 * The messages a page and its node exchange over the gateway socket (msgpack, one binary
 * WebSocket message each). Shared by the node side (`lib/gateway`) and the browser module
 * (`lib/browser`), so it imports nothing but types.
 *
 * @remarks
 * Every page request carries an `id` (a positive integer the page picks, unique among its open
 * requests) that the node's answers repeat. A request is either one-shot (answered by one `ok`
 * or one `fail`) or a stream (`next`… then `done` or `fail`; the page ends it early with `end`).
 */
import type { PeerId } from '../identity/peer-id.js';

/** The WebSocket subprotocol of the gateway. */
export const GATEWAY_PROTOCOL = 'peerchannel.gateway.v1';

/** Path of the gateway's WebSocket. */
export const GATEWAY_SOCKET_PATH = '/peerchannel';

/** How a page call travels (the proxy's call style). */
export interface PageCallStyle {
  /** Directed to this peer id. */
  readonly to?: string;
  /** Hop limit of a flood. */
  readonly hops?: number;
  /** Reply timeout in ms. */
  readonly timeoutMs?: number;
  /** Gather replies from the mesh (a stream). */
  readonly gather?: {
    /** Completes after this many replies (the node's `GatherOptions.count`; 1–100000). */
    readonly count?: number;
    /** Completes this many ms after the request (the node's `GatherOptions.timeoutMs`; 1–600000). */
    readonly timeoutMs?: number;
  };
}

/** Page → node. */
export type PageRequest =
  /** Invokes an operation: `ok` with its result, or a stream of replies when `s.gather` is set. */
  | { readonly t: 'call'; readonly id: number; readonly c: string; readonly o: string; readonly a: readonly unknown[]; readonly s: PageCallStyle }
  /** Streams the calls this node receives (`calls$`) of contract `c`, operation `o` if given. */
  | { readonly t: 'calls'; readonly id: number; readonly c: string; readonly o?: string }
  /** Streams the live records of type `r`: one `next` of kind `snapshot` first, then each change. */
  | { readonly t: 'records'; readonly id: number; readonly r: string }
  /** Adds a record of type `r` (value `v`); `ok` with the record. */
  | { readonly t: 'add'; readonly id: number; readonly r: string; readonly v: unknown; readonly ttlMs?: number }
  /** Updates record `k` of type `r`; `ok` with the record. */
  | { readonly t: 'update'; readonly id: number; readonly r: string; readonly k: string; readonly v: unknown; readonly ttlMs?: number }
  /** Deletes record `k` of type `r`; `ok`. */
  | { readonly t: 'delete'; readonly id: number; readonly r: string; readonly k: string }
  /** Ends the stream `id` (unsubscribes). No answer. */
  | { readonly t: 'end'; readonly id: number };

/** The record as a page sees it (the node's `PeerRecord`). */
export interface PageRecord<T = unknown> {
  /** 32 lowercase hex digits (the 16-byte record id). */
  readonly id: string;
  /** The record type name, from `@PeerRecordType(name)`. */
  readonly type: string;
  /** 1 on creation, +1 per update. */
  readonly version: number;
  /** Peer id of the creator (the node that added it). */
  readonly creator: string;
  /** Peer id of the last modifier. */
  readonly lastModifier: string;
  /** Creation time, milliseconds since the epoch. */
  readonly created: number;
  /** Last modification (ms since the epoch); equal to `created` until the first update. */
  readonly modified: number;
  /** When it expires everywhere (ms since the epoch); only ever grows. */
  readonly expires: number;
  /** The record's fields (its `@RecordField`s). */
  readonly value: T;
}

/** One item of a `records` stream. */
export type PageRecordEvent<T = unknown> =
  /** A batch of the records the node held when the stream started (sent before any change). */
  | {
      /** A snapshot batch. */
      readonly kind: 'snapshot';
      /** Up to the gateway's `snapshotBatch` records. */
      readonly records: readonly PageRecord<T>[];
      /** True on the snapshot's final batch; changes follow it. */
      readonly last: boolean;
    }
  /** One change after the snapshot. */
  | {
      /** What happened to the record. */
      readonly kind: 'added' | 'updated' | 'deleted' | 'expired';
      /** The record as it now is (for `deleted` and `expired`: as it was last seen live). */
      readonly record: PageRecord<T>;
      /** True for a write of the page's own node (this page's or another page's of the same node). */
      readonly local: boolean;
    };

/** Status of the node as the page sees it. */
export interface PageStatus {
  /** `online` once the node has a neighbour. */
  readonly status: 'online' | 'offline';
  /** Connected neighbours. */
  readonly neighbors: number;
}

/** Node → page. */
export type NodeMessage =
  /** First message on every socket. */
  | { readonly t: 'hello'; readonly peerId: PeerId; readonly mesh: string; readonly contracts: readonly string[]; readonly records: readonly string[]; readonly status: PageStatus }
  | { readonly t: 'status'; readonly status: PageStatus }
  | { readonly t: 'ok'; readonly id: number; readonly v?: unknown }
  | { readonly t: 'next'; readonly id: number; readonly v: unknown }
  | { readonly t: 'done'; readonly id: number }
  | { readonly t: 'fail'; readonly id: number; readonly code: string; readonly message: string };

/**
 * WebSocket close codes of the gateway (application range 4000–4999). The close reason starts
 * with the matching `PC_ERR_GATEWAY_*` code.
 */
export const GatewayCloseCode = {
  /** A message that is not a valid request (shape, types, unknown contract/type, reused id). */
  BAD_MESSAGE: 4400,
  /** More messages a second than `messagesPerSecond` allows (past the burst). */
  RATE: 4429,
  /** More open requests than `maxOpenRequests`. */
  TOO_MANY_REQUESTS: 4409,
  /** The page does not read: bytes queued toward it passed `maxQueuedBytes`. */
  SLOW_PAGE: 4408,
  /** The gateway is closing. */
  GOING_AWAY: 1001,
} as const;
