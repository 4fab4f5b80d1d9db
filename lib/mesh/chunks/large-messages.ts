import { type FrameLimits, encodeExtensionFrame } from '../../codec/index.js';
import type { PeerChannelError } from '../../errors/index.js';
import type { Neighbor } from '../neighbor.js';
import { ChunkFrameKind, decodeChunkCancel } from './chunk-frames.js';
import type { ChunkTuning } from './chunk-options.js';
import { ChunkSender } from './chunk-sender.js';
import { Reassembler } from './reassembler.js';

/** What large messages need from the mesh. @internal */
export interface LargeMessageHost {
  readonly limits: FrameLimits;
  seen(key: string): boolean;
  violation(from: Neighbor, error: PeerChannelError): void;
  count(code: string): void;
  drop(code: string, message: string): void;
  /** A whole large frame arrived from `from`: handle it as if it had come in one piece. */
  complete(from: Neighbor, frame: Uint8Array): void;
}

/**
 * Messages larger than one frame: chunked per link by a {@link ChunkSender}, reassembled at each
 * hop by a {@link Reassembler}, then handled as one frame (see docs/mesh.md, "Large messages").
 *
 * @remarks
 * Chunking is a link concern: the flooder and router see whole frames only, so dedup, signature
 * checks and hop counts work on the whole message exactly as for a small one.
 */
export class LargeMessages {
  readonly sender: ChunkSender;
  readonly reassembler: Reassembler;
  /** The frame limits with the byte bound raised to the large-message bound. */
  readonly largeLimits: FrameLimits;

  constructor(host: LargeMessageHost, tuning: ChunkTuning) {
    this.largeLimits = { ...host.limits, maxFrameBytes: Math.max(host.limits.maxFrameBytes, tuning.maxMessageBytes + host.limits.maxFrameBytes) };
    this.sender = new ChunkSender({ limits: host.limits, largeLimits: this.largeLimits, count: (c) => host.count(c), drop: (c, m) => host.drop(c, m) }, tuning);
    this.reassembler = new Reassembler(
      {
        limits: host.limits,
        seen: (k) => host.seen(k),
        violation: (from, e) => host.violation(from, e),
        count: (c) => host.count(c),
        cancel: (to, stream) => to.send(encodeExtensionFrame(ChunkFrameKind.Cancel, [stream])),
        complete: (from, frame) => host.complete(from, frame),
      },
      tuning,
    );
  }

  /** The extension handlers to register, by frame kind. */
  handlers(): [number, (from: Neighbor, payload: unknown) => void][] {
    return [
      [ChunkFrameKind.Start, (from, p) => this.reassembler.onStart(from, p)],
      [ChunkFrameKind.Data, (from, p) => this.reassembler.onData(from, p)],
      [ChunkFrameKind.Cancel, (from, p) => this.sender.cancel(from, decodeChunkCancel(p))],
    ];
  }

  close(): void {
    this.sender.close();
    this.reassembler.close();
  }
}
