import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { firstValueFrom, filter } from 'rxjs';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from '../../lib/codec/packr.js';
import { ErrorCode, GATEWAY_PROTOCOL, type Gateway, GatewayCloseCode, PeerNode, type PeerCall, startGateway } from '../../lib/index.js';
import { pageBuildDir } from '../../lib/gateway/page-assets.js';
import { neighborIds } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';
import { Note, Probe } from './fixtures/probe-contract.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>probe</title></head>
<body><p id="status">loading</p><script type="module" src="/spec/gateway/page/probe-page.js"></script></body></html>`;

let a: PeerNode;
let b: PeerNode;
let gateway: Gateway;
let context: BrowserContext | undefined;
let profile: string;

class ProbeService {
  constructor(private readonly name: string) {}
  say(): void {}
  whoami(): Promise<string> {
    return Promise.resolve(this.name);
  }
}

beforeAll(async () => {
  const open = () => PeerNode.open('net.p2p://gateway-spec', { resolver: null, neighbors: { min: 0, ideal: 0, max: 4 }, records: { storage: 'memory', types: [Note] } });
  a = await open();
  b = await open();
  await a.connect(b.addresses[0] as string, b.peerId);
  await waitFor(() => neighborIds(b).includes(a.peerId), 'link a-b', 10_000);
  a.host(Probe, new ProbeService('a'));
  b.host(Probe, new ProbeService('b'));
  gateway = await startGateway(a, {
    contracts: [Probe], records: [Note],
    page: { html: HTML, root: pageBuildDir(), imports: { 'peerchannel/browser': '/lib/browser/index.js' } },
    limits: { messagesPerSecond: 50, messageBurst: 100, maxOpenRequests: 8 },
  });
  profile = mkdtempSync(join(tmpdir(), 'pc-gateway-'));
}, 60_000);

afterAll(async () => {
  await context?.close();
  await gateway?.close();
  await Promise.all([a?.close(), b?.close()]);
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const token = () => new URLSearchParams(new URL(gateway.url).hash.slice(1)).get('token')!;
const origin = () => `http://127.0.0.1:${gateway.port}`;

