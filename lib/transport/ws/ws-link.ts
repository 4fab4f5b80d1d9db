import type { TLSSocket } from 'node:tls';
import type { RawData, WebSocket } from 'ws';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import { localId } from '../../internal/ids.js';
import { TokenBucket } from '../../internal/token-bucket.js';
import type { FrameReceiver, Link, LinkCloseInfo } from '../transport.js';
import { decodeBatch, encodeBatch } from './batch-container.js';
import { codeForWsError, decodeClose, encodeClose } from './close-reason.js';
import type { ResolvedWsOptions } from './ws-options.js';

/** Context passed to RFC 5705 exporters on both sides of every ws link. */
export const KEYING_MATERIAL_CONTEXT = Buffer.from('peerchannel ws link', 'utf8');
/** Most bytes {@link WsLink.exportKeyingMaterial} hands out in one call. */
export const MAX_KEYING_MATERIAL_BYTES = 1024;

/**
 * @internal One {@link Link} over a TLS WebSocket, batching the frames of each event-loop turn into
 * one WebSocket message (see `batch-container.ts`).
 */
export class WsLink implements Link {
  readonly id = localId('ws');
  private receiver: FrameReceiver | undefined;
  private buffered: Uint8Array[] = [];
  private outbox: Uint8Array[] = [];
  private outHead = 0;
  /** Bytes of the frames in `outbox` from `outHead` on. */
  private outBytes = 0;
  /** Pings the other side may still send (ws's auto-pong is off: this link answers them). */
  private readonly pings: TokenBucket;
  private flushScheduled = false;
  private waitingForDrain = false;
  private open = true;
  /** Set by any inbound traffic; cleared by each keepalive tick. */
  private heard = true;
  /** Why the link is ending, when this side detected it before ws reported the close. */
  private localFailure: LinkCloseInfo | undefined;
  private resolveClosed!: (info: LinkCloseInfo) => void;
  readonly closed: Promise<LinkCloseInfo> = new Promise((resolve) => (this.resolveClosed = resolve));
  private resolveSocketGone!: () => void;
  /** @internal Settles when the WebSocket has fully closed (after `closed`). */
  readonly socketGone: Promise<void> = new Promise((resolve) => (this.resolveSocketGone = resolve));

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: TLSSocket,
    readonly direction: 'inbound' | 'outbound',
    readonly remotePeerId: string,
    readonly remoteAddress: string,
    private readonly options: ResolvedWsOptions,
    private readonly onGone: (link: WsLink) => void,
  ) {
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    // The other side pings once per its keepalive interval; with the same options, allow twice that.
    this.pings = new TokenBucket(Math.max(options.maxPingsPerSecond, 2000 / options.keepaliveMs), options.maxPingBurst);
    ws.on('pong', () => (this.heard = true));
    ws.on('ping', (data: Buffer) => this.onPing(data));
    ws.on('error', (error: Error & { code?: string }) => this.onError(error));
    ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason));
  }

  get isOpen(): boolean {
    return this.open;
  }

  get pendingSends(): number {
    return this.outbox.length - this.outHead;
  }

  /** Bytes of the frames counted by {@link WsLink.pendingSends}. */
  get pendingSendBytes(): number {
    return this.outBytes;
  }

  send(frame: Uint8Array): void {
    if (!this.open) throw new PeerChannelError(ErrorCode.LINK_CLOSED, 'link is closed');
    if (!(frame instanceof Uint8Array)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'a frame is a Uint8Array');
    if (frame.byteLength > this.options.maxFrameBytes) {
      throw new PeerChannelError(ErrorCode.FRAME_TOO_LARGE, `frame of ${frame.byteLength} bytes exceeds maxFrameBytes ${this.options.maxFrameBytes}`);
    }
    if (this.pendingSends >= this.options.maxPendingSends) {
      this.close(ErrorCode.LINK_QUEUE_FULL, 'send queue full');
      throw new PeerChannelError(ErrorCode.LINK_QUEUE_FULL, `more than ${this.options.maxPendingSends} frames pending`);
    }
    if (this.outBytes + frame.byteLength > this.options.maxPendingSendBytes) {
      this.close(ErrorCode.LINK_QUEUE_BYTES, 'send queue bytes full');
      throw new PeerChannelError(ErrorCode.LINK_QUEUE_BYTES, `more than ${this.options.maxPendingSendBytes} bytes pending`);
    }
    this.outbox.push(frame);
    this.outBytes += frame.byteLength;
    if (!this.flushScheduled && !this.waitingForDrain) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  setReceiver(receiver: FrameReceiver | undefined): void {
    this.receiver = receiver;
    while (this.receiver !== undefined && this.buffered.length > 0 && this.open) {
      this.deliver(this.buffered.shift() as Uint8Array);
    }
  }

  close(code: LinkCloseInfo['code'], reason: string): void {
    if (!this.open) return;
    // Frames sent before close go out ahead of the close frame, whatever the socket's backlog.
    this.writeOut(true);
    const { wsCode, text } = encodeClose(code, reason);
    this.finish({ code, reason, remote: false });
    this.ws.close(wsCode, text);
  }

  exportKeyingMaterial(length: number, label: string): Uint8Array {
    if (!this.open) throw new PeerChannelError(ErrorCode.LINK_CLOSED, 'link is closed');
    if (!Number.isInteger(length) || length < 1 || length > MAX_KEYING_MATERIAL_BYTES) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `keying material length must be 1..${MAX_KEYING_MATERIAL_BYTES}`);
    }
    return new Uint8Array(this.socket.exportKeyingMaterial(length, label, KEYING_MATERIAL_CONTEXT));
  }

  /** @internal Called by the transport once per keepalive interval. */
  keepaliveTick(): void {
    if (!this.open) return;
    if (!this.heard) {
      this.abort(ErrorCode.UNREACHABLE, `nothing heard for ${this.options.keepaliveMs} ms (keepalive)`);
      return;
    }
    this.heard = false;
    this.ws.ping();
  }

  /** @internal Ends the link at once without a close handshake, as a network failure. */
  abort(code: LinkCloseInfo['code'], reason: string): void {
    this.finish({ code, reason, remote: true });
    this.ws.terminate();
  }

  /** @internal Destroys the socket if the close handshake is still pending. */
  terminate(): void {
    this.ws.terminate();
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.open) this.writeOut(false);
  };

  private writeOut(force: boolean): void {
    const max = this.options.maxBatchBytes;
    while (this.outHead < this.outbox.length) {
      if (!force && this.ws.bufferedAmount > this.options.sendHighWaterBytes) {
        this.waitForDrain();
        return;
      }
      const { data, count } = encodeBatch(this.outbox, this.outHead, this.outbox.length, max);
      for (let i = this.outHead; i < this.outHead + count; i++) this.outBytes -= (this.outbox[i] as Uint8Array).byteLength;
      this.outHead += count;
      this.ws.send(data, { binary: true });
    }
    this.outbox = [];
    this.outHead = 0;
    this.outBytes = 0;
  }

  private waitForDrain(): void {
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.socket.once('drain', this.onDrain);
  }

  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    this.flush();
  };

  private onPing(data: Buffer): void {
    if (!this.open) return;
    this.heard = true;
    if (!this.pings.take()) {
      this.close(ErrorCode.PING_FLOOD, `more than ${this.options.maxPingBurst} pings at over ${this.options.maxPingsPerSecond}/s`);
      return;
    }
    this.ws.pong(data);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (!this.open) return;
    this.heard = true;
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.close(ErrorCode.FRAME_DECODE, 'text message on a binary link');
      return;
    }
    let frames: Uint8Array[];
    try {
      frames = decodeBatch(data, this.options.maxFrameBytes);
    } catch (error) {
      const e = toPeerChannelError(error, ErrorCode.FRAME_DECODE);
      this.close(e.code, e.message);
      return;
    }
    for (const frame of frames) {
      if (!this.open) return;
      this.deliver(frame);
    }
  }

  private deliver(frame: Uint8Array): void {
    const receiver = this.receiver;
    if (receiver !== undefined) {
      try {
        receiver(frame);
      } catch (error) {
        // A throwing consumer must not unwind into ws's parser; the link is no longer trustworthy.
        this.close(ErrorCode.INTERNAL, `frame receiver threw: ${toPeerChannelError(error).message}`);
      }
      return;
    }
    if (this.buffered.length >= this.options.maxBufferedFrames) {
      this.close(ErrorCode.LINK_QUEUE_FULL, `more than ${this.options.maxBufferedFrames} frames buffered without a receiver`);
      return;
    }
    this.buffered.push(frame);
  }

  private onError(error: Error & { code?: string }): void {
    // ws closes the connection itself after an error; remember why, so `closed` tells it.
    if (!this.open || this.localFailure !== undefined) return;
    const code = codeForWsError(error);
    this.localFailure = { code, reason: error.message, remote: code === ErrorCode.LINK_CLOSED };
  }

  private onClose(wsCode: number, reason: Buffer): void {
    this.socket.removeListener('drain', this.onDrain);
    this.finish(this.localFailure ?? { ...decodeClose(wsCode, reason), remote: true });
    this.resolveSocketGone();
  }

  private finish(info: LinkCloseInfo): void {
    if (!this.open) return;
    this.open = false;
    this.outbox = [];
    this.outHead = 0;
    this.outBytes = 0;
    this.buffered = [];
    this.receiver = undefined;
    this.onGone(this);
    this.resolveClosed(info);
  }
}
