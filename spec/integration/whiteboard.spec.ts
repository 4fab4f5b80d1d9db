import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Browser, type Page, chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, GATEWAY_PROTOCOL, GatewayCloseCode } from '../../lib/index.js';

const MAIN = 'dist/samples/whiteboard/main.js';
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const MESH = `net.p2p://board-spec-${process.pid}`;
const PASSWORD = 'chalk';
const WAIT = { timeout: 30_000 };

/** One `node dist/samples/whiteboard/main.js` process; {@link Whiteboard.kill} always ends it. */
class Whiteboard {
  readonly url: Promise<string>;
  stderr = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<unknown>;

  constructor(name: string, env: Record<string, string>) {
    const base = { ...process.env };
    delete base['PEERCHANNEL_PASSWORD'];
    this.child = spawn(process.execPath, [MAIN, '--name', name, '--mesh', MESH, '--password', PASSWORD], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.child.once('exit', r));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.url = new Promise((resolve, reject) => {
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        const m = /^open (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)$/.exec(line);
        if (m) resolve(m[1]!);
      });
      this.child.once('exit', (code) => reject(new Error(`whiteboard ${name} exited (${code}) before printing its URL: ${this.stderr}`)));
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<unknown> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

let dir: string;
let browser: Browser;
const processes: Whiteboard[] = [];
const pages: Page[] = [];
const problems: string[] = [];

function start(name: string): Whiteboard {
  const w = new Whiteboard(name, { PEERCHANNEL_LOCAL_DIR: join(dir, 'local'), PEERCHANNEL_LOCAL_TTL_MS: '1500', PEERCHANNEL_HOME: join(dir, 'home') });
  processes.push(w);
  return w;
}

async function open(w: Whiteboard, url?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 880, height: 560 } });
  pages.push(page);
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url ?? (await w.url));
  return page;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pc-whiteboard-'));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(processes.map((p) => p.kill()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Point = readonly [number, number];

/** Draws with the mouse on the board canvas (coordinates relative to it). */
async function draw(page: Page, tool: string, color: string, width: number, points: readonly Point[]): Promise<void> {
  await page.click(`nav button[data-tool="${tool}"]`);
  await page.click(`nav button[data-color="${color}"]`);
  await page.click(`nav button[data-width="${width}"]`);
  const box = (await page.locator('#board').boundingBox())!;
  const [first, ...rest] = points;
  await page.mouse.move(box.x + first![0], box.y + first![1]);
  await page.mouse.down();
  for (const [x, y] of rest) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
  await page.mouse.up();
}

/** RGBA of one pixel of a canvas (board coordinates; the pages run at device pixel ratio 1). */
function pixel(page: Page, canvas: string, [x, y]: Point): Promise<number[]> {
  return page.evaluate(([sel, px, py]) => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): { getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } } }).document;
    return [...doc.querySelector(sel).getContext('2d').getImageData(px, py, 1, 1).data];
  }, [canvas, x, y] as const);
}

const shapeCount = (page: Page, n: number) => page.locator('#shape-count', { hasText: new RegExp(`^${n}$`) }).waitFor(WAIT);
const authors = (page: Page) => page.locator('#shapes li').evaluateAll((items) => items.map((i) => i.getAttribute('data-author') ?? ''));
const RED = '#e03131';
const BLUE = '#1971c2';
const redStroke: Point[] = [[60, 80], [140, 90], [220, 80], [300, 100]];
const rect: Point[] = [[120, 200], [320, 330]];
const blueLine: Point[] = [[400, 60], [560, 260]];

/** Returns [r, g, b] close to `hex` (anti-aliasing aside). */
function near(rgba: number[], hex: string): boolean {
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return rgba[3]! > 200 && want.every((v, i) => Math.abs(v - rgba[i]!) < 40);
}

