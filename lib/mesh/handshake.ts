import type { PeerId } from '../identity/peer-id.js';
import {
  type Frame,
  type ExtensionFrame,
  FrameKind,
  type FrameLimits,
  type HandshakeExt,
  type HelloFrame,
  type PeerRef,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
} from '../codec/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { Link } from '../transport/transport.js';

/** What the other side said about itself in the handshake. */
export interface HandshakeResult {
  readonly peerId: PeerId;
  readonly addresses: readonly string[];
  readonly ext: HandshakeExt;
}

/** A refusal with the referrals that came with it. */
export class HandshakeRefused extends PeerChannelError {
  constructor(code: ErrorCode, message: string, readonly referrals: readonly PeerRef[]) {
    super(code, message);
  }
}

/** Waits for the next frame on a link, decoded; rejects on timeout, close, abort or a bad frame. */
export function nextFrame(link: Link, limits: FrameLimits, timeoutMs: number, signal?: AbortSignal): Promise<Frame | ExtensionFrame> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      link.setReceiver(undefined);
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new PeerChannelError(ErrorCode.HANDSHAKE_TIMEOUT, `no handshake answer within ${timeoutMs} ms`))), timeoutMs);
    const onAbort = () => finish(() => reject(new PeerChannelError(ErrorCode.ABORTED, 'handshake aborted')));
    signal?.addEventListener('abort', onAbort, { once: true });
    link.closed.then((info) =>
      finish(() => reject(new PeerChannelError(info.code === 'PC_OK' ? ErrorCode.LINK_CLOSED : info.code, `link closed during handshake: ${info.reason}`))),
    );
    link.setReceiver((data) => {
      finish(() => {
        try {
          resolve(decodeFrame(data, limits));
        } catch (error) {
          reject(toPeerChannelError(error, ErrorCode.FRAME_DECODE));
        }
      });
    });
  });
}

/** Sends a frame if the link is still open. */
function trySend(link: Link, frame: Frame): void {
  if (link.isOpen) link.send(encodeFrame(frame));
}

/** Closes a link for a handshake failure and returns the error to throw. */
export function failLink(link: Link, error: unknown): PeerChannelError {
  const e = toPeerChannelError(error, ErrorCode.HANDSHAKE_FAILED);
  link.close(e.code, e.message);
  return e;
}

/**
 * Dialer side: sends hello, awaits welcome or refuse.
 *
 * @throws HandshakeRefused when the other side refuses (e.g. `PC_ERR_BUSY` with referrals).
 */
export async function dialerHandshake(
  link: Link,
  hello: Omit<HelloFrame, 'kind' | 'version'>,
  limits: FrameLimits,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HandshakeResult> {
  trySend(link, { kind: FrameKind.Hello, version: PROTOCOL_VERSION, ...hello });
  const frame = await nextFrame(link, limits, timeoutMs, signal);
  if (frame.kind === FrameKind.Refuse) {
    const f = frame as Extract<Frame, { kind: 3 }>;
    const code = (Object.values(ErrorCode) as string[]).includes(f.code) ? (f.code as ErrorCode) : ErrorCode.HANDSHAKE_FAILED;
    link.close(code, f.message);
    throw new HandshakeRefused(code, f.message || 'refused', f.referrals);
  }
  if (frame.kind === FrameKind.Auth) {
    throw new PeerChannelError(ErrorCode.AUTH_FAILED, 'peer requires an admission (password or certificate) this node does not have');
  }
  if (frame.kind !== FrameKind.Welcome) throw new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `expected welcome, got frame kind ${frame.kind}`);
  const w = frame as Extract<Frame, { kind: 2 }>;
  if (w.version !== PROTOCOL_VERSION) throw new PeerChannelError(ErrorCode.PROTOCOL_VERSION, `peer speaks protocol ${w.version}, not ${PROTOCOL_VERSION}`);
  return { peerId: w.peerId, addresses: w.addresses, ext: w.ext };
}

/** Acceptor side, first half: awaits and checks a hello. */
export async function awaitHello(link: Link, mesh: string, limits: FrameLimits, timeoutMs: number, signal?: AbortSignal): Promise<HelloFrame> {
  const frame = await nextFrame(link, limits, timeoutMs, signal);
  if (frame.kind === FrameKind.Auth) {
    // The dialer runs an admission (password or certificate) that this node does not have.
    throw new PeerChannelError(ErrorCode.AUTH_FAILED, 'peer requires an admission (password or certificate) this node does not have');
  }
  if (frame.kind !== FrameKind.Hello) throw new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `expected hello, got frame kind ${frame.kind}`);
  const hello = frame as HelloFrame;
  if (hello.version !== PROTOCOL_VERSION) throw new PeerChannelError(ErrorCode.PROTOCOL_VERSION, `peer speaks protocol ${hello.version}, not ${PROTOCOL_VERSION}`);
  if (hello.mesh !== mesh) throw new PeerChannelError(ErrorCode.WRONG_MESH, `peer wants mesh '${hello.mesh}', this is '${mesh}'`);
  return hello;
}

/** Acceptor side: refuses with a code and referrals, then closes. */
export function refuse(link: Link, code: ErrorCode, message: string, referrals: readonly PeerRef[]): void {
  trySend(link, { kind: FrameKind.Refuse, code, message, referrals });
  link.close(code, message);
}

/** Acceptor side: welcomes. */
export function welcome(link: Link, peerId: PeerId, addresses: readonly string[], ext: HandshakeExt = {}): void {
  trySend(link, { kind: FrameKind.Welcome, version: PROTOCOL_VERSION, peerId, addresses, ext });
}
