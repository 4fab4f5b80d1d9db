import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, take, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ErrorCode } from '../../lib/errors/index.js';
import { certificateFor } from '../../lib/identity/certificate.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import type { Link } from '../../lib/transport/transport.js';
import type { WebSocketTransport, WebSocketTransportOptions } from '../../lib/transport/ws/index.js';
import { useWsFixture } from '../helpers/ws-fixture.js';

describe('ws link bounds: pings and queued bytes', () => {
  const { cleanup, transport } = useWsFixture();

  async function server(options: WebSocketTransportOptions = {}): Promise<{ b: WebSocketTransport; addr: string; good: Link; goodInbound: Link }> {
    const b = transport(options);
    const [addr] = await b.listen();
    const accepted = firstValueFrom(b.inbound$.pipe(take(1), timeout(5000)));
    const good = await transport(options).dial(addr as string);
    return { b, addr: addr as string, good, goodInbound: await accepted };
  }

  /** A plain ws client with a valid certificate (ws answers pings itself: autoPong). */
  async function rawClient(b: WebSocketTransport, addr: string) {
    const { certPem, keyPem } = await certificateFor(PeerIdentity.generate());
    const inbound = firstValueFrom(b.inbound$.pipe(take(1), timeout(5000)));
    const ws = new WebSocket(addr, { cert: certPem, key: keyPem, rejectUnauthorized: false, perMessageDeflate: false });
    ws.on('error', () => undefined);
    cleanup.push(() => ws.terminate());
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await once(ws, 'open');
    return { ws, link: await inbound, closed };
  }

  async function stillWorks(out: Link, back: Link): Promise<void> {
    const there = new Promise<Uint8Array>((resolve) => back.setReceiver(resolve));
    out.send(new Uint8Array([7]));
    expect([...(await there)]).toEqual([7]);
  }

  it('closes the link of a client that floods pings with PC_ERR_PING_FLOOD, which the client is told', async () => {
    const { b, addr, good, goodInbound } = await server();
    const { ws, link, closed } = await rawClient(b, addr);
    let pongs = 0;
    ws.on('pong', () => (pongs += 1));
    for (let i = 0; i < 1000; i++) ws.ping();
    const [local, remote] = await Promise.all([link.closed, closed]);
    expect(local).toMatchObject({ code: ErrorCode.PING_FLOOD, remote: false });
    expect(remote.code).toBe(4000);
    expect(remote.reason).toMatch(/^PC_ERR_PING_FLOOD /);
    // The burst was answered, the flood was not.
    expect(pongs).toBeLessThanOrEqual(10);
    await stillWorks(good, goodInbound);
  });

  it('closes a dialled link whose server floods pings with PC_ERR_PING_FLOOD', async () => {
    const { certPem, keyPem } = await certificateFor(PeerIdentity.generate());
    const https = createServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false });
    const wss = new WebSocketServer({ server: https, perMessageDeflate: false });
    cleanup.push(() => new Promise((resolve) => https.close(resolve)));
    cleanup.push(() => wss.close());
    const serverClosed = new Promise<{ code: number; reason: string }>((resolve) => {
      wss.on('connection', (ws) => {
        ws.on('error', () => undefined);
        cleanup.push(() => ws.terminate());
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
        for (let i = 0; i < 1000; i++) ws.ping();
      });
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const a = transport();
    const link = await a.dial(`wss://127.0.0.1:${(https.address() as AddressInfo).port}`);
    expect(await link.closed).toMatchObject({ code: ErrorCode.PING_FLOOD, remote: false });
    expect((await serverClosed).reason).toMatch(/^PC_ERR_PING_FLOOD /);
  });

  it('answers the pings of an honest keepalive (one per interval) and keeps the link', async () => {
    const { good, goodInbound } = await server({ keepaliveMs: 50, maxPingBurst: 3 });
    // keepaliveMs 50 pings 20/s, over maxPingsPerSecond (1): the allowed rate follows the keepalive.
    await new Promise((r) => setTimeout(r, 600));
    expect(good.isOpen && goodInbound.isOpen).toBe(true);
    await stillWorks(good, goodInbound);
  });

  it('bounds the bytes queued for a peer that stops reading large frames: PC_ERR_LINK_QUEUE_BYTES long before 4,096 frames', async () => {
    const { b, addr, good, goodInbound } = await server();
    const { ws, link, closed } = await rawClient(b, addr);
    ws.pause();
    const frame = new Uint8Array(60_000);
    const rssBefore = process.memoryUsage().rss;
    let maxRss = rssBefore;
    let failure: unknown;
    let pendingAtFailure = 0;
    for (let tick = 0; tick < 20_000 && failure === undefined; tick++) {
      try {
        for (let i = 0; i < 16; i++) {
          link.send(frame);
          pendingAtFailure = link.pendingSends;
        }
      } catch (error) {
        failure = error;
      }
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      await new Promise((r) => setImmediate(r));
    }
    expect(failure).toMatchObject({ code: ErrorCode.LINK_QUEUE_BYTES });
    expect(await link.closed).toMatchObject({ code: ErrorCode.LINK_QUEUE_BYTES, remote: false });
    // The queue held at most 16 MiB of 60 kB frames, not maxPendingSends (4,096) of them (240 MB).
    expect(pendingAtFailure).toBeGreaterThan(100);
    expect(pendingAtFailure).toBeLessThanOrEqual(Math.floor((16 * 2 ** 20) / 60_000));
    console.log(`ws-link-bounds: slow reader cut at ${pendingAtFailure} pending frames; RSS ${(rssBefore / 2 ** 20).toFixed(0)} → max ${(maxRss / 2 ** 20).toFixed(0)} MB`);
    expect(maxRss - rssBefore).toBeLessThan(160 * 2 ** 20);
    ws.resume();
    expect((await closed).reason).toMatch(/^PC_ERR_LINK_QUEUE_BYTES /);
    await stillWorks(good, goodInbound);
  });
});