function socket(url: string, opts: { token?: string; origin?: string }): Promise<{ ws?: WebSocket; status?: number }> {
  const u = new URL(url);
  const token = opts.token ?? new URLSearchParams(u.hash.slice(1)).get('token')!;
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${u.host}/peerchannel`, [GATEWAY_PROTOCOL, `token.${token}`], { origin: opts.origin ?? u.origin });
    ws.once('message', () => resolve({ ws }));
    ws.once('unexpected-response', (_, res) => resolve({ status: res.statusCode }));
    ws.once('error', () => resolve({ status: -1 }));
  });
}

describe('whiteboard in Chromium, one process per user', () => {
  let alice: Whiteboard;
  let bob: Whiteboard;
  let pa: Page;
  let pb: Page;

  it('draws on one page and the shapes appear on the other: shape list and canvas pixels; strokes in progress and presence too', async () => {
    alice = start('alice');
    bob = start('bob');
    pa = await open(alice);
    pb = await open(bob);
    await pa.locator('#status.online').waitFor(WAIT);
    await pb.locator('#status.online').waitFor(WAIT);
    await pa.locator('#people li[data-name="bob"]').waitFor(WAIT);
    await pb.locator('#people li[data-name="alice"]').waitFor(WAIT);

    await draw(pa, 'pen', RED, 10, redStroke);
    await draw(pa, 'rect', RED, 5, rect);
    await draw(pb, 'line', BLUE, 5, blueLine);
    for (const p of [pa, pb]) await shapeCount(p, 3);
    expect((await authors(pb)).sort()).toEqual(['alice', 'alice', 'bob']);
    expect(near(await pixel(pb, '#board', [140, 90]), RED)).toBe(true);
    expect(near(await pixel(pb, '#board', [120, 260]), RED)).toBe(true); // the rectangle's left edge
    expect(near(await pixel(pa, '#board', [480, 160]), BLUE)).toBe(true); // the middle of bob's line
    expect((await pixel(pb, '#board', [540, 470]))[3]).toBe(0); // nothing drawn there

    // A stroke in progress shows on the other page's overlay before it is finished.
    const box = (await pa.locator('#board').boundingBox())!;
    await pa.click(`nav button[data-tool="pen"]`);
    await pa.mouse.move(box.x + 380, box.y + 420);
    await pa.mouse.down();
    await pa.mouse.move(box.x + 520, box.y + 420, { steps: 6 });
    await expect.poll(async () => (await pixel(pb, '#overlay', [450, 420]))[3], WAIT).toBeGreaterThan(200);
    expect((await pixel(pb, '#board', [450, 420]))[3]).toBe(0); // not a shape yet
    await pa.mouse.up();
    for (const p of [pa, pb]) await shapeCount(p, 4);

    mkdirSync(ARTIFACTS, { recursive: true });
    await sideBySide(pa, pb, join(ARTIFACTS, 'whiteboard.png'));
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') await sideBySide(pa, pb, join(process.cwd(), 'docs', 'whiteboard.png'));
  }, 180_000);

  it("undo on one page removes only that user's own shapes, and the record layer refuses the others'", async () => {
    // bob has one shape; three undos must not reach alice's three.
    for (let i = 0; i < 3; i++) await pb.click('#undo', { force: true });
    for (const p of [pa, pb]) await shapeCount(p, 3);
    expect(await authors(pa)).toEqual(['alice', 'alice', 'alice']);
    expect(await authors(pb)).toEqual(['alice', 'alice', 'alice']);
    const refused = await pb.evaluate(async () => {
      const w = (globalThis as unknown as { whiteboard: { shapes: { query(): { id: string }[]; delete(id: string): Promise<void>; update(id: string, v: unknown): Promise<unknown> } } }).whiteboard;
      const [first] = w.shapes.query();
      const codes: string[] = [];
      for (const attempt of [() => w.shapes.delete(first!.id), () => w.shapes.update(first!.id, { kind: 'pen', author: 'bob', color: '#000000', width: 1, points: [0, 0] })]) {
        await attempt().then(() => codes.push('done'), (e: { code: string }) => codes.push(e.code));
      }
      return codes;
    });
    expect(refused).toEqual([ErrorCode.RECORD_FORBIDDEN, ErrorCode.RECORD_FORBIDDEN]);
    // "Clear mine" on bob's page leaves alice's shapes too.
    await pb.click('#clear-mine');
    await pb.click('#redo');
    for (const p of [pa, pb]) await shapeCount(p, 4);
    expect((await authors(pa)).sort()).toEqual(['alice', 'alice', 'alice', 'bob']);
    await pb.click('#clear-mine');
    for (const p of [pa, pb]) await shapeCount(p, 3);
    await pb.click('#undo');
    for (const p of [pa, pb]) await shapeCount(p, 4);
  }, 120_000);

  it('a third process started later shows every shape', async () => {
    const carol = start('carol');
    const pc = await open(carol);
    await shapeCount(pc, 4);
    expect((await authors(pc)).sort()).toEqual(['alice', 'alice', 'alice', 'bob']);
    await expect.poll(async () => near(await pixel(pc, '#board', [140, 90]), RED), WAIT).toBe(true);
    await expect.poll(async () => near(await pixel(pc, '#board', [480, 160]), BLUE), WAIT).toBe(true);
  }, 120_000);

  it('kill -9 of a process and a restart: its new page shows the board again', async () => {
    await bob.kill('SIGKILL');
    await pb.locator('#status.gone').waitFor(WAIT);
    bob = start('bob');
    const again = await open(bob);
    await shapeCount(again, 4);
    expect((await authors(again)).sort()).toEqual(['alice', 'alice', 'alice', 'bob']);
    await expect.poll(async () => near(await pixel(again, '#board', [480, 160]), BLUE), WAIT).toBe(true);
    // Still bob: his own shape is his to undo (the same peer id came back from disk).
    const mine = await again.locator('#shapes li.mine').count();
    expect(mine).toBe(1);
    pb = again;
  }, 120_000);

  it('refuses a wrong token and a foreign Origin; garbage on the page socket closes it with a code and the peer keeps working', async () => {
    const url = await alice.url;
    const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token')!;
    expect((await socket(url, { token: 'f'.repeat(token.length) })).status).toBe(403);
    expect((await socket(url, { origin: 'http://evil.example' })).status).toBe(403);
    const wrong = await browser.newPage();
    pages.push(wrong);
    await wrong.goto(url.replace(/token=[0-9a-f]+/, `token=${'0'.repeat(token.length)}`));
    await wrong.locator('#status', { hasText: ErrorCode.GATEWAY_CLOSED }).waitFor(WAIT);

    const { ws } = await socket(url, {});
    const closed = new Promise<[number, string]>((r) => ws!.once('close', (code, reason) => r([code, reason.toString()])));
    ws!.send(Buffer.from('\xc1 this is not msgpack', 'latin1'));
    const [code, reason] = await closed;
    expect(code).toBe(GatewayCloseCode.BAD_MESSAGE);
    expect(reason.startsWith(ErrorCode.GATEWAY_BAD_MESSAGE)).toBe(true);

    await draw(pa, 'line', BLUE, 2, [[80, 450], [300, 470]]);
    for (const p of [pa, pb]) await shapeCount(p, 5);
    expect(await pa.locator('#status.online').count()).toBe(1);
  }, 120_000);

  it('exports the board as a PNG', async () => {
    const [download] = await Promise.all([pa.waitForEvent('download'), pa.click('#export')]);
    const file = join(dir, 'export.png');
    await download.saveAs(file);
    expect([...readFileSync(file).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(problems).toEqual([]);
  }, 60_000);
});

/** Writes one PNG of two pages side by side. */
async function sideBySide(left: Page, right: Page, path: string): Promise<void> {
  const shots = await Promise.all([left.screenshot(), right.screenshot()]);
  const canvas = await browser.newPage({ viewport: { width: 1780, height: 580 } });
  try {
    await canvas.setContent(`<body style="margin:0;background:#8a94a6;display:flex;gap:20px;padding:10px">${shots.map((s) => `<img src="data:image/png;base64,${s.toString('base64')}">`).join('')}</body>`);
    await canvas.waitForFunction(() => true);
    await canvas.screenshot({ path });
  } finally {
    await canvas.close();
  }
}
