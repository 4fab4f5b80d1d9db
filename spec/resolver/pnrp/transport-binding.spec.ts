import { afterEach, describe, expect, it } from 'vitest';
import { encodeExtensionFrame } from '../../../lib/codec/frames.js';
import { pack, unpack } from '../../../lib/codec/packr.js';
import { ErrorCode } from '../../../lib/errors/index.js';
import { PeerIdentity } from '../../../lib/identity/peer-identity.js';
import { pnrpResolver, type PnrpResolver, type PnrpResolverOptions } from '../../../lib/resolver/pnrp/pnrp-resolver.js';
import { defaultPnrpLimits } from '../../../lib/resolver/pnrp/pnrp-limits.js';
import { PnrpTransportBinding } from '../../../lib/resolver/pnrp/transport-binding.js';
import { PNRP_FRAME_KIND } from '../../../lib/resolver/pnrp/wire.js';
import { MemoryNetwork, memoryTransport } from '../../../lib/transport/memory/index.js';
import type { Link, LinkCloseInfo, Transport } from '../../../lib/transport/transport.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise.finally(() => clearTimeout(timer)), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)))]);
}

function node(net: MemoryNetwork, options: PnrpResolverOptions = {}): { resolver: PnrpResolver; identity: PeerIdentity } {
  const identity = PeerIdentity.generate();
  const resolver = pnrpResolver(options)({ identity, createTransport: () => memoryTransport(net)({ identity }) }) as PnrpResolver;
  open.push(resolver);
  return { resolver, identity };
}

function rawTransport(net: MemoryNetwork, identity = PeerIdentity.generate()): { transport: Transport; identity: PeerIdentity } {
  const transport = memoryTransport(net)({ identity });
  open.push(transport);
  return { transport, identity };
}

const request = (id: number, from: PeerIdentity, op: unknown[], cloud = 'global') => encodeExtensionFrame(PNRP_FRAME_KIND, [0, id, [cloud, from.peerId, [], ...op]]);

function nextFrame(link: Link): Promise<Uint8Array> {
  return within(new Promise((resolve) => link.setReceiver(resolve)), 5000, 'reply');
}

