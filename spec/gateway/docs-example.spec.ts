import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Gateway, PeerNode, pageBuildDir, startGateway } from '../../lib/index.js';
import { waitFor } from '../helpers/wait.js';
import { Chat, Note } from './fixtures/docs-contract.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// docs:begin node
class ChatService {
  say(from: string, text: string): void {
    console.log(`${from}: ${text}`);
  }
  whois(): Promise<string> {
    return Promise.resolve('alice');
  }
}

async function serve(node: PeerNode): Promise<Gateway> {
  node.host(Chat, ChatService);
  const gateway = await startGateway(node, {
    contracts: [Chat], // what pages may call and watch
    records: [Note], // what pages may read and write (as this node)
    page: {
      html: '<!doctype html><html><head><title>chat</title></head><body><script type="module" src="/spec/gateway/page/docs-page.js"></script></body></html>',
      root: pageBuildDir(), // the browser build (tsconfig.page.json): page, contract, lib/browser
      imports: { 'peerchannel/browser': '/lib/browser/index.js' }, // one module tree with the contract
    },
  });
  console.log(`open ${gateway.url}`); // http://127.0.0.1:<port>/#token=…
  return gateway;
}
// docs:end

function block(file: string, name: string): string {
  const source = readFileSync(file, 'utf8');
  const start = source.indexOf(`// docs:begin${name ? ` ${name}` : ''}\n`);
  return source.slice(source.indexOf('\n', start) + 1, source.indexOf('// docs:end', start)).trim();
}

describe('docs/gateway.md', () => {
  it('shows the contract, the node and the page of this spec verbatim', () => {
    const doc = readFileSync('docs/gateway.md', 'utf8');
    expect(doc).toContain(block('spec/gateway/fixtures/docs-contract.ts', 'contract'));
    expect(doc).toContain(block(new URL(import.meta.url).pathname, 'node'));
    expect(doc).toContain(block('spec/gateway/page/docs-page.ts', 'page'));
  });

  it('the example runs in Chromium: the page floods, asks, gathers and writes a record', async () => {
    const node = await PeerNode.open('net.p2p://docs-gateway', { resolver: null, records: { storage: 'memory', types: [Note] } });
    cleanups.push(() => node.close());
    const heard: string[] = [];
    node.calls$(Chat, 'say').subscribe((c) => heard.push(c.args[1]));
    const gateway = await serve(node);
    cleanups.push(() => gateway.close());
    // Playwright gives a launched browser a fresh temporary profile of its own.
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(gateway.url);
    await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title.startsWith('done'), null, { timeout: 30_000 });
    expect(errors).toEqual([]);
    await waitFor(() => heard.includes('hello from a browser'), 'the page flood at the node', 10_000);
    expect(node.records(Note).query().map((r) => r.value.text)).toEqual(['alice was here']);
  }, 90_000);
});
