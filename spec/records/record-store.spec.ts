import { afterEach, describe, expect, it } from 'vitest';
import { pack, unpack } from '../../lib/codec/index.js';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { RecordDataKind, type RecordFields } from '../../lib/records/record.js';
import { decodeRecord, newRecordId, sealRecord, signRecord } from '../../lib/records/record-codec.js';
import { defaultRecordLimits } from '../../lib/records/record-limits.js';
import type { RecordStore } from '../../lib/records/record-store.js';
import { openStore } from './helpers/store-fixture.js';

const open: RecordStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function pair(admins: string[] = []) {
  const a = await openStore({ admins });
  const b = await openStore({ admins, clock: a.clock });
  open.push(a.store, b.store);
  return { a, b };
}

const bytes = (s: string) => new TextEncoder().encode(s);

/** Fields of a record by `creator`, for hand-made (possibly hostile) versions. */
function fieldsBy(creator: PeerIdentity, now: number, patch: Partial<RecordFields> = {}): RecordFields {
  const { id, nonce } = newRecordId(creator.publicKeySpki);
  return { type: 't', id, nonce, version: 1, creatorKey: creator.publicKeySpki, signerKey: null, created: now, modified: now, expires: now + 60_000, deleted: false, attributes: {}, dataKind: RecordDataKind.Bytes, data: bytes('x'), ...patch };
}

describe('record store: signatures and encoding', () => {
  it('a record from a peer verifies and is stored once; its hash is the SHA-256 of its encoding', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', { data: bytes('hi') });
    expect(await b.store.receive(r.encoded, 'peer')).toBe('stored');
    expect(await b.store.receive(r.encoded, 'peer')).toBe('stale');
    expect(b.store.stats.duplicates).toBe(1);
    expect(b.index.has(r.hash)).toBe(true);
    expect(b.store.getByIdHex(r.idHex)?.creator).toBe(a.identity.peerId);
  });

  it('an altered record (one data byte flipped) fails its signature and is not stored', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', { data: bytes('hello') });
    const body = decodeOuter(r.encoded)[0];
    const i = Buffer.from(body).indexOf(Buffer.from('hello'));
    const altered = body.slice();
    altered[i] = (altered[i] as number) ^ 1;
    const forged = pack([Buffer.from(altered), Buffer.from(decodeOuter(r.encoded)[1])]);
    expect(await b.store.receive(forged, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_SIGNATURE]).toBe(1);
    expect(b.store.size).toBe(0);
  });

  it('a record signed by someone else in the creator\'s name is refused (signature)', async () => {
    const { a, b } = await pair();
    const mallory = PeerIdentity.generate();
    const f = fieldsBy(a.identity, a.clock.t);
    const forged = sealRecord(f, mallory); // signs with mallory's key, claims a as creator
    expect(await b.store.receive(forged, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_SIGNATURE]).toBe(1);
  });

  it('an id not bound to its creator key is refused', async () => {
    const { a, b } = await pair();
    const victim = await a.store.add('note', {});
    const mallory = PeerIdentity.generate();
    const squat = sealRecord(fieldsBy(mallory, a.clock.t, { id: victim.id, version: 9, created: a.clock.t - 10, modified: a.clock.t }), mallory);
    expect(await b.store.receive(squat, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_SIGNATURE]).toBe(1);
  });

  it('a non-canonical encoding of a valid record (same body, re-wrapped) is refused, so one version has one hash', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', {});
    const [body, sig] = decodeOuter(r.encoded);
    const padded = new Uint8Array([0x92, 0xc6, 0, 0, (body.length >> 8) & 0xff, body.length & 0xff, ...body, 0xc4, sig.length, ...sig]);
    expect(decodeOuter(padded)[0]).toEqual(body);
    expect(await b.store.receive(padded, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_SHAPE]).toBe(1);
  });

  it('garbage and structured-clone payloads are refused with a shape code, never thrown', async () => {
    const { b } = await pair();
    expect(await b.store.receive(Uint8Array.of(0xc1), 'peer')).toBe('rejected');
    expect(await b.store.receive(pack({ a: 1 }), 'peer')).toBe('rejected');
    expect(await b.store.receive(Uint8Array.of(0xd6, 0x69, 0, 0, 0, 1), 'peer')).toBe('rejected'); // a structured-clone reference
    expect(b.store.stats.rejected[ErrorCode.RECORD_SHAPE]).toBe(3);
  });
});

