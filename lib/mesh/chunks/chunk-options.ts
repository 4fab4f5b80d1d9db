/** Bounds of large messages (sent in chunks); part of the mesh tuning. */
export interface ChunkTuning {
  /**
   * Largest message (encoded call or reply, with its frame) that may be sent or accepted; larger
   * than one frame (`limits.maxFrameBytes`) is sent in chunks. @defaultValue 16 MiB
   */
  readonly maxMessageBytes: number;
  /** Senders wait (the one-way call's Promise) while this node has more than this many bytes of large messages queued. @defaultValue 16 MiB */
  readonly chunkQueueHighBytes: number;
  /** Large messages this node queues to send, at most, in bytes: past it a send fails `PC_ERR_CHUNK_QUEUE_FULL` and a relay is dropped. @defaultValue 64 MiB */
  readonly maxChunkQueueBytes: number;
  /** Chunk frames kept in one link's send queue at most; the rest wait in the chunk queue. @defaultValue 16 */
  readonly chunkLinkWatermark: number;
  /** Partial messages one neighbour may have in reassembly at once. @defaultValue 4 */
  readonly maxPartialsPerNeighbor: number;
  /** Bytes (as the first chunks claim) one neighbour may have in reassembly at once. @defaultValue 32 MiB */
  readonly maxReassemblyBytesPerNeighbor: number;
  /** Partial messages of one origin (as the first chunks claim) in reassembly at once, over all neighbours. @defaultValue 2 */
  readonly maxPartialsPerOrigin: number;
  /** Bytes in reassembly over all neighbours: past it new large messages are cancelled (counted). @defaultValue 64 MiB */
  readonly maxReassemblyBytes: number;
  /** A partial message not complete this long after its first chunk is dropped and its link closed. @defaultValue 30_000 */
  readonly chunkTimeoutMs: number;
}

const MiB = 1024 * 1024;

/** Defaults for {@link ChunkTuning}. */
export const defaultChunkTuning: ChunkTuning = Object.freeze({
  maxMessageBytes: 16 * MiB,
  chunkQueueHighBytes: 16 * MiB,
  maxChunkQueueBytes: 64 * MiB,
  chunkLinkWatermark: 16,
  maxPartialsPerNeighbor: 4,
  maxReassemblyBytesPerNeighbor: 32 * MiB,
  maxPartialsPerOrigin: 2,
  maxReassemblyBytes: 64 * MiB,
  chunkTimeoutMs: 30_000,
});
