import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, take, timeout } from 'rxjs';
import { FrameKind, PROTOCOL_VERSION, decodeFrame, encodeBody, encodeFrame } from '../../lib/codec/index.js';
import { ErrorCode, type PeerChannelError, PeerIdentity, PeerNode, type PeerNodeOptions, issueMembershipCertificate, webSocketTransport } from '../../lib/index.js';
import { signMessage } from '../../lib/entries/security.js';
import type { Transport } from '../../lib/transport/transport.js';
import { Chat } from '../helpers/contracts.js';
import { waitFor } from '../helpers/wait.js';

const open: (PeerNode | Transport)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function node(options: PeerNodeOptions = {}): Promise<PeerNode> {
  const n = await PeerNode.open('net.p2p://secure', { transport: webSocketTransport({ host: '127.0.0.1' }), resolver: null, ...options });
  open.push(n);
  return n;
}

/** The first error with `code` on a node's errors$. */
function nextError(n: PeerNode, code: string): Promise<PeerChannelError> {
  return firstValueFrom(n.errors$.pipe(filter((e) => e.code === code), take(1), timeout(10_000)));
}

function deliveries(n: PeerNode): unknown[] {
  const got: unknown[] = [];
  n.calls$(Chat).subscribe((c) => got.push(c.args));
  return got;
}

describe('secured meshes over TLS WebSockets: rejections are coded on both sides, nothing is delivered', () => {
  it('a wrong password', async () => {
    const a = await node({ password: 'correct horse' });
    const b = await node({ password: 'battery staple' });
    const gotA = deliveries(a);
    const refusedAtA = nextError(a, ErrorCode.AUTH_FAILED);
    await expect(b.connect(a.addresses[0] as string, a.peerId)).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
    expect((await refusedAtA).code).toBe(ErrorCode.AUTH_FAILED);
    await b.proxy(Chat).say('b', 'let me in');
    expect(a.status).toBe('offline');
    expect(gotA).toHaveLength(0);
  });

  it.each([
    ['a password against none', { password: 'p' }, {}],
    ['no password against a password', {}, { password: 'p' }],
  ] as const)('%s: refused with PC_ERR_AUTH_FAILED on both sides', async (_name, dialer, acceptor) => {
    const a = await node(acceptor);
    const b = await node(dialer);
    const refusedAtA = nextError(a, ErrorCode.AUTH_FAILED);
    await expect(b.connect(a.addresses[0] as string, a.peerId)).rejects.toMatchObject({ code: ErrorCode.AUTH_FAILED });
    expect((await refusedAtA).code).toBe(ErrorCode.AUTH_FAILED);
  });

  it('the right password admits, and calls flow', async () => {
    const a = await node({ password: 'correct horse' });
    const b = await node({ password: 'correct horse' });
    const gotA = deliveries(a);
    await b.connect(a.addresses[0] as string, a.peerId);
    await b.proxy(Chat).say('b', 'hello');
    await waitFor(() => gotA.length === 1, 'delivery');
    expect(gotA[0]).toEqual(['b', 'hello']);
  });

  it('an identity not on the trust list of a certificate mesh', async () => {
    const owner = PeerIdentity.generate();
    const a = await node({ certificate: { trustedPeerIds: [owner.peerId] } });
    const b = await node({ certificate: { trustedPeerIds: [owner.peerId] } });
    const refusedAtA = nextError(a, ErrorCode.UNTRUSTED_PEER);
    await expect(b.connect(a.addresses[0] as string, a.peerId)).rejects.toMatchObject({ code: ErrorCode.UNTRUSTED_PEER });
    expect((await refusedAtA).code).toBe(ErrorCode.UNTRUSTED_PEER);
  });

  it('members holding certificates issued by the mesh owner are admitted', async () => {
    const owner = PeerIdentity.generate();
    const ida = PeerIdentity.generate();
    const idb = PeerIdentity.generate();
    const cert = (id: PeerIdentity) => issueMembershipCertificate(owner, id.publicKeySpki, { validForMs: 60_000 });
    const a = await node({ identity: ida, certificate: { trustedOwnerKeys: [owner.publicKeySpki], certificate: await cert(ida) } });
    const b = await node({ identity: idb, certificate: { trustedOwnerKeys: [owner.publicKeySpki], certificate: await cert(idb) } });
    await b.connect(a.addresses[0] as string, a.peerId);
    await waitFor(() => a.status === 'online', 'A online with B');
    expect(a.stats().dropped[ErrorCode.UNTRUSTED_PEER]).toBeUndefined();
  });

  it('a certificate whose key does not match the claimed peer id', async () => {
    const owner = PeerIdentity.generate();
    const ida = PeerIdentity.generate();
    const idb = PeerIdentity.generate();
    const someoneElse = PeerIdentity.generate();
    const a = await node({ identity: ida, certificate: { trustedOwnerKeys: [owner.publicKeySpki], certificate: await issueMembershipCertificate(owner, ida.publicKeySpki, { validForMs: 60_000 }) } });
    // b presents a genuine certificate, but for someone else's key.
    const b = await node({ identity: idb, certificate: { trustedOwnerKeys: [owner.publicKeySpki], certificate: await issueMembershipCertificate(owner, someoneElse.publicKeySpki, { validForMs: 60_000 }) } });
    const refusedAtA = nextError(a, ErrorCode.PEER_ID_MISMATCH);
    await expect(b.connect(a.addresses[0] as string, a.peerId)).rejects.toMatchObject({ code: ErrorCode.PEER_ID_MISMATCH });
    expect((await refusedAtA).code).toBe(ErrorCode.PEER_ID_MISMATCH);
  });

  it('a TLS certificate whose key is not the expected peer id is refused before the upgrade', async () => {
    const a = await node();
    const b = await node();
    await expect(b.connect(a.addresses[0] as string, PeerIdentity.generate().peerId)).rejects.toMatchObject({ code: ErrorCode.PEER_ID_MISMATCH });
    expect(a.status).toBe('offline');
  });

  it('peers with different security modes refuse each other', async () => {
    const a = await node({ security: 'both' });
    const b = await node({ security: 'transport' });
    const refusedAtA = nextError(a, ErrorCode.SECURITY_MODE_MISMATCH);
    await expect(b.connect(a.addresses[0] as string, a.peerId)).rejects.toMatchObject({ code: ErrorCode.SECURITY_MODE_MISMATCH });
    expect((await refusedAtA).code).toBe(ErrorCode.SECURITY_MODE_MISMATCH);
  });
});