describe('record store: size bounds', () => {
  it('refuses to sign a record over the maximum, with PC_ERR_RECORD_TOO_LARGE', async () => {
    const { a } = await pair();
    await expect(a.store.add('note', { data: new Uint8Array(61_440) })).rejects.toMatchObject({ code: ErrorCode.RECORD_TOO_LARGE });
    const r = await a.store.add('note', { data: new Uint8Array(60_000) });
    expect(r.encoded.length).toBeLessThanOrEqual(61_440);
  });

  it('a receiver with a smaller bound refuses a bigger record with PC_ERR_RECORD_TOO_LARGE', async () => {
    const a = await openStore();
    const b = await openStore({ limits: { maxRecordBytes: 1_024 } });
    open.push(a.store, b.store);
    const r = await a.store.add('note', { data: new Uint8Array(2_000) });
    expect(await b.store.receive(r.encoded, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_TOO_LARGE]).toBe(1);
  });

  it('bounds attributes: count, name and value length, types', async () => {
    const { a } = await pair();
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
    await expect(a.store.add('note', { attributes: many })).rejects.toMatchObject({ code: ErrorCode.RECORD_SHAPE });
    await expect(a.store.add('note', { attributes: { k: 'x'.repeat(257) } })).rejects.toMatchObject({ code: ErrorCode.RECORD_SHAPE });
    await expect(a.store.add('note', { attributes: { k: { nested: 1 } as unknown as string } })).rejects.toMatchObject({ code: ErrorCode.RECORD_SHAPE });
    await expect(a.store.add('bad type!', {})).rejects.toMatchObject({ code: ErrorCode.RECORD_SHAPE });
  });

  it('bounds the nesting of msgpack data', async () => {
    const { a, b } = await pair();
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    await expect(a.store.add('note', { dataKind: RecordDataKind.Msgpack, data: pack(deep) })).rejects.toMatchObject({ code: ErrorCode.RECORD_SHAPE });
    const ok = await a.store.add('note', { dataKind: RecordDataKind.Msgpack, data: pack({ x: [1, 2, 3] }) });
    expect(await b.store.receive(ok.encoded, 'peer')).toBe('stored');
  });
});

