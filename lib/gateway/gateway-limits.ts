/**
 * Bounds on everything a page controls over its gateway socket.
 *
 * @remarks A page is untrusted like a peer: each bound has a default, and passing one closes that
 * page's socket with its own close code and `PC_ERR_GATEWAY_*` reason; the node and the other
 * pages carry on.
 */
export interface GatewayLimits {
  /**
   * Largest message a page may send, in bytes (ws closes with 1009 past it).
   * @defaultValue 65_536 (a peer frame's bound)
   */
  readonly maxMessageBytes: number;
  /**
   * Deepest nesting of arrays and maps in one page message.
   * @defaultValue 16
   */
  readonly maxDepth: number;
  /**
   * Most values (array items, map keys and values, all levels) in one page message.
   * @defaultValue 16_384
   */
  readonly maxElements: number;
  /**
   * Messages a page may send a second, sustained.
   * @defaultValue 200 (cursors and strokes at 30 a second leave ample room)
   */
  readonly messagesPerSecond: number;
  /**
   * Messages a page may send at once above the sustained rate.
   * @defaultValue 400
   */
  readonly messageBurst: number;
  /**
   * Requests a page may have open at once (pending calls plus live streams).
   * @defaultValue 256
   */
  readonly maxOpenRequests: number;
  /**
   * Bytes queued toward a page that does not read; past it its socket closes (`SLOW_PAGE`).
   * @defaultValue 8 MiB
   */
  readonly maxQueuedBytes: number;
  /**
   * Records sent per `next` while a record snapshot is streamed.
   * @defaultValue 200
   */
  readonly snapshotBatch: number;
  /**
   * Pages connected at once; one more is refused with 403.
   * @defaultValue 16
   */
  readonly maxPages: number;
}

/** Defaults of {@link GatewayLimits}. */
export const defaultGatewayLimits: GatewayLimits = Object.freeze({
  maxMessageBytes: 65_536,
  maxDepth: 16,
  maxElements: 16_384,
  messagesPerSecond: 200,
  messageBurst: 400,
  maxOpenRequests: 256,
  maxQueuedBytes: 8 * 1024 * 1024,
  snapshotBatch: 200,
  maxPages: 16,
});
