import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { firstValueFrom, take, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ErrorCode, PeerChannelError } from '../../lib/errors/index.js';
import { certificateFor } from '../../lib/identity/certificate.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { webSocketTransport, type WebSocketTransportOptions } from '../../lib/transport/ws/index.js';
import type { Link } from '../../lib/transport/transport.js';
import { transportCompliance } from '../compliance/transport-compliance.js';
import { useWsFixture } from '../helpers/ws-fixture.js';

async function deadPort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

transportCompliance('ws', {
  factory: () => webSocketTransport(),
  deadAddress: async () => `wss://127.0.0.1:${await deadPort()}`,
});

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))),
  ]);
}

function nextFrame(link: Link): Promise<Uint8Array> {
  return within(new Promise((resolve) => link.setReceiver(resolve)), 5000, 'frame');
}

const hasIpv6Loopback = await new Promise<boolean>((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});

describe('ws transport', () => {
  const { cleanup, transport } = useWsFixture();

  async function linked(options: WebSocketTransportOptions = {}) {
    const ida = PeerIdentity.generate();
    const idb = PeerIdentity.generate();
    const a = transport(options, ida);
    const b = transport(options, idb);
    const [addr] = await b.listen();
    const accepted = firstValueFrom(b.inbound$.pipe(take(1), timeout(5000)));
    const ab = await a.dial(addr as string, { expectedPeerId: idb.peerId });
    return { a, b, ida, idb, ab, ba: await accepted, addr: addr as string };
  }

  it('authenticates both ends by certificate', async () => {
    const { ab, ba, ida, idb, addr } = await linked();
    expect(addr).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(ab.remotePeerId).toBe(idb.peerId);
    expect(ba.remotePeerId).toBe(ida.peerId);
    expect(ba.remoteAddress).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
  });

  it.skipIf(!hasIpv6Loopback)('listens and links on IPv6 (::1)', async () => {
    const { ab, ba, addr } = await linked({ host: '::1' });
    expect(addr).toMatch(/^wss:\/\/\[::1\]:\d+$/);
    expect(ba.remoteAddress).toMatch(/^wss:\/\/\[::1\]:\d+$/);
    const got = nextFrame(ba);
    ab.send(new Uint8Array([6, 6]));
    expect([...(await got)]).toEqual([6, 6]);
  });

  it('exports equal keying material on both ends, different per connection and label', async () => {
    const one = await linked();
    const two = await linked();
    const k1 = one.ab.exportKeyingMaterial?.(32, 'EXPORTER-peerchannel-test');
    expect(k1?.byteLength).toBe(32);
    expect(Buffer.from(one.ba.exportKeyingMaterial?.(32, 'EXPORTER-peerchannel-test') ?? [])).toEqual(Buffer.from(k1 ?? []));
    expect(Buffer.from(one.ab.exportKeyingMaterial?.(32, 'EXPORTER-other') ?? [])).not.toEqual(Buffer.from(k1 ?? []));
    expect(Buffer.from(two.ab.exportKeyingMaterial?.(32, 'EXPORTER-peerchannel-test') ?? [])).not.toEqual(Buffer.from(k1 ?? []));
    expect(() => one.ab.exportKeyingMaterial?.(0, 'x')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    one.ab.close('PC_OK', 'done');
    expect(() => one.ab.exportKeyingMaterial?.(32, 'x')).toThrow(expect.objectContaining({ code: ErrorCode.LINK_CLOSED }));
  });

  it('checks the pin before the upgrade request is sent', async () => {
    const server = PeerIdentity.generate();
    const { certPem, keyPem } = await certificateFor(server);
    const received: Buffer[] = [];
    const raw = tls.createServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false });
    const accepted: tls.TLSSocket[] = [];
    const tcp: import('node:net').Socket[] = [];
    raw.on('connection', (socket: import('node:net').Socket) => tcp.push(socket));
    raw.on('tlsClientError', () => undefined); // a client that hangs up mid-handshake is fine here
    raw.on('secureConnection', (socket) => {
      accepted.push(socket);
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', () => undefined); // the client resets; only the bytes matter here
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => raw.close(resolve)));
    const address = `wss://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    const a = transport();

    const wrong = a.dial(address, { expectedPeerId: PeerIdentity.generate().peerId });
    await expect(wrong).rejects.toMatchObject({ code: ErrorCode.PEER_ID_MISMATCH });
    const first = tcp[0] as import('node:net').Socket;
    if (!first.destroyed) await within(once(first, 'close'), 5000, 'server socket close');
    expect(Buffer.concat(received).byteLength).toBe(0);

    // Control: with the right pin the same server does receive the upgrade request.
    const right = a.dial(address, { expectedPeerId: server.peerId });
    const second = accepted.at(-1) !== undefined && accepted.length > 1 ? (accepted.at(-1) as tls.TLSSocket) : ((await within(once(raw, 'secureConnection'), 5000, 'second connection'))[0] as tls.TLSSocket);
    if (received.length === 0) await within(once(second, 'data'), 5000, 'upgrade request');
    expect(Buffer.concat(received).toString('latin1')).toMatch(/^GET \/ HTTP\/1\.1\r\n[\s\S]*upgrade: websocket/i);
    second.destroy();
    await expect(right).rejects.toMatchObject({ code: ErrorCode.DIAL_FAILED });
  });

  it('refuses a client without a certificate before the upgrade', async () => {
    const b = transport();
    const [addr] = await b.listen();
    let links = 0;
    const sub = b.inbound$.subscribe(() => (links += 1));
    cleanup.push(() => sub.unsubscribe());
    const ws = new WebSocket(addr as string, { rejectUnauthorized: false });
    cleanup.push(() => ws.terminate());
    ws.on('error', () => undefined); // the refusal below is what is checked
    const [, res] = (await within(once(ws, 'unexpected-response'), 5000, 'refusal')) as [unknown, { statusCode: number; headers: Record<string, string> }];
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-peerchannel-error']).toBe(ErrorCode.AUTH_FAILED);
    expect(b.stats.refusedNoCertificate).toBe(1);
    expect(links).toBe(0);
  });

  it('bounds the dial handshake and honours an abort during it', async () => {
    const silent = createServer((socket) => socket.on('error', () => undefined));
    const held: import('node:net').Socket[] = [];
    silent.on('connection', (s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => { held.forEach((s) => s.destroy()); silent.close(resolve); }));
    const address = `wss://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const a = transport({ handshakeTimeoutMs: 200 });
    await expect(a.dial(address)).rejects.toMatchObject({ code: ErrorCode.DIAL_FAILED, message: expect.stringContaining('within 200 ms') });
    const controller = new AbortController();
    silent.once('connection', () => controller.abort());
    await expect(a.dial(address, { signal: controller.signal })).rejects.toMatchObject({ code: ErrorCode.ABORTED });
  });

  it('rejects a pending dial with PC_ERR_CLOSED when the transport closes', async () => {
    const silent = createServer((socket) => socket.on('error', () => undefined));
    const held: import('node:net').Socket[] = [];
    silent.on('connection', (s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => { held.forEach((s) => s.destroy()); silent.close(resolve); }));
    const a = transport();
    const dial = a.dial(`wss://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    await once(silent, 'connection');
    await a.close();
    await expect(dial).rejects.toMatchObject({ code: ErrorCode.CLOSED });
    await expect(a.dial('wss://127.0.0.1:1')).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('refuses malformed addresses and busy ports with coded errors', async () => {
    const a = transport();
    for (const bad of ['ws://127.0.0.1:1', 'wss://127.0.0.1', 'wss://127.0.0.1:1/path', 'nonsense']) {
      await expect(a.dial(bad)).rejects.toMatchObject({ code: ErrorCode.DIAL_FAILED });
    }
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => blocker.close(resolve)));
    const busy = transport({ port: (blocker.address() as AddressInfo).port });
    await expect(busy.listen()).rejects.toMatchObject({ code: ErrorCode.LISTEN_FAILED });
    expect(busy.addresses).toEqual([]);
  });

  it('validates its options', () => {
    for (const bad of [{ maxFrameBytes: 0 }, { maxBatchBytes: 1000, maxFrameBytes: 1000 }, { port: 70_000 }, { keepaliveMs: -1 }, { handshakeTimeoutMs: 1.5 }]) {
      expect(() => webSocketTransport(bad)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    }
  });

  it('refuses to send a frame over maxFrameBytes and keeps the link', async () => {
    const { ab, ba } = await linked({ maxFrameBytes: 1024, maxBatchBytes: 4096 });
    expect(() => ab.send(new Uint8Array(1025))).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
    expect(() => ab.send('nope' as unknown as Uint8Array)).toThrow(PeerChannelError);
    const got = nextFrame(ba);
    ab.send(new Uint8Array(1024).fill(3));
    expect((await got).byteLength).toBe(1024);
  });

  it('carries a burst as few messages and keeps order across batch boundaries', async () => {
    const { ab, ba } = await linked({ maxFrameBytes: 1024, maxBatchBytes: 2048 });
    const n = 3000;
    const got: number[] = [];
    const done = within(new Promise<void>((resolve) => ba.setReceiver((f) => {
      got.push(Buffer.from(f).readUInt32BE(0));
      if (got.length === n) resolve();
    })), 10_000, 'burst');
    for (let i = 0; i < n; i++) {
      const f = Buffer.alloc(4 + (i % 300));
      f.writeUInt32BE(i, 0);
      ab.send(f);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
