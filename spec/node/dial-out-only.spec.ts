import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerIdentity, PeerNode, notFromSelf } from '../../lib/index.js';
import { localResolver } from '../../lib/resolver/local/index.js';
import { announcedAddresses, parseWssAddress } from '../../lib/transport/ws/address.js';
import { webSocketTransport } from '../../lib/transport/ws/index.js';
import { Chat } from '../helpers/contracts.js';
import { waitFor } from '../helpers/wait.js';

describe('a dial-out-only node (webSocketTransport({ listen: false }))', () => {
  const nodes: PeerNode[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('has no addresses, registers nothing, and takes part through the link it dials', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-dialout-'));
    const resolver = localResolver({ directory: dir });
    const listening = await PeerNode.open('net.p2p://out', { resolver, maintenanceIntervalMs: 100 });
    nodes.push(listening);
    const dialOut = await PeerNode.open('net.p2p://out', { resolver, transport: webSocketTransport({ listen: false }), maintenanceIntervalMs: 100 });
    nodes.push(dialOut);
    expect(dialOut.addresses).toEqual([]);
    await waitFor(() => dialOut.status === 'online' && listening.status === 'online', 'the dial-out-only node to link up', 15_000);
    const probe = localResolver({ directory: dir })({ identity: PeerIdentity.generate(), createTransport: () => webSocketTransport()({ identity: PeerIdentity.generate() }) });
    try {
      expect((await probe.resolve('out', { max: 10 })).map((p) => p.peerId)).toEqual([listening.peerId]);
    } finally {
      await probe.close();
    }
    const heard: string[] = [];
    dialOut.calls$(Chat, 'say').pipe(notFromSelf()).subscribe((c) => heard.push(c.args[1]));
    await listening.proxy(Chat).say('l', 'to the one behind NAT');
    await waitFor(() => heard.length === 1, 'the flood to reach the dial-out-only node', 10_000);
  });
});

describe('announcedAddresses', () => {
  const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean, scopeid = 0) =>
    ({ address, family, internal, scopeid, netmask: '', mac: '00:00:00:00:00:00', cidr: null }) as const;
  const interfaces = {
    lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
    eth0: [iface('10.77.0.10', 'IPv4', false), iface('fd77::a', 'IPv6', false), iface('fe80::1', 'IPv6', false, 2)],
  };

  it('leaves loopback and link-local out of a wildcard bind, so other hosts are never sent to themselves', () => {
    expect(announcedAddresses('0.0.0.0', 7000, interfaces)).toEqual(['wss://10.77.0.10:7000']);
    expect(announcedAddresses('::', 7000, interfaces)).toEqual(['wss://10.77.0.10:7000', 'wss://[fd77::a]:7000']);
  });

  it('falls back to loopback when the machine has nothing else, and keeps a specific host as given', () => {
    expect(announcedAddresses('0.0.0.0', 7000, { lo: interfaces.lo })).toEqual(['wss://127.0.0.1:7000']);
    expect(announcedAddresses('::', 7000, { lo: interfaces.lo })).toEqual(['wss://127.0.0.1:7000', 'wss://[::1]:7000']);
    expect(announcedAddresses('fd77::a', 7000, interfaces)).toEqual(['wss://[fd77::a]:7000']);
  });
});

describe('webSocketTransport advertise', () => {
  it('announces the given addresses instead of the bound ones, and rejects malformed ones', async () => {
    const t = webSocketTransport({ advertise: ['wss://203.0.113.7:8443'] })({ identity: PeerIdentity.generate() });
    try {
      expect(await t.listen()).toEqual(['wss://203.0.113.7:8443']);
      expect(t.addresses).toEqual(['wss://203.0.113.7:8443']);
    } finally {
      await t.close();
    }
    expect(() => webSocketTransport({ advertise: ['http://x:1'] })).toThrow(expect.objectContaining({ code: 'PC_ERR_INVALID_ARGUMENT' }));
    expect(() => webSocketTransport({ advertise: ['wss://x'] })).toThrow(expect.objectContaining({ code: 'PC_ERR_INVALID_ARGUMENT' }));
  });

  it('accepts port 443 written out, which URL parsing drops as the wss default', () => {
    expect(parseWssAddress('wss://peer.example:443')).toEqual({ host: 'peer.example', port: 443 });
    expect(parseWssAddress('wss://[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: 443 });
    expect(parseWssAddress('wss://peer.example')).toBeUndefined();
    expect(() => webSocketTransport({ advertise: ['wss://peer.example:443'] })).not.toThrow();
  });
});