function get(path: string, host = `127.0.0.1:${gateway.port}`): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gateway.port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function socket(opts: { token?: string; origin?: string; path?: string } = {}): Promise<{ ws?: WebSocket; status?: number; body?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}${opts.path ?? '/peerchannel'}`, [GATEWAY_PROTOCOL, `token.${opts.token ?? token()}`], { origin: opts.origin ?? origin() });
    ws.binaryType = 'nodebuffer';
    // The hello arrives first; wait for it so the socket is fully set up.
    ws.once('message', () => resolve({ ws }));
    ws.once('unexpected-response', (_, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.once('error', () => resolve({ status: -1 }));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
}

/** Proves the node still serves pages: a fresh socket adds a record and gets `ok`. */
async function stillServes(): Promise<void> {
  const { ws } = await socket();
  const answer = new Promise<Buffer>((r) => ws!.once('message', (d: Buffer) => r(d)));
  ws!.send(pack({ t: 'call', id: 1, c: 'gateway.probe', o: 'say', a: ['spec', 'still here'], s: {} }));
  const { unpack } = await import('../../lib/codec/packr.js');
  expect(unpack(await answer)).toEqual({ t: 'ok', id: 1, v: undefined });
  ws!.close();
}

describe('gateway guard', () => {
  it('refuses a wrong Host, token, Origin or path, and serves only files of the page tree', async () => {
    expect(await get('/')).toBe(200);
    expect(await get('/', `rebound.example:${gateway.port}`)).toBe(403);
    expect(await get('/vendor/rxjs.mjs')).toBe(200);
    expect(await get('/vendor/msgpackr/unpack.js')).toBe(200);
    expect(await get('/lib/browser/index.js')).toBe(200);
    expect(await get('/../package.json')).toBe(404);
    expect(await get('/%2e%2e/%2e%2e/package.json')).toBe(404);
    expect(await get('/vendor/msgpackr/package.json')).toBe(404);
    const wrongToken = await socket({ token: '0'.repeat(token().length) });
    expect(wrongToken.status).toBe(403);
    expect(wrongToken.body).toContain(ErrorCode.GATEWAY_REFUSED);
    expect((await socket({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await socket({ origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await socket({ path: '/ws' })).status).toBe(403);
    expect((await socket()).ws).toBeDefined();
  });
});

describe('gateway page messages are bounded and checked', () => {
  const cases: [string, (ws: WebSocket) => void, number, string][] = [
    ['a text message', (ws) => ws.send('{"t":"call"}'), GatewayCloseCode.BAD_MESSAGE, ErrorCode.GATEWAY_BAD_MESSAGE],
    ['bytes that are not msgpack', (ws) => ws.send(Buffer.from([0xc1, 0xff, 0x00])), GatewayCloseCode.BAD_MESSAGE, ErrorCode.GATEWAY_BAD_MESSAGE],
    ['an unknown request type', (ws) => ws.send(pack({ t: 'rm -rf', id: 1 })), GatewayCloseCode.BAD_MESSAGE, ErrorCode.GATEWAY_BAD_MESSAGE],
    ['a contract the gateway does not expose', (ws) => ws.send(pack({ t: 'call', id: 1, c: 'observe', o: 'x', a: [], s: {} })), GatewayCloseCode.BAD_MESSAGE, ErrorCode.GATEWAY_BAD_MESSAGE],
    ['a record type the gateway does not expose', (ws) => ws.send(pack({ t: 'records', id: 1, r: 'other.type' })), GatewayCloseCode.BAD_MESSAGE, ErrorCode.GATEWAY_BAD_MESSAGE],
    ['nesting past the bound', (ws) => {
      let v: unknown = 1;
      for (let i = 0; i < 40; i++) v = [v];
      ws.send(pack({ t: 'call', id: 1, c: 'gateway.probe', o: 'say', a: [v], s: {} }));
    }, GatewayCloseCode.BAD_MESSAGE, ErrorCode.GATEWAY_BAD_MESSAGE],
    ['a message over the byte bound', (ws) => ws.send(Buffer.alloc(70_000)), 1009, ''],
    ['more messages a second than the rate bound', (ws) => {
      for (let i = 1; i <= 150; i++) ws.send(pack({ t: 'end', id: i }));
    }, GatewayCloseCode.RATE, ErrorCode.GATEWAY_RATE],
    ['more open requests than the bound', (ws) => {
      for (let i = 1; i <= 9; i++) ws.send(pack({ t: 'calls', id: i, c: 'gateway.probe' }));
    }, GatewayCloseCode.TOO_MANY_REQUESTS, ErrorCode.GATEWAY_TOO_MANY_REQUESTS],
    ['a reused request id', (ws) => {
      ws.send(pack({ t: 'calls', id: 7, c: 'gateway.probe' }));
      ws.send(pack({ t: 'calls', id: 7, c: 'gateway.probe' }));
    }, GatewayCloseCode.BAD_MESSAGE, ErrorCode.GATEWAY_BAD_MESSAGE],
  ];
  for (const [what, send, code, reason] of cases) {
    it(`closes the socket with ${code} for ${what}, and the node carries on`, async () => {
      const { ws } = await socket();
      const end = closed(ws!);
      send(ws!);
      const c = await end;
      expect(c.code).toBe(code);
      expect(c.reason.startsWith(reason)).toBe(true);
      await stillServes();
      expect(a.status).toBe('online');
    });
  }

  it('closes a page that does not read with 4408 once the bytes queued toward it pass the bound', async () => {
    const small = await startGateway(a, { contracts: [Probe], page: { html: HTML }, limits: { maxQueuedBytes: 256 * 1024 } });
    try {
      const u = new URL(small.url);
      const t = new URLSearchParams(u.hash.slice(1)).get('token')!;
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const w = new WebSocket(`ws://${u.host}/peerchannel`, [GATEWAY_PROTOCOL, `token.${t}`], { origin: u.origin });
        w.once('message', () => resolve(w));
        w.once('error', reject);
      });
      const end = closed(ws);
      ws.send(pack({ t: 'calls', id: 1, c: 'gateway.probe', o: 'say' }));
      // Requests are handled in order: once a later one is answered, the subscription is there.
      const answered = new Promise<void>((r) => ws.once('message', () => r()));
      ws.send(pack({ t: 'call', id: 2, c: 'gateway.probe', o: 'say', a: ['spec', 'sync'], s: { hops: 0 } }));
      await answered;
      // The page stops reading; the node delivers up to 60 MB of calls to it (the local echo of each).
      (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const text = 'x'.repeat(20_000);
      for (let i = 0; i < 3_000 && small.pages > 0; i++) {
        await a.proxy(Probe).withHops(0).say('spec', text);
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(small.pages).toBe(0);
      (ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const c = await end;
      expect(c.code).toBe(GatewayCloseCode.SLOW_PAGE);
      expect(c.reason.startsWith(ErrorCode.GATEWAY_SLOW_PAGE)).toBe(true);
      await stillServes();
    } finally {
      await small.close();
    }
  });

  it('answers wrong arguments and forbidden record writes with a coded failure, not a close', async () => {
    const { ws } = await socket();
    const { unpack } = await import('../../lib/codec/packr.js');
    const answers: unknown[] = [];
    ws!.on('message', (d: Buffer) => answers.push(unpack(d)));
    ws!.send(pack({ t: 'call', id: 1, c: 'gateway.probe', o: 'say', a: [42], s: {} }));
    const theirs = await b.records(Note).add({ topic: 'b', text: "b's note" });
    await waitFor(() => a.records(Note).get(theirs.id) !== undefined, "b's note at a", 10_000);
    ws!.send(pack({ t: 'delete', id: 2, r: 'gateway.note', k: theirs.id }));
    await waitFor(() => answers.filter((m) => (m as { t: string }).t === 'fail').length === 2, 'two failures', 10_000);
    expect(answers).toContainEqual(expect.objectContaining({ t: 'fail', id: 1, code: ErrorCode.BAD_ARGUMENTS }));
    expect(answers).toContainEqual(expect.objectContaining({ t: 'fail', id: 2, code: ErrorCode.RECORD_FORBIDDEN }));
    expect(ws!.readyState).toBe(ws!.OPEN);
    expect(b.records(Note).get(theirs.id)).toBeDefined();
    ws!.close();
  });
});

