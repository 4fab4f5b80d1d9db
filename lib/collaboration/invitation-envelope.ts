import { randomBytes } from 'node:crypto';
import { pack, unpack } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { PeerIdentity, peerIdFromSpki } from '../identity/peer-identity.js';
import { type CollaborationLimits, DEFAULT_INVITATION_TTL_MS } from './collaboration-limits.js';

/** How an invitee answered. */
export type InvitationResponse = 'accepted' | 'declined';

/** The signed facts of an invitation, a withdrawal or an answer. */
export interface InvitationBody {
  /** What the envelope carries: an invitation, its withdrawal by the inviter, or the invitee's answer. */
  readonly kind: 'invite' | 'withdraw' | 'answer';
  /** 32 hex digits, chosen by the inviter. */
  readonly id: string;
  /** Peer id of the signer (inviter for invite/withdraw, invitee for answer). */
  readonly from: string;
  /** DER SubjectPublicKeyInfo of the signer; hashes to `from`. */
  readonly spki: Uint8Array;
  /** Peer id the envelope is for. */
  readonly to: string;
  /** Id of the application the invitation is for. */
  readonly app: string;
  /** The inviter's message to the invitee (empty for withdrawals and answers). */
  readonly message: string;
  /** Application data for the invitee (e.g. a room and its password), opaque to PeerChannel. */
  readonly data: Uint8Array;
  /** How long the invitation may wait for an answer, from its receipt. */
  readonly ttlMs: number;
  /** The answer, in an `answer` envelope; `''` in the others. */
  readonly response: InvitationResponse | '';
}

const PEER_ID = /^[0-9a-f]{64}$/;
const ID = /^[0-9a-f]{32}$/;
/** Envelope bytes beyond the bounded fields (keys, signature, tags). */
const ENVELOPE_OVERHEAD = 2_048;

/**
 * Checks what an inviter asks for: lifetime, message and data within `limits`; returns the lifetime.
 * @throws PeerChannelError `PC_ERR_INVITATION_INVALID`
 */
export function checkInviteOptions(limits: CollaborationLimits, options: { readonly ttlMs?: number; readonly message?: string; readonly data?: Uint8Array }): number {
  const ttlMs = options.ttlMs ?? DEFAULT_INVITATION_TTL_MS;
  if (!(Number.isInteger(ttlMs) && ttlMs > 0 && ttlMs <= limits.maxInvitationTtlMs)) throw new PeerChannelError(ErrorCode.INVITATION_INVALID, `an invitation lives 1..${limits.maxInvitationTtlMs} ms`);
  if (options.message !== undefined && (typeof options.message !== 'string' || [...options.message].length > limits.maxInvitationMessageLength)) {
    throw new PeerChannelError(ErrorCode.INVITATION_INVALID, `an invitation message has at most ${limits.maxInvitationMessageLength} characters`);
  }
  if (options.data !== undefined && (!(options.data instanceof Uint8Array) || options.data.byteLength > limits.maxInvitationDataBytes)) {
    throw new PeerChannelError(ErrorCode.INVITATION_INVALID, `invitation data has at most ${limits.maxInvitationDataBytes} bytes`);
  }
  return ttlMs;
}

/** A fresh invitation id. */
export function newInvitationId(): string {
  return randomBytes(16).toString('hex');
}

/** Packs and signs `body` (with `from`/`spki` of `identity`) into an envelope. */
export function sealInvitation(identity: PeerIdentity, body: Omit<InvitationBody, 'from' | 'spki'>): Uint8Array {
  const signed = pack([body.kind, body.id, identity.peerId, identity.publicKeySpki, body.to, body.app, body.message, body.data, body.ttlMs, body.response]);
  return pack([signed, identity.sign(signed)]);
}

/**
 * Opens an envelope from a peer: bounded decode, shape, size bounds, the key hashes to the
 * signer's peer id, the signature verifies, and the envelope is addressed to `me`.
 * @throws PeerChannelError `PC_ERR_INVITATION_INVALID` (malformed or over a bound),
 * `PC_ERR_INVITATION_FORGED` (key or signature wrong, or not for me).
 */
export function openInvitation(envelope: Uint8Array, me: string, limits: CollaborationLimits): InvitationBody {
  const invalid = (why: string) => new PeerChannelError(ErrorCode.INVITATION_INVALID, `invitation envelope refused: ${why}`);
  if (!(envelope instanceof Uint8Array) || envelope.byteLength > limits.maxInvitationDataBytes + ENVELOPE_OVERHEAD + 4 * limits.maxInvitationMessageLength) throw invalid('not bytes, or too large');
  let outer: unknown;
  let inner: unknown;
  try {
    outer = unpack(envelope);
    if (!Array.isArray(outer) || outer.length !== 2 || !(outer[0] instanceof Uint8Array) || !(outer[1] instanceof Uint8Array)) throw invalid('not [body, signature]');
    inner = unpack(outer[0]);
  } catch (error) {
    // The codec's own refusals (PC_ERR_FRAME_*) are an envelope that does not decode, too.
    if (error instanceof PeerChannelError && error.code === ErrorCode.INVITATION_INVALID) throw error;
    throw invalid(error instanceof PeerChannelError ? `does not decode (${error.code})` : 'does not decode');
  }
  if (!Array.isArray(inner) || inner.length !== 10) throw invalid('body is not a 10-tuple');
  const [kind, id, from, spki, to, app, message, data, ttlMs, response] = inner as unknown[];
  if (kind !== 'invite' && kind !== 'withdraw' && kind !== 'answer') throw invalid('unknown kind');
  if (typeof id !== 'string' || !ID.test(id)) throw invalid('bad id');
  if (typeof from !== 'string' || !PEER_ID.test(from) || typeof to !== 'string' || !PEER_ID.test(to)) throw invalid('bad peer ids');
  if (!(spki instanceof Uint8Array) || spki.byteLength > 512) throw invalid('bad key');
  if (typeof app !== 'string' || app.length > 128) throw invalid('bad application id');
  if (typeof message !== 'string' || [...message].length > limits.maxInvitationMessageLength) throw invalid(`message over ${limits.maxInvitationMessageLength} characters`);
  if (!(data instanceof Uint8Array) || data.byteLength > limits.maxInvitationDataBytes) throw invalid(`data over ${limits.maxInvitationDataBytes} bytes`);
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > limits.maxInvitationTtlMs) throw invalid('lifetime out of bounds');
  if (response !== '' && response !== 'accepted' && response !== 'declined') throw invalid('bad response');
  if (peerIdFromSpki(spki) !== from) throw new PeerChannelError(ErrorCode.INVITATION_FORGED, 'the key in the envelope is not its sender\'s');
  if (!PeerIdentity.verify(spki, (outer as Uint8Array[])[0]!, (outer as Uint8Array[])[1]!)) throw new PeerChannelError(ErrorCode.INVITATION_FORGED, 'the envelope signature does not verify');
  if (to !== me) throw new PeerChannelError(ErrorCode.INVITATION_FORGED, 'the envelope is addressed to another peer');
  return { kind, id, from, spki, to, app, message, data, ttlMs, response };
}
