import { readFileSync } from 'node:fs';
import { type Server, type ServerResponse, createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { type WebSocket, WebSocketServer } from 'ws';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import { debugLog } from '../../internal/debug-log.js';
import { PageGuard } from '../../gateway/page-guard.js';
import { pageBuildDir } from '../../gateway/page-assets.js';
import type { PeerNode } from '../../node/peer-node.js';
import { TokenBucket } from '../token-bucket.js';
import { inspectorPage } from './inspector-page.js';

const log = debugLog('inspector');

/** Options of {@link startInspector}. */
export interface InspectorOptions {
  /**
   * Port on 127.0.0.1.
   * @defaultValue 0 (any free port)
   */
  readonly port?: number;
  /**
   * How often the mesh view is gathered again while a page is open, in ms.
   * @defaultValue 2_000
   */
  readonly refreshMs?: number;
  /**
   * Pages connected at once; one more is refused.
   * @defaultValue 8
   */
  readonly maxClients?: number;
}

/** A running inspector; {@link Inspector.close} ends its server, sockets and timers. */
export interface Inspector {
  /** The page's URL, with the access token in its fragment (never sent in a request line). */
  readonly url: string;
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Stops the server and closes every page's socket; idempotent. */
  close(): Promise<void>;
}

/** Largest message a page may send, in bytes. */
export const MAX_PAGE_MESSAGE_BYTES = 1_024;
/** Messages a page may send a second (burst 20); past it the socket closes with 1008. */
export const PAGE_MESSAGES_PER_SECOND = 10;
const PROTOCOL = 'peerchannel.inspector';

function pageDir(): string {
  // The browser compile (tsconfig.page.json) mirrors the source tree under dist/page.
  return join(pageBuildDir(), 'lib', 'observe', 'inspector', 'page');
}

function vendorFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const files = new Map<string, string>();
  for (const name of ['d3-force', 'd3-dispatch', 'd3-quadtree', 'd3-timer']) {
    // Each package's `exports` default is its ES module build (dist/<name>.mjs).
    files.set(`/vendor/${name}.mjs`, require.resolve(name));
  }
  return files;
}

/**
 * Serves the live mesh inspector for `node` on 127.0.0.1: a page that draws the mesh graph
 * (d3-force layout), each node's counters, and the trees of the messages this node traced.
 *
 * @remarks
 * Guarded like the browser gateway: a random token travels only in the URL fragment and in the
 * WebSocket subprotocol; every request must name this server in `Host` (no DNS rebinding) and
 * the WebSocket's `Origin` must be the page's own. The page gets data only over that socket; its
 * messages are bounded in size (`MAX_PAGE_MESSAGE_BYTES`, 1 KiB) and rate
 * (`PAGE_MESSAGES_PER_SECOND`, 10 a second), and a bad one closes the socket. It closes when `node`
 * closes (or by {@link Inspector.close}).
 */
