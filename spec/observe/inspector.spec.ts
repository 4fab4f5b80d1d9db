import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Inspector, PeerNode, startInspector } from '../../lib/index.js';
import { neighborIds } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

const nodes: PeerNode[] = [];
let inspector: Inspector;
let context: BrowserContext | undefined;
let profile: string;

beforeAll(async () => {
  // Ten peers on real TLS WebSockets: a ring and two chords (0-5, 2-8), so twelve links.
  for (let i = 0; i < 10; i++) {
    nodes.push(await PeerNode.open('net.p2p://inspected', {
      resolver: null, neighbors: { min: 0, ideal: 0, max: 16 },
      observe: i === 0 ? { traceTtlMs: 3_000, reportDelayMs: 20 } : { reportDelayMs: 20 },
    }));
  }
  const link = async (a: number, b: number) => {
    await nodes[a]!.connect(nodes[b]!.addresses[0] as string, nodes[b]!.peerId);
    await waitFor(() => neighborIds(nodes[b]!).includes(nodes[a]!.peerId), `link ${a}-${b}`);
  };
  for (let i = 0; i < 10; i++) await link(i, (i + 1) % 10);
  await link(0, 5);
  await link(2, 8);
  inspector = await startInspector(nodes[0]!, { refreshMs: 400 });
  profile = mkdtempSync(join(tmpdir(), 'pc-inspector-'));
}, 60_000);

afterAll(async () => {
  await context?.close();
  await inspector?.close();
  await Promise.all(nodes.map((n) => n.close()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function statusOf(opts: { host?: string; path?: string }): Promise<number> {
  const port = inspector.port;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: opts.path ?? '/', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function socket(token: string, origin: string): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${inspector.port}/ws`, ['peerchannel.inspector', `token.${token}`], { origin });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_, res) => resolve({ status: res.statusCode }));
    ws.once('error', () => resolve({ status: -1 }));
  });
}

/** Runs in the page (no DOM types here: this spec compiles for Node). */
declare function counts(...selectors: string[]): number[];
const COUNTS = `globalThis.counts = (...s) => s.map((x) => document.querySelectorAll(x).length);`;

describe('inspector', () => {
  it('guards Host, Origin and token, and bounds what a page sends', async () => {
    const token = new URLSearchParams(new URL(inspector.url).hash.slice(1)).get('token')!;
    const origin = `http://127.0.0.1:${inspector.port}`;
    expect(await statusOf({})).toBe(200);
    expect(await statusOf({ host: `rebound.example:${inspector.port}` })).toBe(403);
    expect(await statusOf({ path: '/../package.json' })).toBe(404);
    expect((await socket('0'.repeat(token.length), origin)).status).toBe(403);
    expect((await socket(token, 'http://evil.example')).status).toBe(403);
    const { ws } = await socket(token, origin);
    expect(ws).toBeDefined();
    const closed = new Promise<number>((r) => ws!.once('close', (code) => r(code)));
    ws!.send('x'.repeat(4_096));
    expect(await closed).toBe(1009);
    const { ws: again } = await socket(token, origin);
    const closedAgain = new Promise<number>((r) => again!.once('close', (code) => r(code)));
    again!.send('{"type":"rm -rf"}');
    expect(await closedAgain).toBe(1008);
  });

  it('draws the 10-peer mesh in Chromium, follows a peer leaving, and shows a traced message tree', async () => {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 760 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.addInitScript(COUNTS);
    await page.goto(inspector.url);
    // A loaded machine may miss an answer in one 400 ms gather (its neighbours still name it, so the
    // graph has its circle): wait for a view in which every node answered, counters and all.
    const graph = (n: number, l: number) =>
      page.waitForFunction(([n, l]) => counts('#graph circle.node', '#graph line.link', '#counters tr').join() === `${n},${l},${n}`, [n, l] as const, { timeout: 20_000 });
    await graph(10, 12);
    expect(await page.locator('#counters tr').count()).toBe(10);

    await nodes[7]!.close();
    await graph(9, 10);

    await page.click('#probe');
    await page.waitForFunction(() => counts('#tree li', '#missed li').join() === '9,1', null, { timeout: 20_000 });
    const missed = await page.locator('#missed li').innerText();
    expect(missed).toContain(nodes[7]!.peerId.slice(0, 8));
    expect(await page.locator('#graph circle.got').count()).toBe(8);
    expect(await page.locator('#graph circle.missed').count()).toBe(0);
    expect(await page.locator('#traces option').count()).toBe(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'inspector.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: join(process.cwd(), 'docs', 'inspector.png') });
    expect(problems).toEqual([]);
  });
});
