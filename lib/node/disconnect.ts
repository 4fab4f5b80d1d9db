import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { isPeerId } from '../identity/peer-identity.js';

/** Options of `PeerNode.disconnect`. */
export interface DisconnectOptions {
  /**
   * Why, for the other side's logs (it sees the code `PC_ERR_DISCONNECTED` and this text, cut to
   * the 100 bytes or so a WebSocket close frame leaves).
   * @defaultValue 'disconnected'
   */
  readonly reason?: string;
  /**
   * For how long, in milliseconds, this node then refuses the peer's links (with
   * `PC_ERR_DISCONNECTED`, before admission runs) and dials none to it; at most 24 hours. 0 lets
   * it back at its next link (and lifts a hold-off in force) — enough where admission itself now
   * refuses it, as in a mesh admitting trusted peers only.
   * @defaultValue 0
   */
  readonly holdOffMs?: number;
}

/** Longest hold-off `disconnect` takes. */
export const MAX_HOLD_OFF_MS = 24 * 60 * 60 * 1000;

/** Checks `disconnect`'s arguments. @internal */
export function checkDisconnect(peerId: unknown, options: DisconnectOptions): { reason: string; holdOffMs: number } {
  if (!isPeerId(peerId)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'disconnect: a peer id is 64 lowercase hex digits');
  const reason = options.reason ?? 'disconnected';
  if (typeof reason !== 'string' || reason.length > 200) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'disconnect: reason must be a string of at most 200 characters');
  const holdOffMs = options.holdOffMs ?? 0;
  if (typeof holdOffMs !== 'number' || !Number.isInteger(holdOffMs) || holdOffMs < 0 || holdOffMs > MAX_HOLD_OFF_MS) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `disconnect: holdOffMs must be an integer in 0..${MAX_HOLD_OFF_MS}`);
  }
  return { reason, holdOffMs };
}
