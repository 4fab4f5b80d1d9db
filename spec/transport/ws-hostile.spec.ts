import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { firstValueFrom, take, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { ErrorCode } from '../../lib/errors/index.js';
import { certificateFor } from '../../lib/identity/certificate.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { BATCH_TAG_V1, encodeBatch, type WebSocketTransport, type WebSocketTransportOptions } from '../../lib/transport/ws/index.js';
import type { Link, LinkCloseInfo } from '../../lib/transport/transport.js';
import { useWsFixture } from '../helpers/ws-fixture.js';

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))),
  ]);
}

const container = (...frames: Uint8Array[]) => encodeBatch(frames, 0, frames.length, 1 << 24).data;

describe('ws transport against hostile and broken peers', () => {
  const { cleanup, transport } = useWsFixture();

  /** A listening transport plus one healthy link into it from another transport. */
  async function server(options: WebSocketTransportOptions = {}) {
    const b = transport(options);
    const [addr] = await b.listen();
    const a = transport(options);
    const accepted = firstValueFrom(b.inbound$.pipe(take(1), timeout(5000)));
    const good = await a.dial(addr as string);
    return { b, addr: addr as string, good, goodInbound: await accepted };
  }

  /** Proves a link still carries frames both ways. */
  async function stillWorks(out: Link, back: Link): Promise<void> {
    const there = within(new Promise<Uint8Array>((resolve) => back.setReceiver(resolve)), 5000, 'frame there');
    out.send(new Uint8Array([1, 2, 3]));
    expect([...(await there)]).toEqual([1, 2, 3]);
    const home = within(new Promise<Uint8Array>((resolve) => out.setReceiver(resolve)), 5000, 'frame back');
    back.send(new Uint8Array([4]));
    expect([...(await home)]).toEqual([4]);
  }

  /** A plain ws client with a valid certificate: completes the upgrade, then misbehaves. */
  async function rawClient(b: WebSocketTransport, addr: string, options: ClientOptions = {}) {
    const identity = PeerIdentity.generate();
    const { certPem, keyPem } = await certificateFor(identity);
    const inbound = firstValueFrom(b.inbound$.pipe(take(1), timeout(5000)));
    const ws = new WebSocket(addr, { cert: certPem, key: keyPem, rejectUnauthorized: false, perMessageDeflate: false, ...options });
    ws.on('error', () => undefined); // errors are expected; the close code is what is checked
    cleanup.push(() => ws.terminate());
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await within(once(ws, 'open'), 5000, 'raw upgrade');
    const link = await inbound;
    expect(link.remotePeerId).toBe(identity.peerId);
    return { ws, link, closed };
  }

  it('drops a TCP client that sends nothing, and a TLS client that never upgrades, within the bound, counting each once for its cause', async () => {
    const { b, addr, good, goodInbound } = await server({ handshakeTimeoutMs: 250 });
    const port = Number(new URL(addr).port);
    const tcp = net.connect(port, '127.0.0.1');
    tcp.on('error', () => undefined); // reset by the server is the expected outcome
    cleanup.push(() => tcp.destroy());
    const tlsOnly = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, minVersion: 'TLSv1.3' });
    tlsOnly.on('error', () => undefined);
    cleanup.push(() => tlsOnly.destroy());
    await within(once(tlsOnly, 'secureConnect'), 5000, 'tls handshake');
    await within(Promise.all([once(tcp, 'close'), once(tlsOnly, 'close')]), 5000, 'server drops idle clients');
    // The teardown of a connection cut for a timeout raises TLS and HTTP errors: not counted again.
    expect(b.stats).toEqual({ tlsTimeouts: 1, handshakeTimeouts: 1, pendingEvicted: 0, tlsFailures: 0, httpErrors: 0, notUpgrades: 0, refusedNoCertificate: 0 });
    await stillWorks(good, goodInbound);
  });

  it('counts a client that sends plain text instead of TLS as one TLS failure, not also an HTTP error', async () => {
    const { b, addr } = await server();
    const plain = net.connect(Number(new URL(addr).port), '127.0.0.1');
    plain.on('error', () => undefined);
    cleanup.push(() => plain.destroy());
    await within(once(plain, 'connect'), 5000, 'tcp connect');
    plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(once(plain, 'close'), 5000, 'the listener drops it');
    expect(b.stats).toEqual({ tlsTimeouts: 0, handshakeTimeouts: 0, pendingEvicted: 0, tlsFailures: 1, httpErrors: 0, notUpgrades: 0, refusedNoCertificate: 0 });
  });

  it('drops a TLS client speaking TLS 1.2', async () => {
    const { b, addr } = await server();
    const old = tls.connect({ port: Number(new URL(addr).port), host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
    const failed = new Promise<Error>((resolve) => old.once('error', resolve));
    cleanup.push(() => old.destroy());
    expect((await within(failed, 5000, 'tls 1.2 refusal')).message).toMatch(/version|protocol/i);
    expect(b.openLinks).toBe(1);
  });

  it.each([
    ['an unknown container tag', () => Buffer.from([0x7f, 1, 0]), ErrorCode.FRAME_DECODE],
    ['a truncated container', () => Buffer.from([BATCH_TAG_V1, 5, 1, 2]), ErrorCode.FRAME_DECODE],
    ['an empty message', () => Buffer.alloc(0), ErrorCode.FRAME_DECODE],
    ['an inner frame over maxFrameBytes', () => container(new Uint8Array(1025)), ErrorCode.FRAME_TOO_LARGE],
    ['a text message', () => 'hello', ErrorCode.FRAME_DECODE],
  ])('closes only the link that sends %s, with a coded reason', async (_name, payload, code) => {
    const { addr, b, good, goodInbound } = await server({ maxFrameBytes: 1024, maxBatchBytes: 4096 });
    const { ws, link, closed } = await rawClient(b, addr);
    const delivered: Uint8Array[] = [];
    link.setReceiver((f) => delivered.push(f));
    ws.send(container(new Uint8Array([9])));
    const body = payload();
    ws.send(body, { binary: typeof body !== 'string' });
    const [local, remote] = await within(Promise.all([link.closed, closed]), 5000, 'link close');
    expect(local).toMatchObject({ code, remote: false });
    expect(remote.code).toBe(4000);
    expect(remote.reason.startsWith(`${code} `)).toBe(true);
    expect(delivered.map((f) => [...f])).toEqual([[9]]);
    await stillWorks(good, goodInbound);
  });

  it('closes a link whose message exceeds maxBatchBytes with PC_ERR_FRAME_TOO_LARGE', async () => {
    const { addr, b, good, goodInbound } = await server({ maxFrameBytes: 1024, maxBatchBytes: 4096 });
    const { ws, link, closed } = await rawClient(b, addr);
    ws.send(container(...Array.from({ length: 5 }, () => new Uint8Array(1000))));
    const [local, remote] = await within(Promise.all([link.closed, closed]), 5000, 'link close');
    expect(local).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE, remote: false });
    expect(remote.code).toBe(1009);
    await stillWorks(good, goodInbound);
  });

  it('survives mutated containers on many connections', async () => {
    const { addr, b, good, goodInbound } = await server({ maxFrameBytes: 512, maxBatchBytes: 2048 });
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
    const outcomes = new Set<string>();
    for (let round = 0; round < 25; round++) {
      const { ws, link, closed } = await rawClient(b, addr);
      link.setReceiver(() => undefined);
      const frames = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => new Uint8Array(Math.floor(rand() * 300)).map(() => rand() * 256));
      const data = container(...frames);
      for (let m = 0; m < 1 + rand() * 4; m++) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
      ws.send(data);
      ws.close(1000, 'done');
      const info: LinkCloseInfo = await within(link.closed, 5000, 'fuzzed link close');
      await closed;
      outcomes.add(info.code);
      expect(['PC_OK', ErrorCode.FRAME_DECODE, ErrorCode.FRAME_TOO_LARGE]).toContain(info.code);
    }
    expect(outcomes.size).toBeGreaterThan(1);
    await stillWorks(good, goodInbound);
  });

  it('fails the send past maxPendingSends with PC_ERR_LINK_QUEUE_FULL, telling the other side', async () => {
    const a = transport({ maxPendingSends: 3 });
    const b = transport();
    const [addr] = await b.listen();
    const accepted = firstValueFrom(b.inbound$.pipe(take(1), timeout(5000)));
    const ab = await a.dial(addr as string);
    const ba = await accepted;
    for (let i = 0; i < 3; i++) ab.send(new Uint8Array([i]));
    expect(ab.pendingSends).toBe(3);
    expect(() => ab.send(new Uint8Array([9]))).toThrow(expect.objectContaining({ code: ErrorCode.LINK_QUEUE_FULL }));
    expect(ab.isOpen).toBe(false);
    expect(await within(ba.closed, 5000, 'remote close')).toMatchObject({ code: ErrorCode.LINK_QUEUE_FULL, remote: true });
  });

  it('holds frames in its queue while the peer does not read, until the bound', async () => {
    const { addr, b } = await server({ maxPendingSends: 64, sendHighWaterBytes: 65_536 });
    const { ws, link } = await rawClient(b, addr);
    ws.pause();
    const frame = new Uint8Array(60_000);
    let sawBacklog = false;
    let failure: unknown;
    for (let tick = 0; tick < 20_000 && failure === undefined; tick++) {
      try {
        for (let i = 0; i < 8; i++) link.send(frame);
      } catch (error) {
        failure = error;
      }
      if (link.pendingSends > 8) sawBacklog = true;
      await new Promise((r) => setImmediate(r));
    }
    expect(sawBacklog).toBe(true);
    expect(failure).toMatchObject({ code: ErrorCode.LINK_QUEUE_FULL });
    expect(await link.closed).toMatchObject({ code: ErrorCode.LINK_QUEUE_FULL, remote: false });
  });

  it('closes a link when too many frames wait for a receiver', async () => {
    const { addr, b } = await server({ maxBufferedFrames: 5 });
    const { ws, link, closed } = await rawClient(b, addr);
    ws.send(container(...Array.from({ length: 6 }, (_, i) => new Uint8Array([i]))));
    expect(await within(link.closed, 5000, 'close')).toMatchObject({ code: ErrorCode.LINK_QUEUE_FULL });
    expect((await closed).reason).toMatch(/^PC_ERR_LINK_QUEUE_FULL /);
  });

  it('closes a link whose receiver throws, without disturbing the process', async () => {
    const { addr, b, good, goodInbound } = await server();
    const { ws, link } = await rawClient(b, addr);
    link.setReceiver(() => {
      throw new Error('consumer bug');
    });
    ws.send(container(new Uint8Array([1])));
    expect(await within(link.closed, 5000, 'close')).toMatchObject({ code: ErrorCode.INTERNAL, reason: expect.stringContaining('consumer bug') });
    await stillWorks(good, goodInbound);
  });

  it('ends a link to a peer that stops answering pings, and keeps live ones', async () => {
    const { addr, b, good, goodInbound } = await server({ keepaliveMs: 100 });
    const { link } = await rawClient(b, addr, { autoPong: false });
    expect(await within(link.closed, 5000, 'keepalive')).toMatchObject({ code: ErrorCode.UNREACHABLE, remote: true });
    expect(good.isOpen && goodInbound.isOpen).toBe(true);
    await stillWorks(good, goodInbound);
  });

  it('answers plain HTTPS requests with 426 and no link', async () => {
    const { addr, b } = await server();
    const https = await import('node:https');
    const status = await within(new Promise<number>((resolve, reject) => {
      https.get(addr.replace('wss:', 'https:'), { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    }), 5000, 'https answer');
    expect(status).toBe(426);
    expect(b.stats.notUpgrades).toBe(1);
    expect(b.openLinks).toBe(1);
  });
});