describe('record store: authority', () => {
  it('only the creator may update: locally it throws, from a peer it is refused as forbidden', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', { data: bytes('v1') });
    await b.store.receive(r.encoded, 'peer');
    await expect(b.store.update(r.idHex, { data: bytes('mine now') })).rejects.toMatchObject({ code: ErrorCode.RECORD_FORBIDDEN });
    // A hand-made update signed by b, carrying b as signer: refused by a.
    const hijack = signRecord({ ...r, version: 2, modified: r.modified + 1, signerKey: b.identity.publicKeySpki, data: bytes('hijack') }, b.identity, defaultRecordLimits);
    expect(await a.store.receive(hijack.encoded, 'peer')).toBe('rejected');
    expect(a.store.stats.rejected[ErrorCode.RECORD_FORBIDDEN]).toBe(1);
    expect(a.store.getByIdHex(r.idHex)?.version).toBe(1);
  });

  it('the creator updates: version + 1, and peers take the new version', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', { data: bytes('v1') });
    await b.store.receive(r.encoded, 'peer');
    a.clock.t += 5;
    const u = await a.store.update(r.idHex, { data: bytes('v2') });
    expect(u.version).toBe(2);
    expect(await b.store.receive(u.encoded, 'peer')).toBe('stored');
    expect(b.index.has(r.hash)).toBe(false);
    expect(b.index.has(u.hash)).toBe(true);
  });

  it('a non-admin who is not the creator may not delete; an admin may, and every receiver with that admin accepts it', async () => {
    const admin = PeerIdentity.generate();
    const a = await openStore({ admins: [admin.peerId] });
    const b = await openStore({ admins: [admin.peerId], clock: a.clock });
    const c = await openStore({ identity: admin, admins: [admin.peerId], clock: a.clock });
    const outsider = await openStore({ clock: a.clock }); // knows no admin
    open.push(a.store, b.store, c.store, outsider.store);
    const r = await a.store.add('note', {});
    for (const s of [b, c, outsider]) await s.store.receive(r.encoded, 'peer');
    await expect(b.store.delete(r.idHex)).rejects.toMatchObject({ code: ErrorCode.RECORD_FORBIDDEN });
    a.clock.t += 1;
    const tomb = await c.store.delete(r.idHex);
    expect(tomb.lastModifier).toBe(admin.peerId);
    expect(tomb.creator).toBe(a.identity.peerId);
    expect(await b.store.receive(tomb.encoded, 'peer')).toBe('stored');
    expect(await a.store.receive(tomb.encoded, 'peer')).toBe('stored');
    expect(await outsider.store.receive(tomb.encoded, 'peer')).toBe('rejected');
    expect(outsider.store.stats.rejected[ErrorCode.RECORD_FORBIDDEN]).toBe(1);
  });

  it('a tombstone signed by a non-admin stranger is refused', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', {});
    await b.store.receive(r.encoded, 'peer');
    const tomb = signRecord({ ...r, version: 2, modified: r.modified + 1, deleted: true, data: new Uint8Array(0), signerKey: b.identity.publicKeySpki }, b.identity, defaultRecordLimits);
    expect(await a.store.receive(tomb.encoded, 'peer')).toBe('rejected');
    expect(a.store.getByIdHex(r.idHex)?.deleted).toBe(false);
  });
});

