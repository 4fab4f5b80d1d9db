import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { MAX_MESSAGE_SIGNATURE_BYTES, MessageVerifier, signMessage, verifyMessage } from '../../lib/security/message-signing.js';

const alice = PeerIdentity.generate();
const mallory = PeerIdentity.generate();
const body = new TextEncoder().encode('{"op":"say","args":["hello all"]}');

describe('message signing', () => {
  it('verifies a genuine signature, within the size bound', () => {
    const sig = signMessage(alice, body);
    expect(sig.length).toBe(3 + 44 + 64);
    expect(sig.length).toBeLessThanOrEqual(MAX_MESSAGE_SIGNATURE_BYTES);
    expect(verifyMessage(alice.peerId, body, sig)).toBe(true);
    expect(new MessageVerifier().verify(alice.peerId, body, sig)).toBe(true);
  });

  it('rejects a forgery by another key claiming the origin', () => {
    // Mallory signs with her own key but claims Alice sent it.
    expect(verifyMessage(alice.peerId, body, signMessage(mallory, body))).toBe(false);
    // Mallory carries Alice's key but can only sign with her own.
    const own = signMessage(mallory, body);
    const aliceHeader = signMessage(alice, body).subarray(0, 3 + 44);
    const spliced = new Uint8Array([...aliceHeader, ...own.subarray(3 + 44)]);
    expect(verifyMessage(alice.peerId, body, spliced)).toBe(false);
  });

  it('rejects an altered body and a flipped signature bit', () => {
    const sig = signMessage(alice, body);
    const altered = Uint8Array.from(body);
    altered[5] = (altered[5] as number) ^ 1;
    expect(verifyMessage(alice.peerId, altered, sig)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0x80;
    expect(verifyMessage(alice.peerId, body, flipped)).toBe(false);
  });

  it('rejects an origin that is not the signer', () => {
    const sig = signMessage(alice, body);
    expect(verifyMessage(mallory.peerId, body, sig)).toBe(false);
    expect(verifyMessage('', body, sig)).toBe(false);
  });

  it('rejects malformed blobs without throwing', () => {
    const sig = signMessage(alice, body);
    const verifier = new MessageVerifier();
    expect(verifier.verify(alice.peerId, body, new Uint8Array(0))).toBe(false);
    expect(verifier.verify(alice.peerId, body, sig.subarray(0, 40))).toBe(false);
    expect(verifier.verify(alice.peerId, body, sig.subarray(0, 3 + 44))).toBe(false);
    const badFormat = Uint8Array.from(sig);
    badFormat[0] = 2;
    expect(verifier.verify(alice.peerId, body, badFormat)).toBe(false);
    const badLength = Uint8Array.from(sig);
    badLength[1] = 0xff;
    expect(verifier.verify(alice.peerId, body, badLength)).toBe(false);
    expect(verifier.verify(alice.peerId, body, new Uint8Array(MAX_MESSAGE_SIGNATURE_BYTES + 1))).toBe(false);
    expect(verifier.verify(alice.peerId, body, sig)).toBe(true);
  });

  it('keeps rejecting forgeries once the sender\'s key is cached', () => {
    const verifier = new MessageVerifier();
    expect(verifier.verify(alice.peerId, body, signMessage(alice, body))).toBe(true);
    expect(verifier.cachedKeys).toBe(1);
    const own = signMessage(mallory, body);
    const spliced = new Uint8Array([...signMessage(alice, body).subarray(0, 47), ...own.subarray(47)]);
    expect(verifier.verify(alice.peerId, body, spliced)).toBe(false);
    expect(verifier.verify(alice.peerId, body, own)).toBe(false);
    expect(verifier.verify(alice.peerId, new Uint8Array([1]), signMessage(alice, body))).toBe(false);
    expect(verifier.verify(alice.peerId, body, signMessage(alice, body))).toBe(true);
  });

  it('bounds the key cache, dropping the least recently used sender', () => {
    const verifier = new MessageVerifier({ maxCachedKeys: 2 });
    const ids = [PeerIdentity.generate(), PeerIdentity.generate(), PeerIdentity.generate()];
    for (const id of ids) expect(verifier.verify(id.peerId, body, signMessage(id, body))).toBe(true);
    expect(verifier.cachedKeys).toBe(2);
    // Evicted senders still verify (their key is parsed again).
    expect(verifier.verify(ids[0]!.peerId, body, signMessage(ids[0]!, body))).toBe(true);
    expect(verifier.cachedKeys).toBe(2);
    expect(() => new MessageVerifier({ maxCachedKeys: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });

  it('signs and verifies with a P-256 identity', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ec = new PeerIdentity(privateKey, publicKey);
    const sig = signMessage(ec, body);
    expect(sig.length).toBeLessThanOrEqual(MAX_MESSAGE_SIGNATURE_BYTES);
    expect(verifyMessage(ec.peerId, body, sig)).toBe(true);
    expect(verifyMessage(ec.peerId, new Uint8Array(0), sig)).toBe(false);
  });
});

describe('message signing, large and repeated bodies', () => {
  it('verifies bodies past the verifier scratch buffer, and one after another without mixing them up', () => {
    const verifier = new MessageVerifier();
    const big = new Uint8Array(40_000).fill(7);
    const small = new TextEncoder().encode('small');
    const bigSig = signMessage(alice, big);
    const smallSig = signMessage(alice, small);
    expect(verifier.verify(alice.peerId, big, bigSig)).toBe(true);
    expect(verifier.verify(alice.peerId, small, smallSig)).toBe(true);
    // The scratch buffer still holds the previous body's tail: a shorter body must not verify against it.
    expect(verifier.verify(alice.peerId, small, bigSig)).toBe(false);
    expect(verifier.verify(alice.peerId, big.subarray(0, 100), bigSig)).toBe(false);
    expect(verifier.verify(alice.peerId, small, smallSig)).toBe(true);
  });
});