export async function startInspector(node: PeerNode, options: InspectorOptions = {}): Promise<Inspector> {
  const guard = new PageGuard(PROTOCOL);
  const refreshMs = options.refreshMs ?? 2_000;
  const maxClients = options.maxClients ?? 8;
  const dir = pageDir();
  const vendor = vendorFiles();

  const serveFile = (res: ServerResponse, file: string, type: string) => {
    try {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(readFileSync(file));
    } catch (error) {
      res.writeHead(500).end(`inspector page missing (run npm run build): ${toPeerChannelError(error).message}`);
    }
  };
  const server: Server = createServer((req, res) => {
    if (!guard.hostOk(req)) {
      res.writeHead(403).end(`${ErrorCode.INSPECTOR_REFUSED}: wrong Host`);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const headers = { 'content-security-policy': "default-src 'self'; script-src 'self' 'sha256-" + inspectorPage.importMapHash + "'; style-src 'self' 'unsafe-inline'; connect-src 'self'" };
    if (req.method !== 'GET') res.writeHead(405).end();
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(inspectorPage.html);
    else if (path === '/favicon.ico') res.writeHead(204).end();
    else if (path === '/app.js') serveFile(res, join(dir, 'app.js'), 'text/javascript');
    else if (path !== undefined && vendor.has(path)) serveFile(res, vendor.get(path) as string, 'text/javascript');
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAGE_MESSAGE_BYTES,
    handleProtocols: (protocols) => guard.selectProtocol(protocols),
  });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const refused = guard.checkUpgrade(req) ?? (clients.size >= maxClients ? 'too many pages' : undefined);
    if (refused !== undefined) {
      log('refused a socket: %s', refused);
      PageGuard.refuse(socket, ErrorCode.INSPECTOR_REFUSED);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onClient(ws));
  });

  let timer: NodeJS.Timeout | undefined;
  let gathering = false;
  const send = (ws: WebSocket, message: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const refresh = async () => {
    if (gathering || clients.size === 0) return;
    gathering = true;
    try {
      const view = await node.meshView({ timeoutMs: Math.min(1_000, refreshMs) });
      for (const ws of clients) send(ws, { type: 'view', self: node.peerId, view, traces: node.traces() });
    } catch (error) {
      log('mesh view failed: %s', toPeerChannelError(error).message);
    } finally {
      gathering = false;
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      void refresh().finally(() => {
        if (clients.size > 0) schedule();
        else timer = undefined;
      });
    }, refreshMs);
  };

  const onClient = (ws: WebSocket) => {
    clients.add(ws);
    const bucket = new TokenBucket(PAGE_MESSAGES_PER_SECOND, 2 * PAGE_MESSAGES_PER_SECOND);
    let watching: Subscription | undefined;
    const watch = (id: string) => {
      watching?.unsubscribe();
      watching = undefined;
      try {
        watching = node.trace(id).subscribe({ next: (trace) => send(ws, { type: 'trace', trace }), error: () => undefined });
      } catch (error) {
        send(ws, { type: 'error', ...toPeerChannelError(error).toWire() });
      }
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary || !bucket.take()) {
        ws.close(1008, isBinary ? 'text only' : 'too many messages');
        return;
      }
      try {
        const m = JSON.parse(data.toString()) as unknown;
        if (typeof m !== 'object' || m === null) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'not an object');
        const { type, id } = m as { type?: unknown; id?: unknown };
        if (type === 'refresh') void refresh();
        else if (type === 'trace' && typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)) watch(id);
        else if (type === 'probe') {
          void node.probe('inspector').then(
            (probeId) => {
              watch(probeId);
              send(ws, { type: 'traces', traces: node.traces() });
            },
            (error: unknown) => send(ws, { type: 'error', ...toPeerChannelError(error).toWire() }),
          );
        } else throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'unknown message');
      } catch (error) {
        const e = toPeerChannelError(error, ErrorCode.INVALID_ARGUMENT);
        send(ws, { type: 'error', ...e.toWire() });
        if (e.code === ErrorCode.INVALID_ARGUMENT) ws.close(1008, 'bad message');
      }
    });
    ws.on('close', () => {
      watching?.unsubscribe();
      clients.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    void refresh();
    if (timer === undefined) schedule();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  guard.listening(port);
  const url = guard.url;
  log('inspector on http://127.0.0.1:%d/', port);
  let closing: Promise<void> | undefined;
  let ended: Subscription | undefined;
  const inspector: Inspector = {
    url,
    port,
    close() {
      closing ??= (async () => {
        ended?.unsubscribe();
        clearTimeout(timer);
        timer = undefined;
        for (const ws of clients) ws.terminate();
        clients.clear();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      })();
      return closing;
    },
  };
  // The node's status stream completes when it closes: the inspector goes with it.
  ended = node.status$.subscribe({ complete: () => void inspector.close() });
  return inspector;
}
