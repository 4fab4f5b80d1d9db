import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** A parsed `wss://host:port` address. */
export interface WssTarget {
  /** Host without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
}

/** Formats `wss://127.0.0.1:PORT` or `wss://[::1]:PORT`. */
export function formatWssAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `wss://[${host}]:${port}` : `wss://${host}:${port}`;
}

/** Parses a dialable address; `undefined` unless it is `wss://host:port` with nothing else. */
export function parseWssAddress(address: string): WssTarget | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    // Not a URL at all: the caller reports it as an undialable address.
    return undefined;
  }
  // URL drops a port equal to the scheme's default, so `wss://host:443` has `port === ''`.
  const explicit443 = url.port === '' && /^wss:\/\/(\[[^\]]*\]|[^/:?#@]+):443\/?$/i.test(address);
  if (url.protocol !== 'wss:' || (url.port === '' && !explicit443) || url.username !== '' || url.password !== '') return undefined;
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') return undefined;
  const port = explicit443 ? 443 : Number(url.port);
  if (!(port > 0 && port <= 65_535)) return undefined;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return host === '' ? undefined : { host, port };
}

/** True for the wildcard listen addresses. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || (isIP(host) === 6 && /^[0:]+$/.test(host));
}

/**
 * The addresses to announce for a listener bound to `host`: the host itself, or for a wildcard
 * bind every local interface address of the matching families (`'::'` is dual-stack).
 *
 * @remarks Loopback addresses are left out of a wildcard's list unless the machine has no other:
 * another host that dials `127.0.0.1` reaches itself, never this one. IPv6 link-local addresses
 * are left out too (they need a zone id that means nothing to the dialer).
 */
export function announcedAddresses(host: string, port: number, interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] {
  if (!isWildcard(host)) return [formatWssAddress(host, port)];
  const wantV6 = host !== '0.0.0.0';
  const external: string[] = [];
  const internal: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family === 'IPv6' && (!wantV6 || info.scopeid !== 0)) continue;
      (info.internal ? internal : external).push(formatWssAddress(info.address, port));
    }
  }
  return external.length > 0 ? external : internal;
}
