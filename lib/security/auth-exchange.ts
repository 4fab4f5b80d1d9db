import { FrameKind, decodeFrame, encodeFrame } from '../codec/index.js';
import { ErrorCode, PeerChannelError, isErrorCode, toPeerChannelError } from '../errors/index.js';
import type { Link } from '../transport/transport.js';
import type { AdmissionContext } from './admission.js';

/** One decoded `Auth` frame payload of an admission protocol. @internal */
export type AuthPayload = Readonly<Record<string, unknown>>;

/** How an admission protocol drives its link. @internal */
export interface AuthExchangeOptions {
  /** Protocol tag carried in every payload's `p` field; a peer speaking another one is refused. */
  readonly protocol: string;
  /** How many Auth frames the peer sends in this protocol; the link's receiver is released right after the last. */
  readonly expectedFrames: number;
  readonly timeoutMs: number;
}

/** What a protocol body may do with the link while the exchange owns it. @internal */
export interface AuthIo {
  /** Sends one Auth frame with `{ p: protocol, s: step, ...fields }`. */
  send(step: string, fields: Record<string, unknown>): void;
  /** The next payload from the peer, which must be at `step`; rejects once the exchange failed. */
  receive(step: string): Promise<AuthPayload>;
  /** Fails the exchange: closes the link with `code` and returns the error to throw. */
  fail(code: ErrorCode, message: string): PeerChannelError;
}

/**
 * Runs one admission protocol on a link, owning its receiver, and settles exactly once.
 *
 * @remarks
 * Every failure — a malformed or unexpected frame, the timeout, the context's abort signal, the
 * link closing, or the body throwing — closes the link with the failure's code (so the peer learns
 * it) and rejects with a `PeerChannelError` of that code. When the peer closes first, the rejection
 * carries the peer's close code, which is how both sides report the same reason. The receiver is
 * released synchronously after the peer's last expected frame, so a frame the peer sends right
 * after admission (its mesh hello) stays buffered in the link for the next consumer.
 * @internal
 */
export async function runAuthExchange<T>(
  link: Link,
  context: AdmissionContext,
  options: AuthExchangeOptions,
  body: (io: AuthIo) => Promise<T>,
): Promise<T> {
  const queue: AuthPayload[] = [];
  let waiter: { resolve: (p: AuthPayload) => void; reject: (e: PeerChannelError) => void } | undefined;
  let failure: PeerChannelError | undefined;
  let received = 0;
  let released = false;

  const release = (): void => {
    if (released) return;
    released = true;
    link.setReceiver(undefined);
  };

  const fail = (error: PeerChannelError, closeLink = true): PeerChannelError => {
    if (failure !== undefined) return failure;
    failure = error;
    if (closeLink && link.isOpen) link.close(error.code, error.message);
    release();
    waiter?.reject(error);
    waiter = undefined;
    return error;
  };

  const receiver = (data: Uint8Array): void => {
    if (failure !== undefined) return;
    let frame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      fail(toPeerChannelError(error, ErrorCode.FRAME_DECODE));
      return;
    }
    if (frame.kind === FrameKind.Hello) {
      // The peer skipped admission altogether: it has no password or certificate for this mesh.
      fail(new PeerChannelError(ErrorCode.AUTH_FAILED, `peer did not authenticate: this mesh requires ${options.protocol} admission`));
      return;
    }
    if (frame.kind !== FrameKind.Auth) {
      fail(new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `frame kind ${frame.kind} during admission (${options.protocol})`));
      return;
    }
    const payload = (frame as { payload: AuthPayload }).payload;
    if (payload.p !== options.protocol) {
      const theirs = typeof payload.p === 'string' ? payload.p.slice(0, 64) : 'none';
      fail(new PeerChannelError(ErrorCode.SECURITY_MODE_MISMATCH, `peer speaks admission protocol ${theirs}, this mesh requires ${options.protocol}`));
      return;
    }
    received += 1;
    if (received >= options.expectedFrames) release();
    if (waiter !== undefined) {
      const w = waiter;
      waiter = undefined;
      w.resolve(payload);
    } else {
      queue.push(payload);
    }
  };

  const io: AuthIo = {
    send(step, fields) {
      link.send(encodeFrame({ kind: FrameKind.Auth, payload: { p: options.protocol, s: step, ...fields } }));
    },
    receive(step) {
      const checkStep = (payload: AuthPayload): AuthPayload => {
        if (payload.s !== step) throw fail(new PeerChannelError(ErrorCode.FRAME_UNEXPECTED, `expected admission step ${step}`));
        return payload;
      };
      if (failure !== undefined) return Promise.reject(failure);
      const next = queue.shift();
      if (next !== undefined) return Promise.resolve(next).then(checkStep);
      if (received >= options.expectedFrames) {
        return Promise.reject(fail(new PeerChannelError(ErrorCode.INTERNAL, `admission protocol ${options.protocol} read past its last frame`)));
      }
      return new Promise<AuthPayload>((resolve, reject) => (waiter = { resolve, reject })).then(checkStep);
    },
    fail(code, message) {
      return fail(new PeerChannelError(code, message));
    },
  };

  if (!link.isOpen) throw new PeerChannelError(ErrorCode.LINK_CLOSED, 'link closed before admission');
  const timer = setTimeout(() => {
    fail(new PeerChannelError(ErrorCode.HANDSHAKE_TIMEOUT, `admission (${options.protocol}) did not finish within ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  const onAbort = (): void => void fail(new PeerChannelError(ErrorCode.ABORTED, 'admission aborted'));
  context.signal.addEventListener('abort', onAbort, { once: true });
  void link.closed.then((info) => {
    const code = info.code !== 'PC_OK' && isErrorCode(info.code) ? info.code : ErrorCode.LINK_CLOSED;
    fail(new PeerChannelError(code, `link closed during admission: ${info.reason}`), false);
  });
  try {
    if (context.signal.aborted) onAbort();
    // Setting the receiver hands over frames the peer sent before we started, synchronously.
    else link.setReceiver(receiver);
    const result = await body(io);
    if (failure !== undefined) throw failure;
    release();
    return result;
  } catch (error) {
    if (failure === undefined && !link.isOpen) {
      // The link closed under a send before its close notice was processed: report the peer's code.
      const info = await link.closed;
      const code = info.code !== 'PC_OK' && isErrorCode(info.code) ? info.code : ErrorCode.LINK_CLOSED;
      fail(new PeerChannelError(code, `link closed during admission: ${info.reason}`), false);
    }
    throw failure ?? fail(toPeerChannelError(error, ErrorCode.HANDSHAKE_FAILED));
  } finally {
    clearTimeout(timer);
    context.signal.removeEventListener('abort', onAbort);
  }
}

/** Reads a byte field of an auth payload, exactly `length` long or at most `max`. @internal */
export function bytesField(io: AuthIo, payload: AuthPayload, key: string, size: { exact?: number; max?: number }): Uint8Array {
  const v = payload[key];
  const ok = v instanceof Uint8Array && (size.exact === undefined || v.length === size.exact) && (size.max === undefined || v.length <= size.max);
  if (!ok) throw io.fail(ErrorCode.FRAME_SHAPE, `admission field ${key} must be ${size.exact !== undefined ? `${size.exact}` : `at most ${size.max}`} bytes`);
  return v;
}

/** Reads a string field of an auth payload of at most `max` characters. @internal */
export function stringField(io: AuthIo, payload: AuthPayload, key: string, max: number): string {
  const v = payload[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw io.fail(ErrorCode.FRAME_SHAPE, `admission field ${key} must be a string of 1..${max} characters`);
  return v;
}
