import { afterEach, describe, expect, it } from 'vitest';
import { FrameKind, PROTOCOL_VERSION, decodeFrame, encodeBody, encodeFrame } from '../../lib/codec/index.js';
import { ErrorCode, PeerIdentity, PeerNode, webSocketTransport } from '../../lib/index.js';
import type { Link, Transport } from '../../lib/transport/transport.js';
import { Chat } from '../helpers/contracts.js';
import { waitFor } from '../helpers/wait.js';

const open: (PeerNode | Transport)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

/** A node on TLS WebSockets and a raw link into it that has passed the handshake. */
async function rawNeighbour(): Promise<{ node: PeerNode; link: Link; me: PeerIdentity }> {
  const node = await PeerNode.open('net.p2p://dedup', { transport: webSocketTransport({ host: '127.0.0.1' }), resolver: null });
  open.push(node);
  const me = PeerIdentity.generate();
  const raw = webSocketTransport({ host: '127.0.0.1' })({ identity: me });
  open.push(raw);
  await raw.listen();
  const link = await raw.dial(node.addresses[0] as string, { expectedPeerId: node.peerId });
  const welcomed = new Promise<number>((resolve, reject) => {
    link.setReceiver((f) => resolve(decodeFrame(f).kind));
    void link.closed.then((info) => reject(new Error(`refused: ${info.code} ${info.reason}`)));
  });
  link.send(encodeFrame({ kind: FrameKind.Hello, version: PROTOCOL_VERSION, peerId: me.peerId, mesh: 'dedup', addresses: [], ext: { security: 'transport' } }));
  expect(await welcomed).toBe(FrameKind.Welcome);
  link.setReceiver(() => undefined);
  return { node, link, me };
}

describe('dedup before decode, with the tracer every node has attached', () => {
  it('a copy under a seen id is counted a duplicate without its body being decoded', async () => {
    const { node, link, me } = await rawNeighbour();
    const got: unknown[] = [];
    node.calls$(Chat).subscribe((c) => got.push(c.args));
    const id = crypto.getRandomValues(new Uint8Array(16));
    const body = encodeBody({ type: 'call', id, origin: me.peerId, target: null, contract: 'chat', operation: 'say', args: ['raw', 'once'], wantsReply: false });
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id, body, sig: null }));
    await waitFor(() => got.length === 1, 'the first copy');
    // The same id over a body that is not msgpack at all: decoding it would count PC_ERR_FRAME_SHAPE.
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id, body: new Uint8Array([0xc1, 0xc1, 0xc1]), sig: null }));
    await waitFor(() => node.stats().duplicates === 1, 'the duplicate');
    expect(node.stats().dropped[ErrorCode.FRAME_SHAPE]).toBeUndefined();
    expect(got).toHaveLength(1);
    expect(node.neighbors.map((n) => n.peerId)).toEqual([me.peerId]);
  });

  it('a copy under the id of a traced message is decoded, so that the trace can report it', async () => {
    const { node, link, me } = await rawNeighbour();
    const got: unknown[] = [];
    node.calls$(Chat).subscribe((c) => got.push(c.args));
    const id = crypto.getRandomValues(new Uint8Array(16));
    const body = encodeBody({ type: 'call', id, origin: me.peerId, target: null, contract: 'chat', operation: 'say', args: ['raw', 'traced'], wantsReply: false, trace: true });
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id, body, sig: null }));
    await waitFor(() => got.length === 1, 'the first copy');
    link.send(encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, id, body: new Uint8Array([0xc1, 0xc1, 0xc1]), sig: null }));
    await waitFor(() => node.stats().duplicates === 1, 'the duplicate');
    // Its body was read (and found not to decode): counted, never taken.
    expect(node.stats().dropped[ErrorCode.FRAME_SHAPE]).toBe(1);
    expect(got).toHaveLength(1);
  });
});