describe('message security: signed floods', () => {
  it.each([
    ['msgpack tuple frames', false],
    ['binary frames with the id in the header (dedup before decode)', true],
  ])('a forged signature is dropped and counted, and cannot suppress the genuine message (%s)', async (_layout, inHeader) => {
    const victim = PeerIdentity.generate();
    const a = await node({ security: 'message' });
    const gotA = deliveries(a);
    // A raw peer speaking the protocol by hand over a real TLS WebSocket.
    const rawId = PeerIdentity.generate();
    const raw = webSocketTransport({ host: '127.0.0.1' })({ identity: rawId });
    open.push(raw);
    await raw.listen();
    const link = await raw.dial(a.addresses[0] as string, { expectedPeerId: a.peerId });
    const welcomed = new Promise<number>((resolve) => link.setReceiver((f) => resolve(decodeFrame(f).kind)));
    link.send(encodeFrame({ kind: FrameKind.Hello, version: PROTOCOL_VERSION, peerId: rawId.peerId, mesh: 'secure', addresses: [], ext: { security: 'message' } }));
    expect(await welcomed).toBe(FrameKind.Welcome);
    link.setReceiver(() => undefined);

    const id = crypto.getRandomValues(new Uint8Array(16));
    const body = encodeBody({ type: 'call', id, origin: victim.peerId, target: null, contract: 'chat', operation: 'say', args: ['victim', 'genuine'], wantsReply: false });
    const forgedBody = encodeBody({ type: 'call', id, origin: victim.peerId, target: null, contract: 'chat', operation: 'say', args: ['victim', 'forged'], wantsReply: false });
    // Forged: claims the victim as origin, signed by the raw peer's key.
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id: inHeader ? id : undefined, body: forgedBody, sig: signMessage(rawId, forgedBody) }));
    // Altered: the victim's genuine signature over another body.
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id: inHeader ? id : undefined, body: forgedBody, sig: signMessage(victim, body) }));
    // Unsigned.
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id: inHeader ? id : undefined, body: forgedBody, sig: null }));
    await waitFor(() => a.stats().dropped[ErrorCode.BAD_SIGNATURE] === 3, 'three rejected copies');
    expect(gotA).toHaveLength(0);
    // The genuine message with the same id still gets through: forged copies never entered the seen set.
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id: inHeader ? id : undefined, body, sig: signMessage(victim, body) }));
    await waitFor(() => gotA.length === 1, 'the genuine message');
    expect(gotA[0]).toEqual(['victim', 'genuine']);
    // A second copy of a verified id is a duplicate, not re-verified or re-delivered.
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id: inHeader ? id : undefined, body, sig: signMessage(victim, body) }));
    await waitFor(() => a.stats().duplicates === 1, 'the duplicate');
    expect(gotA).toHaveLength(1);
  });

  it('a binary frame whose header id is not its body id closes the link: no copy can take another message\'s id', async () => {
    const a = await node({ security: 'message' });
    const gotA = deliveries(a);
    const rawId = PeerIdentity.generate();
    const raw = webSocketTransport({ host: '127.0.0.1' })({ identity: rawId });
    open.push(raw);
    await raw.listen();
    const link = await raw.dial(a.addresses[0] as string, { expectedPeerId: a.peerId });
    const welcomed = new Promise<number>((resolve) => link.setReceiver((f) => resolve(decodeFrame(f).kind)));
    link.send(encodeFrame({ kind: FrameKind.Hello, version: PROTOCOL_VERSION, peerId: rawId.peerId, mesh: 'secure', addresses: [], ext: { security: 'message' } }));
    expect(await welcomed).toBe(FrameKind.Welcome);
    link.setReceiver(() => undefined);
    const genuineId = crypto.getRandomValues(new Uint8Array(16));
    const ownId = crypto.getRandomValues(new Uint8Array(16));
    // The raw peer's own, validly signed message, framed under the id of someone else's message.
    const body = encodeBody({ type: 'call', id: ownId, origin: rawId.peerId, target: null, contract: 'chat', operation: 'say', args: ['raw', 'mine'], wantsReply: false });
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id: genuineId, body, sig: signMessage(rawId, body) }));
    expect((await link.closed).code).toBe(ErrorCode.FRAME_SHAPE);
    expect(gotA).toHaveLength(0);
  });

  it('signed floods travel a real three-node mesh', async () => {
    const [a, b, c] = [await node({ security: 'both' }), await node({ security: 'both' }), await node({ security: 'both' })];
    await b.connect(a.addresses[0] as string, a.peerId);
    await c.connect(b.addresses[0] as string, b.peerId);
    const gotC = deliveries(c);
    await a.proxy(Chat).say('a', 'signed');
    await waitFor(() => gotC.length === 1, 'C receives');
    expect(c.stats().dropped[ErrorCode.BAD_SIGNATURE]).toBeUndefined();
  });
});
