import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { type ContractClass, type ContractDescriptor, describeContract } from '../contracts/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { debugLog } from '../internal/debug-log.js';
import type { PeerNode } from '../node/peer-node.js';
import type { RecordClass, RecordCollection } from '../records/index.js';
import { type GatewayLimits, defaultGatewayLimits } from './gateway-limits.js';
import { type PageAsset, PageVendor, fileUnder } from './page-assets.js';
import { PageGuard } from './page-guard.js';
import { GATEWAY_PROTOCOL, GATEWAY_SOCKET_PATH, GatewayCloseCode } from './page-protocol.js';
import { PageSession } from './page-session.js';

const log = debugLog('gateway');

/** The page a gateway serves. */
export interface GatewayPage {
  /**
   * The HTML served at `/`. The gateway inserts, right after `<head>`, the import map (`rxjs`,
   * `rxjs/operators`, `msgpackr`, `reflect-metadata`, `peerchannel/browser` and
   * {@link GatewayPage.imports}) and the rxjs bundle, so the page's own module scripts can import
   * them by name.
   */
  readonly html: string;
  /**
   * A directory whose `.js`, `.css`, `.map`, `.png`, `.svg` files are served at `/…` (read-only;
   * no `..`, no dot files).
   * @defaultValue none
   */
  readonly root?: string;
  /**
   * More import-map entries (bare specifier → URL path), e.g. to map `peerchannel/browser` to a
   * copy under `root`.
   * @defaultValue none
   */
  readonly imports?: Readonly<Record<string, string>>;
}

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** The page served at `/` and its assets. */
  readonly page: GatewayPage;
  /**
   * Contracts pages may call (flood, directed, hop-limited, gathered) and watch (`calls$`).
   * @defaultValue none
   */
  readonly contracts?: readonly ContractClass[];
  /**
   * Record types pages may read, watch and write (through this node, as this node).
   * @defaultValue none
   */
  readonly records?: readonly RecordClass[];
  /**
   * Port on 127.0.0.1.
   * @defaultValue 0 (any free port)
   */
  readonly port?: number;
  /** Bounds on what pages send; see {@link GatewayLimits}. */
  readonly limits?: Partial<GatewayLimits>;
}

/** A running gateway; {@link Gateway.close} ends its server, page sockets and subscriptions. */
export interface Gateway {
  /** The page's URL, with the access token in its fragment (never sent in a request line). */
  readonly url: string;
  /** The TCP port it listens on (on 127.0.0.1): the one asked for, or the free one picked for 0. */
  readonly port: number;
  /** Pages connected now. */
  readonly pages: number;
  /**
   * Closes every page socket (close code `GOING_AWAY`), then the HTTP server. Idempotent: later
   * calls return the same promise. Does not stop the node.
   */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, asset?: PageAsset, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...(asset ? { 'content-type': asset.type } : {}), ...headers }).end(asset?.body);
}

/**
 * Serves a browser page for `node` on 127.0.0.1 and lets it act as a client-only peer through
 * the node: the page uses the same decorated contract and record classes as Node code, through
 * `peerchannel/browser`.
 *
 * @remarks
 * A browser cannot present a client certificate nor accept a self-signed one, so the page does
 * not join the mesh itself: its node calls, watches and writes for it (records a page writes are
 * signed by the node; pages do not host operations). Guarded by {@link PageGuard}: the token travels
 * in the URL fragment and the WebSocket subprotocol; `Host` and `Origin` must be this server's.
 * Every page message is decoded and checked like a peer frame (bytes, depth, counts, shape) and
 * rate-bounded; bytes queued toward a page are bounded. A bad page is closed with a 44xx code
 * and a `PC_ERR_GATEWAY_*` reason; the node and other pages carry on.
 * @throws PeerChannelError `PC_ERR_NOT_A_CONTRACT`/`PC_ERR_CONTRACT_*` for a bad contract,
 * `PC_ERR_RECORDS_DISABLED` when record types are given to a node without records,
 * `PC_ERR_INVALID_ARGUMENT` for a page without `<head>`.
 * @example
 * ```ts
 * const gateway = await startGateway(node, { page: { html, root }, contracts: [Chat], records: [Note] });
 * console.log(`open ${gateway.url}`);
 * ```
 */
export async function startGateway(node: PeerNode, options: GatewayOptions): Promise<Gateway> {
  const limits: GatewayLimits = { ...defaultGatewayLimits, ...options.limits };
  const contracts = new Map<string, ContractDescriptor>();
  for (const c of options.contracts ?? []) {
    const d = describeContract(c);
    contracts.set(d.name, d);
  }
  const records = new Map<string, RecordCollection<unknown>>();
  for (const r of options.records ?? []) {
    const collection = node.records(r as RecordClass<unknown>);
    records.set(collection.type, collection);
  }
  const vendor = await PageVendor.load();
  const head = vendor.head(options.page.imports ?? {});
  const at = options.page.html.search(/<head[^>]*>/i);
  if (at < 0) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'the gateway page needs a <head> element');
  const headEnd = options.page.html.indexOf('>', at) + 1;
  const html = options.page.html.slice(0, headEnd) + '\n' + head.html + options.page.html.slice(headEnd);
  const csp = `default-src 'self'; script-src 'self' 'sha256-${head.importMapHash}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'`;
  const guard = new PageGuard(GATEWAY_PROTOCOL, GATEWAY_SOCKET_PATH);

  const server: Server = createServer((req, res) => {
    if (!guard.hostOk(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`${ErrorCode.GATEWAY_REFUSED}: wrong Host`);
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405);
    if (path === '/' || path === '/index.html') return send(res, 200, { type: 'text/html; charset=utf-8', body: html }, { 'content-security-policy': csp });
    if (path === '/favicon.ico') return send(res, 204);
    const asset = vendor.get(path) ?? (options.page.root !== undefined ? fileUnder(options.page.root, path) : undefined);
    if (asset === undefined) return send(res, 404);
    send(res, 200, asset);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, handleProtocols: (p) => guard.selectProtocol(p) });
  const sessions = new Set<PageSession>();
  server.on('upgrade', (req, socket, head) => {
    const refused = guard.checkUpgrade(req) ?? (sessions.size >= limits.maxPages ? 'too many pages' : undefined);
    if (refused !== undefined) {
      log('refused a page socket: %s', refused);
      PageGuard.refuse(socket, `${ErrorCode.GATEWAY_REFUSED}: ${refused}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session: PageSession = new PageSession(ws, { node, meshName: node.meshName, contracts, records, limits }, () => sessions.delete(session));
      sessions.add(session);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  guard.listening(port);
  log('gateway on http://127.0.0.1:%d/', port);
  let closing: Promise<void> | undefined;
  return {
    url: guard.url,
    port,
    get pages() {
      return sessions.size;
    },
    close() {
      closing ??= (async () => {
        for (const s of [...sessions]) s.closeWith(GatewayCloseCode.GOING_AWAY, new PeerChannelError(ErrorCode.CLOSED, 'the gateway is closing'));
        sessions.clear();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      })();
      return closing;
    },
  };
}