/** What the page's harness collects (this spec compiles for Node: no DOM types). */
interface Harness { harness: { heard?: string[]; changes?: string[] } }

/** Runs `body` in the page with the harness (client, Probe, Note) as its argument. */
function inPage<R>(page: Page, body: string, arg?: unknown): Promise<R> {
  return page.evaluate(([code, x]) => {
    const h = (globalThis as Record<string, unknown>).harness;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return (new Function('h', 'x', `return (async () => { ${code as string} })()`) as (h: unknown, x: unknown) => Promise<R>)(h, x);
  }, [body, arg] as const);
}

describe('a Chromium page as a client-only peer', () => {
  it('uses the same contract and record classes: flood, directed, hop-limited, gathered, calls$, records, status', async () => {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(gateway.url);
    await page.locator('#status', { hasText: /^(connected|failed)/ }).waitFor({ timeout: 20_000 });
    expect(await page.textContent('#status')).toBe(`connected ${a.peerId}`);

    // status$: online, one neighbour.
    expect(await inPage(page, `return await new Promise((r) => h.client.status$.subscribe((s) => r(s)));`)).toEqual({ status: 'online', neighbors: 1 });

    // Flood from the page: b receives it from a, with the bytes intact (msgpack both ways).
    const atB = firstValueFrom(b.calls$(Probe, 'say').pipe(filter((c) => c.args[1] === 'flood from page')));
    await inPage(page, `await h.client.proxy(h.Probe).say('page', 'flood from page', new Uint8Array([1, 2, 3]));`);
    const got = (await atB) as PeerCall<[string, string, Uint8Array]>;
    expect(got.from).toBe(a.peerId);
    expect([...got.args[2]]).toEqual([1, 2, 3]);

    // calls$ in the page: b's flood reaches it.
    await inPage(page, `h.heard = []; h.sub = h.client.calls$(h.Probe, 'say').subscribe((c) => h.heard.push(c.from + ':' + c.args[1]));`);
    // Requests are handled in order: once a later one is answered, the node holds the subscription.
    await inPage(page, `await h.client.proxy(h.Probe).withHops(0).say('page', 'sync');`);
    await b.proxy(Probe).say('b', 'from b');
    await page.waitForFunction(() => (globalThis as unknown as Harness).harness.heard?.some((x) => x.endsWith(':from b')), null, { timeout: 15_000 });
    expect(await inPage<string[]>(page, 'return h.heard;')).toContain(`${b.peerId}:from b`);

    // Directed reply from b, gathered replies from the mesh, hop-limited to the page's node.
    expect(await inPage(page, `return await h.client.proxy(h.Probe).to(x).whoami();`, b.peerId)).toBe('b');
    const gathered = await inPage<string[]>(page, `
      const out = [];
      await new Promise((r, j) => h.client.proxy(h.Probe).gather({ count: 2, timeoutMs: 10000 }).whoami().subscribe({ next: (x) => out.push(x.value), error: j, complete: r }));
      return out.sort();`);
    expect(gathered).toEqual(['a', 'b']);
    const local = await inPage<string[]>(page, `
      const out = [];
      await new Promise((r, j) => h.client.proxy(h.Probe).withHops(0).gather({ timeoutMs: 1500 }).whoami().subscribe({ next: (x) => out.push(x.value), error: j, complete: r }));
      return out;`);
    expect(local).toEqual(['a']);
    // Wrong arguments throw in the page, as on Node, before anything is sent.
    expect(await inPage(page, `try { h.client.proxy(h.Probe).say(1); return 'sent'; } catch (e) { return e.code; }`)).toBe(ErrorCode.BAD_ARGUMENTS);

    // Records: the page sees what is there, adds (b gets it, created by a), watches b's adds, and cannot delete b's.
    const before = a.records(Note).query().length;
    await inPage(page, `h.notes = h.client.records(h.Note); await h.notes.ready; h.changes = []; h.notes.changes$.subscribe((c) => h.changes.push(c.kind + ':' + c.record.value.text));`);
    expect(await inPage(page, 'return h.notes.query().length;')).toBe(before);
    const added = await inPage<{ id: string; creator: string }>(page, `return await h.notes.add({ topic: 'page', text: 'from the page' });`);
    expect(added.creator).toBe(a.peerId);
    await waitFor(() => b.records(Note).get(added.id)?.value.text === 'from the page', 'page note at b', 10_000);
    const theirs = await b.records(Note).add({ topic: 'b', text: 'b writes' });
    await page.waitForFunction(() => (globalThis as unknown as Harness).harness.changes?.includes('added:b writes'), null, { timeout: 15_000 });
    expect(await inPage(page, `try { await h.notes.delete(x); return 'deleted'; } catch (e) { return e.code; }`, theirs.id)).toBe(ErrorCode.RECORD_FORBIDDEN);
    expect(b.records(Note).get(theirs.id)).toBeDefined();
    expect(await inPage(page, `await h.notes.update(x, { topic: 'page', text: 'edited' }); return h.notes.get(x)?.value.text;`, added.id)).toBe('edited');
    await waitFor(() => b.records(Note).get(added.id)?.value.text === 'edited', 'edit at b', 10_000);
    expect(await inPage(page, `return h.notes.query({ topic: 'b' }).map((r) => r.value.text).sort();`)).toEqual(expect.arrayContaining(['b writes']));
    expect(problems).toEqual([]);
  });
});
