import { ErrorCode, isErrorCode } from './codes.js';

/**
 * The one error type PeerChannel throws, rejects with, or emits on an error stream.
 *
 * @remarks
 * API misuse throws synchronously; network failures reject a Promise or error an Observable.
 * A fault raised by a remote implementation arrives with the remote `code` and `message` only,
 * never a stack.
 */
export class PeerChannelError extends Error {
  /** Stable machine-readable code, one of {@link ErrorCode}. */
  readonly code: ErrorCode;
  /**
   * Hex id of the message the error is about, when there is one: a call that failed (timed out,
   * found no route) or a message dropped on the way. Matches `PeerCall.id`, `decisions$` ids and
   * the id `node.trace()` takes.
   */
  readonly messageId?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; messageId?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PeerChannelError';
    this.code = code;
    if (options?.messageId !== undefined) this.messageId = options.messageId;
  }

  /** The form in which a fault crosses the wire: code and message, no stack. */
  toWire(): {
    /** The error's code. */
    code: ErrorCode;
    /** The error's message. */
    message: string;
  } {
    return { code: this.code, message: this.message };
  }
}

/**
 * Normalises anything thrown into a {@link PeerChannelError}, keeping the original as `cause`.
 *
 * @param fallback - code used when `error` is not already a PeerChannelError.
 */
export function toPeerChannelError(error: unknown, fallback: ErrorCode = ErrorCode.INTERNAL): PeerChannelError {
  if (error instanceof PeerChannelError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PeerChannelError(fallback, message, { cause: error });
}

/** Builds an error from a wire fault, trusting only a registered code. */
export function fromWireFault(fault: { code: unknown; message: unknown }): PeerChannelError {
  const code = isErrorCode(fault.code) ? fault.code : ErrorCode.REMOTE_FAULT;
  const message = typeof fault.message === 'string' ? fault.message.slice(0, 1024) : 'remote fault';
  return new PeerChannelError(code, message);
}
