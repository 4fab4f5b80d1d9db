import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../../../lib/codec/packr.js';
import { ErrorCode } from '../../../lib/errors/index.js';
import { PeerIdentity } from '../../../lib/identity/peer-identity.js';
import { isPeerName, parsePeerName, peerNameId } from '../../../lib/resolver/pnrp/peer-name.js';
import { newServiceLocation, pnrpIdOf } from '../../../lib/resolver/pnrp/pnrp-id.js';
import { defaultPnrpLimits } from '../../../lib/resolver/pnrp/pnrp-limits.js';
import { signedBytes as signedBytesOf, signRecord, verifyRecord, type PnrpRecord, type PnrpRecordFields } from '../../../lib/resolver/pnrp/record.js';
import { decodeRecord, encodeRecord } from '../../../lib/resolver/pnrp/wire.js';

const alice = PeerIdentity.generate();
const mallory = PeerIdentity.generate();
const now = 1_800_000_000_000;
const limits = defaultPnrpLimits;
const context = { cloud: 'global', now, limits };

function fields(over: Partial<PnrpRecordFields> = {}): PnrpRecordFields {
  return {
    cloud: 'global',
    name: '0.lobby',
    serviceLocation: newServiceLocation(),
    endpoint: { peerId: alice.peerId, addresses: ['wss://127.0.0.1:4000'] },
    version: now,
    expiresAt: now + 60_000,
    payload: new Uint8Array([1, 2, 3]),
    ...over,
  };
}

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('peer names', () => {
  it('parses unsecured and secured names into authority and classifier', () => {
    expect(parsePeerName('0.lobby')).toEqual({ authority: '0', classifier: 'lobby', secured: false, text: '0.lobby' });
    const secured = parsePeerName(`${alice.peerId.toUpperCase()}.files.v2`);
    expect(secured).toMatchObject({ authority: alice.peerId, classifier: 'files.v2', secured: true, text: `${alice.peerId}.files.v2` });
  });

  it('rejects malformed names with PC_ERR_NAME_INVALID', () => {
    for (const bad of ['lobby', '1.lobby', '0.', `${'a'.repeat(63)}.x`, `${'g'.repeat(64)}.x`, '0.a\nb', `0.${'x'.repeat(150)}`, 42, null]) {
      expect(codeOf(() => parsePeerName(bad))).toBe(ErrorCode.NAME_INVALID);
      expect(isPeerName(bad)).toBe(false);
    }
    expect(isPeerName(`0.${'x'.repeat(149)}`)).toBe(true);
  });

  it('hashes a name to a 128-bit id that is canonical and distinct per name', () => {
    const id = peerNameId('0.lobby');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(peerNameId(parsePeerName('0.lobby'))).toBe(id);
    expect(peerNameId('0.Lobby')).not.toBe(id);
    // NFC normalisation: the same text typed two ways is the same name.
    expect(peerNameId('0.caf\u00e9')).toBe(peerNameId('0.cafe\u0301'));
    expect(peerNameId(`${alice.peerId.toUpperCase()}.x`)).toBe(peerNameId(`${alice.peerId}.x`));
    const location = newServiceLocation();
    expect(pnrpIdOf(id, location)).toBe(id + location);
    expect(pnrpIdOf(id, location)).toHaveLength(64);
  });
});

