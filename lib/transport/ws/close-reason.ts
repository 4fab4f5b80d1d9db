import { ErrorCode, isErrorCode } from '../../errors/index.js';
import type { LinkCloseInfo } from '../transport.js';

/**
 * WebSocket close code that carries a PeerChannel error code in its reason text.
 *
 * @remarks
 * A link closed with `PC_OK` sends close code 1000 and the reason; any other code sends 4000 and
 * `"<PC_ERR_…> <reason>"`, cut to the 123 bytes a close frame allows. The receiver maps it back, so
 * `closed` reports the same code on both sides. Codes sent by ws itself map as: 1009 →
 * `PC_ERR_FRAME_TOO_LARGE`; 1002, 1003, 1007 → `PC_ERR_FRAME_DECODE`; 1001 → `PC_OK`; anything
 * else (including 1006, connection lost) → `PC_ERR_LINK_CLOSED`.
 */
export const PC_CLOSE_CODE = 4000;

/** Most bytes of reason text a WebSocket close frame carries. */
const MAX_REASON_BYTES = 123;

/** The WebSocket close code and reason text that tell the other side `code` and `reason`. */
export function encodeClose(code: LinkCloseInfo['code'], reason: string): { wsCode: number; text: string } {
  if (code === 'PC_OK') return { wsCode: 1000, text: truncateUtf8(reason, MAX_REASON_BYTES) };
  return { wsCode: PC_CLOSE_CODE, text: truncateUtf8(`${code} ${reason}`, MAX_REASON_BYTES) };
}

/** Maps a received WebSocket close back to a link close code and reason. */
export function decodeClose(wsCode: number, reasonBytes: Buffer): { code: LinkCloseInfo['code']; reason: string } {
  const text = reasonBytes.toString('utf8');
  switch (wsCode) {
    case 1000:
    case 1001:
      return { code: 'PC_OK', reason: text || 'closed' };
    case PC_CLOSE_CODE: {
      const space = text.indexOf(' ');
      const token = space < 0 ? text : text.slice(0, space);
      if (isErrorCode(token)) return { code: token, reason: space < 0 ? '' : text.slice(space + 1) };
      return { code: ErrorCode.LINK_CLOSED, reason: text };
    }
    case 1009:
      return { code: ErrorCode.FRAME_TOO_LARGE, reason: text || 'message too big' };
    case 1002:
    case 1003:
    case 1007:
      return { code: ErrorCode.FRAME_DECODE, reason: text || `protocol error (${wsCode})` };
    case 1006:
      return { code: ErrorCode.LINK_CLOSED, reason: 'connection lost' };
    default:
      return { code: ErrorCode.LINK_CLOSED, reason: text || `closed with WebSocket code ${wsCode}` };
  }
}

/** Maps an error that ws raised on a link to the code the link closes with. */
export function codeForWsError(error: Error & { code?: string }): ErrorCode {
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return ErrorCode.FRAME_TOO_LARGE;
  if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) return ErrorCode.FRAME_DECODE;
  return ErrorCode.LINK_CLOSED;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes so a multi-byte character is never split.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}
