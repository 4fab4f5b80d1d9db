import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { Link } from '../transport/transport.js';
import type { Admission, AdmissionContext } from './admission.js';
import { type AuthIo, bytesField, runAuthExchange, stringField } from './auth-exchange.js';
import { channelBinding, prefixFreeCat, utf8Bytes } from './binding.js';
import { calculateGenerator, confirmationTags, cpaceMessage, intermediateSessionKey, sampleScalar, scalarMult, scalarMultVfy } from './cpace.js';

/** Protocol tag of password admission frames (CPace over ristretto255, SHA-512, version 1). */
export const PASSWORD_ADMISSION_PROTOCOL = 'cpace-r255-sha512/1';
/** RFC 5705 label of the keying material a TLS link exports for the password proof. */
export const PASSWORD_BINDING_LABEL = 'peerchannel-pake';
/** Longest accepted password, in UTF-8 bytes after NFKC normalisation. */
export const MAX_PASSWORD_BYTES = 1024;

const NONCE_BYTES = 16;
const SHARE_BYTES = 32;
const TAG_BYTES = 64;
const MAX_PEER_ID_LENGTH = 256;
const CI_LABEL = utf8Bytes('peerchannel mesh');

/** Options for {@link passwordAdmission}. */
export interface PasswordAdmissionOptions {
  /**
   * Longest the whole exchange may take before the link closes with `PC_ERR_HANDSHAKE_TIMEOUT`.
   * @defaultValue 10_000
   */
  readonly timeoutMs?: number;
}

/**
 * Admits only peers that know the mesh password, proven with the CPace balanced PAKE.
 *
 * @remarks
 * Both sides send a CPace share (ristretto255, generator derived from the password, the mesh name
 * and the connection's binding material), derive the same key only if their passwords match, then
 * exchange key-confirmation MACs compared in constant time. What this gives:
 *
 * - An eavesdropper learns nothing it can test passwords against offline.
 * - An impostor — a peer we dial, or one that dials us — gets one online guess per connection and
 *   nothing to test further guesses against.
 * - A recorded exchange cannot be replayed on another connection: each side's share is fresh, and
 *   on TLS links the generator is also bound to the link's exported keying material
 *   (`exportKeyingMaterial(32, 'peerchannel-pake')`).
 * - Only TLS links resist an active relay (a man in the middle forwarding frames between two honest
 *   peers): the two halves of a relayed connection export different keying material, so the proof
 *   fails. Links without TLS (the memory transport) bind only to fresh nonces and both peer ids.
 *
 * The password is normalised to Unicode NFKC and encoded as UTF-8, so visually equal input typed
 * on different systems matches. A wrong password closes the link with `PC_ERR_AUTH_FAILED`, and
 * `admit` rejects with that code on both sides.
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` if the password is empty or longer than
 * {@link MAX_PASSWORD_BYTES} bytes, or the timeout is not a positive number.
 *
 * @example
 * ```ts
 * const admission = passwordAdmission('correct horse battery staple');
 * await admission.admit(link, { role: 'dialer', mesh: 'lobby', localPeerId, remotePeerId, signal });
 * ```
 */
export function passwordAdmission(password: string, options: PasswordAdmissionOptions = {}): Admission {
  if (typeof password !== 'string' || password.length === 0) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'password must be a non-empty string');
  }
  const prs = utf8Bytes(password.normalize('NFKC'));
  if (prs.length > MAX_PASSWORD_BYTES) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `password is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'timeoutMs must be positive');
  return {
    name: 'password',
    admit: (link, context) =>
      runAuthExchange(link, context, { protocol: PASSWORD_ADMISSION_PROTOCOL, expectedFrames: 2, timeoutMs }, (io) =>
        cpaceExchange(io, link, context, prs),
      ),
  };
}

async function cpaceExchange(io: AuthIo, link: Link, context: AdmissionContext, prs: Uint8Array): Promise<void> {
  const initiator = context.role === 'dialer';
  // TLS links: the session's exported keying material is the CPace sid, so the generator — and
  // every proof — is specific to this connection. Without TLS the sid is empty and freshness comes
  // from the shares and nonces, which enter the transcript as associated data.
  const sid = channelBinding(link, PASSWORD_BINDING_LABEL) ?? new Uint8Array(0);
  const ci = prefixFreeCat(CI_LABEL, utf8Bytes(context.mesh));
  const y = sampleScalar();
  const share = scalarMult(y, calculateGenerator(prs, ci, sid));
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
  io.send('share', { y: share, id: context.localPeerId, n: nonce });

  const theirs = await io.receive('share');
  const theirShare = bytesField(io, theirs, 'y', { exact: SHARE_BYTES });
  const theirId = stringField(io, theirs, 'id', MAX_PEER_ID_LENGTH);
  const theirNonce = bytesField(io, theirs, 'n', { exact: NONCE_BYTES });
  if (context.remotePeerId !== undefined && theirId !== context.remotePeerId) {
    throw io.fail(ErrorCode.PEER_ID_MISMATCH, 'peer claims another id than its transport authenticated');
  }
  const k = scalarMultVfy(y, theirShare);
  if (k === undefined) throw io.fail(ErrorCode.AUTH_FAILED, 'peer sent an invalid password share');

  const ours = cpaceMessage(share, prefixFreeCat(utf8Bytes(context.localPeerId), nonce));
  const other = cpaceMessage(theirShare, prefixFreeCat(utf8Bytes(theirId), theirNonce));
  const [msgA, msgB] = initiator ? [ours, other] : [other, ours];
  const tags = confirmationTags(intermediateSessionKey(sid, k, msgA, msgB), msgA, msgB);
  io.send('confirm', { t: initiator ? tags.initiator : tags.responder });

  const confirm = await io.receive('confirm');
  const tag = bytesField(io, confirm, 't', { exact: TAG_BYTES });
  const expected = initiator ? tags.responder : tags.initiator;
  if (!timingSafeEqual(tag, expected)) {
    throw io.fail(ErrorCode.AUTH_FAILED, 'password proof rejected (wrong password, or a relayed connection)');
  }
}