describe('records (CPA)', () => {
  it('signs a record that verifies, with its 256-bit PNRP id and publisher', () => {
    const record = signRecord(alice, fields(), limits);
    const verified = verifyRecord(record, context);
    expect(verified.pnrpId).toBe(peerNameId('0.lobby') + record.serviceLocation);
    expect(verified.publisher).toBe(alice.peerId);
    expect(Object.isFrozen(record)).toBe(true);
  });

  it('fails verification when any signed field is altered', () => {
    const record = signRecord(alice, fields(), limits);
    const alterations: Partial<PnrpRecord>[] = [
      { name: '0.lobby2' },
      { serviceLocation: newServiceLocation() },
      { endpoint: { peerId: alice.peerId, addresses: ['wss://10.0.0.66:4000'] } },
      { endpoint: { peerId: mallory.peerId, addresses: record.endpoint.addresses } },
      { version: record.version + 1 },
      { expiresAt: record.expiresAt + 1 },
      { payload: new Uint8Array([1, 2, 4]) },
      { withdrawn: true },
      { signature: Uint8Array.from(record.signature, (b, i) => (i === 0 ? b ^ 1 : b)) },
    ];
    for (const change of alterations) {
      expect(codeOf(() => verifyRecord({ ...record, ...change }, context))).toBe(ErrorCode.BAD_SIGNATURE);
    }
    // Swapping in another key breaks the signature too (and the publisher would change).
    expect(codeOf(() => verifyRecord({ ...record, publicKey: mallory.publicKeySpki }, context))).toBe(ErrorCode.BAD_SIGNATURE);
  });

  it('rejects a secured name signed by a key other than its authority', () => {
    // Mallory signs a record for Alice's secured name with her own key: the signature is valid, the claim is not.
    const forged = signRecordUnchecked(mallory, { ...fields(), name: `${alice.peerId}.files` });
    expect(codeOf(() => verifyRecord(forged, context))).toBe(ErrorCode.NAME_NOT_OWNED);
    expect(codeOf(() => signRecord(mallory, fields({ name: `${alice.peerId}.files` }), limits))).toBe(ErrorCode.NAME_NOT_OWNED);
    expect(verifyRecord(signRecord(alice, fields({ name: `${alice.peerId}.files` }), limits), context).publisher).toBe(alice.peerId);
  });

  it('rejects expired records, other clouds, over-long lifetimes and oversized payloads', () => {
    const record = signRecord(alice, fields(), limits);
    expect(codeOf(() => verifyRecord(record, { ...context, now: record.expiresAt }))).toBe(ErrorCode.RECORD_EXPIRED);
    expect(codeOf(() => verifyRecord(record, { ...context, cloud: 'other' }))).toBe(ErrorCode.WRONG_CLOUD);
    const forever = signRecord(alice, fields({ expiresAt: now + limits.maxTtlMs + limits.clockSkewMs + 1 }), limits);
    expect(codeOf(() => verifyRecord(forever, context))).toBe(ErrorCode.RECORD_INVALID);
    expect(signRecord(alice, fields({ payload: new Uint8Array(4096) }), limits).payload).toHaveLength(4096);
    expect(codeOf(() => signRecord(alice, fields({ payload: new Uint8Array(4097) }), limits))).toBe(ErrorCode.RECORD_INVALID);
    expect(codeOf(() => signRecord(alice, fields({ endpoint: { peerId: alice.peerId, addresses: Array.from({ length: 17 }, (_, i) => `x://${i}`) } }), limits))).toBe(ErrorCode.RECORD_INVALID);
    const oversized = { ...record, payload: new Uint8Array(4097) };
    expect(codeOf(() => verifyRecord(oversized, context))).toBe(ErrorCode.RECORD_INVALID);
  });

  it('still verifies after a trip through the wire codec, whatever binary type comes back', () => {
    const record = signRecord(alice, fields({ payload: new Uint8Array(300).fill(7) }), limits);
    const decoded = decodeRecord(unpack(pack(encodeRecord(record))), limits);
    expect(verifyRecord(decoded, context).key).toBe(verifyRecord(record, context).key);
    const asBuffers = decodeRecord(unpack(pack(encodeRecord({ ...record, payload: Buffer.from(record.payload), signature: Buffer.from(record.signature) }))), limits);
    expect(verifyRecord(asBuffers, context).publisher).toBe(alice.peerId);
  });
});

/** Signs like a publisher that skips the ownership check, as an attacker's own code would. */
function signRecordUnchecked(identity: PeerIdentity, f: PnrpRecordFields): PnrpRecord {
  const unowned = signRecord(identity, { ...f, name: '0.placeholder' }, limits);
  const body = { ...unowned, name: parsePeerName(f.name).text };
  return { ...body, signature: identity.sign(signedBytesOf(body)) };
}
