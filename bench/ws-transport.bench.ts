import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { firstValueFrom, take } from 'rxjs';
import { WebSocket, WebSocketServer } from 'ws';
import { certificateFor } from '../lib/identity/certificate.js';
import { PeerIdentity } from '../lib/identity/peer-identity.js';
import type { Link } from '../lib/transport/transport.js';
import { webSocketTransport } from '../lib/transport/ws/index.js';

const MESSAGE_BYTES = 100;
const RAW_MESSAGES = 300_000;
const LINK_FRAMES = 1_000_000;
const CONNECTIONS = 40;

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const rate = (count: number, ms: number): string => Math.round((count / ms) * 1000).toLocaleString('en-US');

/** Physical limit: plain ws over TLS 1.3 on one connection, one 100-byte message per WebSocket frame. */
async function rawWsThroughput(): Promise<void> {
  const { certPem, keyPem } = await certificateFor(PeerIdentity.generate());
  const server = createServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3' });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 65_536 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`wss://127.0.0.1:${(server.address() as AddressInfo).port}`, { rejectUnauthorized: false, perMessageDeflate: false });
  await once(client, 'open');
  const [peer] = await accepted;
  try {
    let received = 0;
    const done = new Promise<void>((resolve) => peer.on('message', () => ++received === RAW_MESSAGES && resolve()));
    const payload = Buffer.alloc(MESSAGE_BYTES, 7);
    const start = performance.now();
    for (let sent = 0; sent < RAW_MESSAGES; ) {
      // Same flow control as a careful ws user: keep the socket backlog small.
      if (client.bufferedAmount > 1 << 20) {
        await yieldTurn();
        continue;
      }
      for (let i = 0; i < 1000 && sent < RAW_MESSAGES; i++, sent++) client.send(payload);
      await yieldTurn();
    }
    await done;
    const ms = performance.now() - start;
    console.log(`ws-transport: raw ws over TLS 1.3, one link, ${MESSAGE_BYTES}-byte messages one per frame: ${rate(RAW_MESSAGES, ms)} msg/s`);
  } finally {
    client.terminate();
    peer.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * The floor for one frame at a low rate: plain ws over TLS 1.3, one 100-byte message on each of
 * 27 connections (the links of the N = 10 mesh-load graph) every 5 ms, each its own WebSocket
 * message (nothing to batch). Prints CPU-µs (all threads, user + system) per message, sent and
 * received, the cost a mesh-load frame cannot go below at 200 msg/s.
 */
async function rawWsAtRate(): Promise<void> {
  const links = 27;
  const ticks = 600;
  const { certPem, keyPem } = await certificateFor(PeerIdentity.generate());
  const server = createServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3' });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 65_536 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let received = 0;
  wss.on('connection', (ws) => ws.on('message', () => void ++received));
  const url = `wss://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = await Promise.all(
    Array.from({ length: links }, async () => {
      const c = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false });
      await once(c, 'open');
      return c;
    }),
  );
  try {
    const payload = Buffer.alloc(MESSAGE_BYTES, 7);
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < ticks; i++) {
      for (const c of clients) c.send(payload);
      const wait = start + ((i + 1) * 1000) / 200 - performance.now();
      if (wait > 0.5) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    while (received < links * ticks) await yieldTurn();
    const cpu = process.cpuUsage(cpu0);
    console.log(`ws-transport: raw ws over TLS 1.3, ${links} links, one ${MESSAGE_BYTES}-byte message per link every 5 ms: ${((cpu.user + cpu.system) / received).toFixed(1)} CPU-µs per message sent and received`);
  } finally {
    for (const c of clients) c.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function linkedPair(): Promise<{ ab: Link; ba: Link; close: () => Promise<void>; dial: () => Promise<Link>; accept: () => Promise<Link> }> {
  const a = webSocketTransport()({ identity: PeerIdentity.generate() });
  const b = webSocketTransport()({ identity: PeerIdentity.generate() });
  const [addr] = await b.listen();
  const accept = () => firstValueFrom(b.inbound$.pipe(take(1)));
  const dial = () => a.dial(addr as string);
  const accepted = accept();
  const ab = await dial();
  return { ab, ba: await accepted, dial, accept, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** Our link: frames sent in one event-loop turn travel batched in one WebSocket message. */
async function linkThroughput(): Promise<void> {
  const { ab, ba, close } = await linkedPair();
  try {
    let received = 0;
    const done = new Promise<void>((resolve) => ba.setReceiver(() => ++received === LINK_FRAMES && resolve()));
    const frame = new Uint8Array(MESSAGE_BYTES).fill(7);
    const start = performance.now();
    for (let sent = 0; sent < LINK_FRAMES; ) {
      // Stay well inside maxPendingSends (4096): a link over it closes, by design.
      for (let i = 0; i < 1000 && sent < LINK_FRAMES && ab.pendingSends < 3000; i++, sent++) ab.send(frame);
      await yieldTurn();
    }
    await done;
    const ms = performance.now() - start;
    console.log(`ws-transport: PeerChannel ws link, ${MESSAGE_BYTES}-byte frames batched per turn: ${rate(LINK_FRAMES, ms)} frames/s`);
  } finally {
    await close();
  }
}

/** Mutual TLS 1.3 handshake, pin check and WebSocket upgrade, one connection at a time. */
async function connectionSetup(): Promise<void> {
  const { dial, accept, close } = await linkedPair();
  try {
    const times: number[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const start = performance.now();
      const accepted = accept();
      const link = await dial();
      await accepted;
      times.push(performance.now() - start);
      link.close('PC_OK', 'bench');
    }
    times.sort((x, y) => x - y);
    const mean = times.reduce((s, t) => s + t, 0) / times.length;
    const p50 = times[Math.floor(times.length / 2)] as number;
    const p95 = times[Math.floor(times.length * 0.95)] as number;
    console.log(`ws-transport: connection setup (TLS 1.3 mutual auth + upgrade), ${CONNECTIONS} sequential: mean ${mean.toFixed(2)} ms, p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`);
  } finally {
    await close();
  }
}

/** Prints the WebSocket transport figures, one line each. */
export async function run(): Promise<void> {
  await rawWsThroughput();
  await rawWsAtRate();
  await linkThroughput();
  await connectionSetup();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
