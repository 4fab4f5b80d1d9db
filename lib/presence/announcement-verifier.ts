import { type KeyObject, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { algorithmFor, peerIdFromSpki } from '../identity/peer-identity.js';
import { SenderRate } from '../internal/sender-rate.js';
import type { SignedPresence } from './presence-record.js';

/** The counters {@link AnnouncementVerifier} adds to. @internal */
export interface VerifierStats {
  forged: number;
  replayed: number;
  rateLimited: number;
  verified: number;
}

/** A peer's key, checked once against its peer id, and the time of its last announcement taken. */
interface VerifiedKey {
  readonly spki: Buffer;
  readonly key: KeyObject;
  lastTimestamp: number;
}

/**
 * Decides whether a People Near Me announcement is its peer's own and new, at a bounded cost:
 * replays are refused before any signature is checked, signatures are checked within a rate per
 * source address and overall, and keys are checked against their peer id once and cached (at
 * most `maxKeys`, the least recently heard forgotten first).
 * @internal
 */
export class AnnouncementVerifier {
  /** Keys checked against their peer id, most recently used last. */
  private readonly keys = new Map<string, VerifiedKey>();
  private readonly perSource: SenderRate;
  private readonly overall: SenderRate;

  constructor(
    private readonly options: { readonly maxSkewMs: number; readonly perSource: number; readonly overall: number; readonly maxKeys: number },
    private readonly stats: VerifierStats,
  ) {
    this.perSource = new SenderRate(options.perSource, options.perSource, 256);
    this.overall = new SenderRate(options.overall, options.overall, 1);
  }

  /**
   * Whether a presence is its peer's own and new: within the clock window, later than the last
   * one taken from that peer (both checked before any signature, so a replay costs nothing), then
   * — within the verification rates — its key hashes to its peer id (checked once per key, then
   * cached) and its signature verifies.
   */
  authentic(p: SignedPresence, from: string, now: number): boolean {
    const { record, spki } = p;
    if (Math.abs(record.timestamp - now) > this.options.maxSkewMs) {
      this.stats.replayed += 1;
      return false;
    }
    const cached = this.keys.get(record.peerId);
    if (cached !== undefined && record.timestamp <= cached.lastTimestamp) {
      this.stats.replayed += 1;
      return false;
    }
    if (!this.perSource.take(from) || !this.overall.take('')) {
      this.stats.rateLimited += 1;
      return false;
    }
    let key = cached !== undefined && cached.spki.equals(spki) ? cached.key : undefined;
    if (key === undefined) {
      if (peerIdFromSpki(spki) !== record.peerId) {
        this.stats.forged += 1;
        return false;
      }
      try {
        key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      } catch {
        // A key that hashes to the peer id but does not parse: nobody's key, so a forgery.
        this.stats.forged += 1;
        return false;
      }
    }
    let ok: boolean;
    try {
      ok = cryptoVerify(algorithmFor(key), p.signed, key, p.signature);
    } catch {
      // A signature of the wrong shape for the key (e.g. not DER for ECDSA) is simply not valid.
      ok = false;
    }
    if (!ok) {
      this.stats.forged += 1;
      return false;
    }
    this.stats.verified += 1;
    this.keys.delete(record.peerId);
    while (this.keys.size >= this.options.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(record.peerId, { spki: cached?.spki.equals(spki) === true ? cached.spki : Buffer.from(spki), key, lastTimestamp: record.timestamp });
    return true;
  }
}