describe('record store: conflicts, tombstones and expiry', () => {
  it('copies applied in any order end on the same winner, and the loser\'s sender can be answered with it', async () => {
    const { a, b } = await pair();
    const r1 = await a.store.add('note', { data: bytes('1') });
    a.clock.t += 1;
    const r2 = await a.store.update(r1.idHex, { data: bytes('2') });
    a.clock.t += 1;
    const r3 = await a.store.update(r1.idHex, { data: bytes('3') });
    for (const e of [r3, r1, r2]) b.store.receiveNow(e.encoded, 'peer');
    expect(b.store.getByIdHex(r1.idHex)?.version).toBe(3);
    const stale = b.store.receiveNow(r2.encoded, 'peer');
    expect(stale.outcome).toBe('stale');
    expect(stale.newer?.version).toBe(3);
  });

  it('a delete is a tombstone that keeps the expiry, and a stale copy never brings the record back', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', { data: bytes('x'), ttlMs: 10_000 });
    await b.store.receive(r.encoded, 'peer');
    a.clock.t += 1;
    const tomb = await a.store.delete(r.idHex);
    expect(tomb.deleted).toBe(true);
    expect(tomb.expires).toBe(r.expires);
    expect(tomb.data.length).toBe(0);
    expect(await b.store.receive(tomb.encoded, 'peer')).toBe('stored');
    expect(await b.store.receive(r.encoded, 'peer')).toBe('stale');
    expect(b.store.getByIdHex(r.idHex)?.deleted).toBe(true);
    await expect(a.store.update(r.idHex, { data: bytes('again') })).rejects.toMatchObject({ code: ErrorCode.RECORD_NOT_FOUND });
    // A store that got the tombstone first also keeps it over the older copy.
    const c = await openStore({ clock: a.clock });
    open.push(c.store);
    expect(await c.store.receive(tomb.encoded, 'peer')).toBe('stored');
    expect(await c.store.receive(r.encoded, 'peer')).toBe('stale');
  });

  it('even the creator cannot revive a deleted record with a higher version', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', {});
    a.clock.t += 1;
    const tomb = await a.store.delete(r.idHex);
    await b.store.receive(tomb.encoded, 'peer');
    const revived = signRecord({ ...r, version: 3, modified: r.modified + 5 }, a.identity, defaultRecordLimits);
    expect(await b.store.receive(revived.encoded, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_FORBIDDEN]).toBe(1);
  });

  it('expiry only grows: a shorter update throws locally and is refused from a peer', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', { ttlMs: 100_000 });
    await b.store.receive(r.encoded, 'peer');
    a.clock.t += 1;
    await expect(a.store.update(r.idHex, { ttlMs: 10 })).rejects.toMatchObject({ code: ErrorCode.RECORD_EXPIRY_SHRINKS });
    const longer = await a.store.update(r.idHex, { ttlMs: 200_000 });
    expect(longer.expires).toBeGreaterThan(r.expires);
    const shrunk = signRecord({ ...r, version: 2, modified: r.modified + 1, expires: r.expires - 50_000 }, a.identity, defaultRecordLimits);
    expect(await b.store.receive(shrunk.encoded, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_EXPIRY_SHRINKS]).toBe(1);
    const kept = await a.store.update(longer.idHex, { data: bytes('no ttl given') });
    expect(kept.expires).toBe(longer.expires);
  });

  it('expired records and tombstones are removed, reported expired, and an expired copy is refused afterwards', async () => {
    const { a, b } = await pair();
    const live = await a.store.add('note', { ttlMs: 1_000 });
    const gone = await a.store.add('note', { ttlMs: 1_000 });
    a.clock.t += 1;
    const tomb = await a.store.delete(gone.idHex);
    for (const e of [live, tomb]) await b.store.receive(e.encoded, 'peer');
    const seen: string[] = [];
    b.store.changes$.subscribe((c) => seen.push(`${c.kind}:${c.record.deleted ? 'tomb' : 'live'}`));
    a.clock.t += 998;
    expect(b.store.sweep()).toBe(0);
    a.clock.t += 1;
    expect(b.store.sweep()).toBe(2);
    expect(seen.sort()).toEqual(['expired:live', 'expired:tomb']);
    expect(b.store.size).toBe(0);
    expect(b.index.size).toBe(0);
    expect(b.store.stats.expired).toBe(2);
    expect(await b.store.receive(gone.encoded, 'peer')).toBe('rejected');
    expect(b.store.stats.rejected[ErrorCode.RECORD_EXPIRED]).toBe(1);
    expect(b.store.wants({ ...abstract(gone) })).toBe(false);
  });

  it('quota: a creator cannot hold more than maxRecordsPerCreator records in a store', async () => {
    const a = await openStore();
    const b = await openStore({ clock: a.clock, limits: { maxRecordsPerCreator: 3 } });
    open.push(a.store, b.store);
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await b.store.receive((await a.store.add('note', {})).encoded, 'peer'));
    expect(outcomes).toEqual(['stored', 'stored', 'stored', 'rejected', 'rejected']);
    expect(b.store.stats.rejected[ErrorCode.RECORD_QUOTA]).toBe(2);
  });

  it('wants() asks for unknown live records and for winners only; abstracts carry the conflict fields', async () => {
    const { a, b } = await pair();
    const r = await a.store.add('note', {});
    expect(b.store.wants(abstract(r))).toBe(true);
    await b.store.receive(r.encoded, 'peer');
    expect(b.store.wants(abstract(r))).toBe(false);
    a.clock.t += 1;
    const u = await a.store.update(r.idHex, { data: bytes('2') });
    expect(b.store.wants(abstract(u))).toBe(true);
    expect(b.store.abstractOf(r.hash)).toMatchObject({ version: 1, lastModifier: a.identity.peerId, deleted: false });
    expect(await b.store.load(r.hash)).toEqual(r.encoded);
    expect(await b.store.load(u.hash)).toBeUndefined();
  });
});

function abstract(r: ReturnType<typeof decodeRecord>) {
  return { hash: r.hash, recordId: r.id, version: r.version, created: r.created, modified: r.modified, expires: r.expires, lastModifier: r.lastModifier, deleted: r.deleted, signature: r.signature };
}

function decodeOuter(encoded: Uint8Array): [Uint8Array, Uint8Array] {
  const [body, sig] = unpack(encoded) as [Uint8Array, Uint8Array];
  return [new Uint8Array(body), new Uint8Array(sig)];
}
