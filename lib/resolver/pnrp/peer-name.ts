import { createHash } from 'node:crypto';
import { ErrorCode, PeerChannelError } from '../../errors/index.js';

/** The authority of an unsecured peer name: anyone may publish `0.classifier`. */
export const UNSECURED_AUTHORITY = '0';

/**
 * Longest classifier, in UTF-16 code units (PNRP's own limit is 149 characters).
 * @defaultValue 149
 */
export const MAX_CLASSIFIER_LENGTH = 149;

/** A parsed PNRP peer name `authority.classifier`. */
export interface PeerName {
  /** `'0'` for an unsecured name, else the publisher's peer id (64 lowercase hex digits). */
  readonly authority: string;
  /** The part after the first dot (NFC-normalised). */
  readonly classifier: string;
  /** True when only the holder of the key whose hash is {@link PeerName.authority} may publish it. */
  readonly secured: boolean;
  /** The canonical text form, `authority.classifier`. */
  readonly text: string;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
// Control characters would make names that print alike but hash apart.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function invalid(message: string): PeerChannelError {
  return new PeerChannelError(ErrorCode.NAME_INVALID, message);
}

/**
 * Parses and validates a peer name.
 *
 * @remarks
 * The authority is `0` (unsecured) or a peer id: the hex SHA-256 of the publisher's public key
 * SPKI (secured; case-insensitive, normalised to lowercase). The classifier is 1..149 characters,
 * no control characters, NFC-normalised; it may itself contain dots.
 *
 * @throws PeerChannelError `PC_ERR_NAME_INVALID`
 * @example
 * ```ts
 * parsePeerName('0.lobby');                 // { secured: false, classifier: 'lobby', … }
 * parsePeerName(`${identity.peerId}.files`); // secured: only identity may publish it
 * ```
 */
export function parsePeerName(name: unknown): PeerName {
  if (typeof name !== 'string') throw invalid('a peer name must be a string');
  if (name.length > 64 + 1 + MAX_CLASSIFIER_LENGTH) throw invalid('peer name is too long');
  const dot = name.indexOf('.');
  if (dot < 0) throw invalid(`peer name ${JSON.stringify(name.slice(0, 80))} must be authority.classifier`);
  const rawAuthority = name.slice(0, dot);
  const classifier = name.slice(dot + 1).normalize('NFC');
  let authority: string;
  if (rawAuthority === UNSECURED_AUTHORITY) authority = UNSECURED_AUTHORITY;
  else if (HEX64.test(rawAuthority)) authority = rawAuthority.toLowerCase();
  else throw invalid('peer name authority must be 0 or a 64-digit hex peer id');
  if (classifier.length === 0 || classifier.length > MAX_CLASSIFIER_LENGTH) {
    throw invalid(`peer name classifier must have 1..${MAX_CLASSIFIER_LENGTH} characters`);
  }
  if (CONTROL.test(classifier)) throw invalid('peer name classifier must not contain control characters');
  return Object.freeze({ authority, classifier, secured: authority !== UNSECURED_AUTHORITY, text: `${authority}.${classifier}` });
}

/** True when `name` parses as a peer name. */
export function isPeerName(name: unknown): boolean {
  try {
    parsePeerName(name);
    return true;
  } catch (error) {
    if (error instanceof PeerChannelError && error.code === ErrorCode.NAME_INVALID) return false;
    throw error;
  }
}

/**
 * The 128-bit id of a peer name: the first 16 bytes of SHA-256 over its canonical text, in hex.
 *
 * @remarks
 * Every published instance of a name shares this id as the top half of its 256-bit PNRP id.
 */
export function peerNameId(name: PeerName | string): string {
  const text = typeof name === 'string' ? parsePeerName(name).text : name.text;
  return createHash('sha256').update('pnrp-name\0').update(text, 'utf8').digest('hex').slice(0, 32);
}