describe('PNRP over a Transport (memory)', () => {
  it('lets nodes that know only a seed address find each other and each other’s registrations', async () => {
    const net = new MemoryNetwork();
    const first = node(net);
    const seeds = await first.resolver.start();
    expect(seeds).toEqual(first.resolver.addresses);
    const others = Array.from({ length: 5 }, () => node(net, { seeds }));
    for (const o of others) await o.resolver.start();
    for (const [i, o] of others.entries()) await o.resolver.register('room', { peerId: o.identity.peerId, addresses: [`wss://10.0.0.${i}:1`] });
    for (const o of [first, ...others]) {
      const found = await o.resolver.resolve('net.p2p://room');
      expect(new Set(found.map((p) => p.peerId))).toEqual(new Set(others.map((x) => x.identity.peerId)));
      expect(o.resolver.node?.cache.size).toBeGreaterThanOrEqual(5);
    }
    const secured = `${first.identity.peerId}.profile`;
    await first.resolver.publish(secured, { payload: new TextEncoder().encode('hello') });
    const [record] = await (others[4] as { resolver: PnrpResolver }).resolver.resolveName(secured);
    expect(new TextDecoder().decode(record?.record.payload)).toBe('hello');
    await expect(others[0]?.resolver.publish(secured) as Promise<unknown>).rejects.toMatchObject({ code: ErrorCode.NAME_NOT_OWNED });
  });

  it('keeps clouds apart on one network', async () => {
    const net = new MemoryNetwork();
    const a = node(net, { cloud: 'a' });
    const seedsA = await a.resolver.start();
    const b = node(net, { cloud: 'b' });
    const seedsB = await b.resolver.start();
    const a2 = node(net, { cloud: 'a', seeds: seedsA });
    // A node of cloud b given a seed of cloud a reaches nobody: the seed refuses its requests.
    const confused = node(net, { cloud: 'b', seeds: [...seedsA, ...seedsB] });
    await a2.resolver.register('shared', { peerId: a2.identity.peerId, addresses: ['x://a2'] });
    await confused.resolver.register('shared', { peerId: confused.identity.peerId, addresses: ['x://b2'] });
    expect((await a.resolver.resolve('shared')).map((p) => p.peerId)).toEqual([a2.identity.peerId]);
    expect((await b.resolver.resolve('shared')).map((p) => p.peerId)).toEqual([confused.identity.peerId]);
    expect(a.resolver.node?.stats.requestsServed).toBeGreaterThan(0);
    expect(confused.resolver.node?.cache.contacts().map((c) => c.peerId)).toEqual([b.identity.peerId]);
  });

  it('answers a well-formed request from a raw link', async () => {
    const net = new MemoryNetwork();
    const server = node(net);
    const [address] = await server.resolver.start();
    const { transport, identity } = rawTransport(net);
    await transport.listen();
    const link = await transport.dial(address as string);
    const reply = nextFrame(link);
    link.send(request(7, identity, [1]));
    expect(await reply).toEqual(encodeExtensionFrame(PNRP_FRAME_KIND, [1, 7, [1, server.identity.peerId, [...(server.resolver.addresses as string[])]]]));
    const failure = nextFrame(link);
    link.send(request(8, identity, [1], 'elsewhere'));
    expect(await failure).toEqual(encodeExtensionFrame(PNRP_FRAME_KIND, [2, 8, [ErrorCode.WRONG_CLOUD, 'this node serves cloud global']]));
  });

  it('closes only the link that sends a bad frame, with a coded reason', async () => {
    const net = new MemoryNetwork();
    const server = node(net);
    const [address] = await server.resolver.start();
    const honest = node(net, { seeds: [address as string] });
    await honest.resolver.register('steady', { peerId: honest.identity.peerId, addresses: ['x://1'] });
    const stranger = PeerIdentity.generate();
    const bad: [string, Uint8Array, string][] = [
      ['not msgpack', Uint8Array.of(0xc1, 0xc1), ErrorCode.FRAME_DECODE],
      ['core frame kind', pack([10, null, 0, new Uint8Array(1), null]), ErrorCode.FRAME_UNEXPECTED],
      ['another extension', encodeExtensionFrame(40, [0, 1, []]), ErrorCode.FRAME_UNEXPECTED],
      ['bad envelope', encodeExtensionFrame(PNRP_FRAME_KIND, [0, -1, []]), ErrorCode.FRAME_SHAPE],
      ['unknown op', encodeExtensionFrame(PNRP_FRAME_KIND, [0, 1, ['global', 'x', [], 9]]), ErrorCode.FRAME_SHAPE],
      ['too many records wanted', encodeExtensionFrame(PNRP_FRAME_KIND, [0, 1, ['global', 'x', [], 2, '0'.repeat(64), null, 10_000]]), ErrorCode.FRAME_SHAPE],
      ['bad record', encodeExtensionFrame(PNRP_FRAME_KIND, [0, 1, ['global', 'x', [], 3, ['global', '0.x']]]), ErrorCode.FRAME_SHAPE],
      ['too many addresses', encodeExtensionFrame(PNRP_FRAME_KIND, [0, 1, ['global', 'x', Array.from({ length: 17 }, () => 'a'), 1]]), ErrorCode.FRAME_SHAPE],
      ['oversized frame', encodeExtensionFrame(PNRP_FRAME_KIND, [0, 1, ['global', 'x', [], 1, new Uint8Array(70_000)]]), ErrorCode.FRAME_TOO_LARGE],
      ['sender not the authenticated peer', request(1, stranger, [1]), ErrorCode.PEER_ID_MISMATCH],
    ];
    for (const [what, frame, code] of bad) {
      const { transport } = rawTransport(net);
      const link = await transport.dial(address as string);
      link.send(frame);
      const info: LinkCloseInfo = await within(link.closed, 5000, what);
      expect({ what, code: info.code }).toEqual({ what, code });
    }
    expect(server.resolver.node).toBeDefined();
    expect((await honest.resolver.resolve('steady')).map((p) => p.peerId)).toEqual([honest.identity.peerId]);
    const extra = node(net, { seeds: [address as string] });
    expect((await extra.resolver.resolve('steady')).map((p) => p.peerId)).toEqual([honest.identity.peerId]);
  });

  it('closes a link that floods requests past its rate, and serves the others', async () => {
    const net = new MemoryNetwork();
    const server = node(net, { binding: { maxRequestsPerSecond: 10, requestBurst: 20 } });
    const [address] = await server.resolver.start();
    const { transport, identity } = rawTransport(net);
    const link = await transport.dial(address as string);
    const replies: Uint8Array[] = [];
    link.setReceiver((frame) => replies.push(frame));
    for (let id = 0; id < 200; id += 1) link.send(request(id, identity, [1]));
    expect((await within(link.closed, 5000, 'flood close')).code).toBe(ErrorCode.LIMIT_EXCEEDED);
    expect(replies.length).toBeGreaterThanOrEqual(20);
    expect(replies.length).toBeLessThan(200);
    const polite = rawTransport(net);
    const other = await polite.transport.dial(address as string);
    const reply = nextFrame(other);
    other.send(request(1, polite.identity, [1]));
    expect((unpack(await reply) as unknown[])[1]).toEqual([1, 1, [1, server.identity.peerId, [address]]]);
  });

  it('times out, aborts, and rejects replies that break bounds or answer the wrong question', async () => {
    const net = new MemoryNetwork();
    // A scripted node: answers each request with whatever `script` returns for its id (nothing: no answer).
    const scripted = rawTransport(net);
    const [address] = await scripted.transport.listen();
    let script: (id: number) => unknown[] | undefined = () => undefined;
    scripted.transport.inbound$.subscribe((link) =>
      link.setReceiver((frame) => {
        const [, [, id]] = unpack(frame) as [number, [number, number, unknown[]]];
        const reply = script(id);
        if (reply !== undefined) link.send(encodeExtensionFrame(PNRP_FRAME_KIND, reply));
      }),
    );
    const me = rawTransport(net);
    const binding = new PnrpTransportBinding(me.transport, { cloud: 'global', peerId: me.identity.peerId, limits: defaultPnrpLimits, requestTimeoutMs: 150 });
    open.push(binding);
    await binding.listen({ handleRequest: () => ({ op: 'stored' }) });
    const contact = binding.contactOf(scripted.identity.peerId, [address as string]);
    const find = { op: 'find', target: '0'.repeat(64), nameId: null, maxRecords: 0 } as const;

    await expect(binding.request(contact, { op: 'ping' })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    const controller = new AbortController();
    const aborted = binding.request(contact, { op: 'ping' }, controller.signal);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: ErrorCode.ABORTED });

    script = (id) => [2, id, [ErrorCode.LIMIT_EXCEEDED, 'record store is full']];
    await expect(binding.request(contact, find)).rejects.toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED, message: 'record store is full' });
    script = (id) => [1, id, [2, [[scripted.identity.peerId.slice(0, 8), ['memory://x']]], []]];
    expect(await binding.request(contact, find)).toMatchObject({ op: 'found', contacts: [{ peerId: scripted.identity.peerId.slice(0, 8), addresses: ['memory://x'] }], records: [] });
    expect(binding.openLinks).toBe(1);

    script = (id) => [1, id + 1000, [3]];
    await expect(binding.request(contact, { op: 'ping' })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    expect(binding.stats.lateReplies).toBe(1);
    expect(binding.openLinks).toBe(1);

    script = (id) => [1, id, [2, Array.from({ length: 21 }, (_, i) => [`p${i}`, []]), []]];
    await expect(binding.request(contact, find)).rejects.toMatchObject({ code: ErrorCode.UNREACHABLE });
    expect(binding.stats.linksClosed[ErrorCode.FRAME_SHAPE]).toBe(1);
    script = (id) => [1, id, [1, scripted.identity.peerId, []]];
    await expect(binding.request(contact, find)).rejects.toMatchObject({ code: ErrorCode.UNREACHABLE });
    expect(binding.stats.linksClosed[ErrorCode.FRAME_UNEXPECTED]).toBe(1);
    script = (id) => [1, id, [1, PeerIdentity.generate().peerId, []]];
    await expect(binding.request(contact, { op: 'ping' })).rejects.toMatchObject({ code: ErrorCode.UNREACHABLE });
    expect(binding.stats.linksClosed[ErrorCode.PEER_ID_MISMATCH]).toBe(1);
  });

  it('rejects everything after close, and closes its transport', async () => {
    const net = new MemoryNetwork();
    const a = node(net);
    const [address] = await a.resolver.start();
    await a.resolver.close();
    await expect(a.resolver.resolve('x')).rejects.toMatchObject({ code: ErrorCode.CLOSED });
    const { transport } = rawTransport(net);
    await expect(transport.dial(address as string)).rejects.toMatchObject({ code: ErrorCode.DIAL_FAILED });
  });
});
