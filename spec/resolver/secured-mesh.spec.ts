import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { PeerIdentity, PeerNode, localResolver, meshPeerName, securedMeshName, securedMeshOwner, staticResolver } from '../../lib/index.js';

const nodes: PeerNode[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.allSettled(nodes.splice(0).map((n) => n.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});
const open = async (...args: Parameters<typeof PeerNode.open>) => {
  const node = await PeerNode.open(...args);
  nodes.push(node);
  return node;
};

describe('secured mesh names', () => {
  const id = 'ab'.repeat(32);

  it('are <peer id>.<classifier>, and PNRP publishes them as the secured peer name of that peer id', () => {
    expect(securedMeshOwner(`${id}.presence`)).toBe(id);
    expect(securedMeshOwner(`net.p2p://${id.toUpperCase()}.x`)).toBe(id);
    expect(securedMeshOwner('lobby')).toBeUndefined();
    expect(securedMeshOwner(`${id.slice(2)}.short`)).toBeUndefined();
    expect(securedMeshOwner(id)).toBeUndefined();
    expect(securedMeshName(id, 'presence')).toBe(`${id}.presence`);
    expect(meshPeerName(`net.p2p://${id}.presence`)).toBe(`${id}.presence`);
    expect(meshPeerName('net.p2p://lobby')).toBe('0.lobby');
  });

  it('a node dials only the owner of what its resolver returns, and only the owner registers', async () => {
    const owner = PeerIdentity.generate();
    const mesh = `net.p2p://${owner.peerId}.room`;
    dir = await mkdtemp(join(tmpdir(), 'pc-secured-'));
    const local = localResolver({ directory: join(dir, 'resolver') });
    const ownerNode = await open(mesh, { identity: owner, resolver: local });
    // The impostor is a member of the same mesh name, and a lying resolver lists it first.
    const impostor = await open(mesh, { resolver: null });
    const liar = staticResolver([
      { peerId: impostor.peerId, addresses: impostor.addresses },
      { peerId: owner.peerId, addresses: ownerNode.addresses },
    ]);
    const visitor = await open(mesh, { resolver: liar });
    await firstValueFrom(visitor.status$.pipe(filter((s) => s === 'online')));
    expect((await firstValueFrom(visitor.neighbors$)).map((n) => n.peerId)).toEqual([owner.peerId]);
    expect(impostor.status).toBe('offline');
    // A visitor with the local resolver finds the owner and registers nothing itself.
    const second = await open(mesh, { resolver: localResolver({ directory: join(dir, 'resolver') }) });
    await firstValueFrom(second.status$.pipe(filter((s) => s === 'online')));
    const probe = localResolver({ directory: join(dir, 'resolver') })({ identity: PeerIdentity.generate(), createTransport: () => { throw new Error('unused'); } });
    try {
      expect((await probe.resolve(`${owner.peerId}.room`)).map((p) => p.peerId)).toEqual([owner.peerId]);
    } finally {
      await probe.close();
    }
  });
});
