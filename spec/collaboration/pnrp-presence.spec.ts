import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import {
  ErrorCode, PeerIdentity, PresenceStatus, type PnrpResolver, type ResolverFactory, meshPeerName, pnrpResolver, webSocketTransport,
} from '../../lib/index.js';
import { signRecord } from '../../lib/entries/pnrp.js';
import { presenceMeshAddress } from '../../lib/collaboration/people-meshes.js';
import { signedBytes, type PnrpRecord } from '../../lib/resolver/pnrp/record.js';
import type { PnrpContact, PnrpRequest, PnrpResponse } from '../../lib/resolver/pnrp/protocol.js';
import { pnrpLimits } from '../../lib/resolver/pnrp/pnrp-limits.js';
import { People } from './fixtures.js';

let people: People | undefined;
const standalone: PnrpResolver[] = [];
afterEach(async () => {
  await people?.close();
  people = undefined;
  await Promise.allSettled(standalone.splice(0).map((r) => r.close()));
});

/** A PNRP node of its own on real TLS WebSockets on 127.0.0.1. */
async function pnrpNode(seeds: readonly string[], identity = PeerIdentity.generate()): Promise<PnrpResolver> {
  const r = pnrpResolver({ seeds })({ identity, createTransport: () => webSocketTransport()({ identity }) }) as PnrpResolver;
  standalone.push(r);
  await r.start();
  return r;
}

describe("a contact's presence found anywhere through PNRP, under a secured peer name", () => {
  it('is found through the cloud; an impostor record for the name is refused by every node and never resolves', async () => {
    const seed = await pnrpNode([]);
    const seeds = seed.addresses;
    const made: PnrpResolver[] = [];
    const resolver: ResolverFactory = (components) => {
      const r = pnrpResolver({ seeds })(components) as PnrpResolver;
      made.push(r);
      return r;
    };
    people = new People();
    const alice = await people.add('Alice', { node: { resolver } });
    const bob = await people.add('Bob', { node: { resolver } });
    await people.befriend(alice, bob);
    const aliceId = alice.identity.peerId;
    const name = meshPeerName(presenceMeshAddress(aliceId));
    expect(name).toBe(`${aliceId}.presence`); // secured: its authority is Alice's peer id

    const watched = bob.collab.presence$(aliceId);
    await firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Online)));

    // Mallory, in the same cloud, signs a record for Alice's presence name pointing at herself.
    const malloryId = PeerIdentity.generate();
    const mallory = await pnrpNode(seeds, malloryId);
    const mnode = mallory.node!;
    const base = signRecord(malloryId, {
      cloud: 'global', name: '0.placeholder', serviceLocation: 'ab'.repeat(16), endpoint: { peerId: mnode.contact.peerId, addresses: mallory.addresses },
      version: Date.now(), expiresAt: Date.now() + 60_000,
    }, pnrpLimits());
    const body = { ...base, name };
    const spoof: PnrpRecord = { ...body, signature: malloryId.sign(signedBytes(body)) };
    // She pushes it at every node of the cloud, skipping her own checks: each refuses it.
    const targets: PnrpContact[] = [seed, ...made].map((r) => r.node!.contact);
    const refusals = await Promise.all(targets.map((c) => mnode.rpc.request(c, { op: 'store', record: spoof }).then(() => 'stored', (e: { code: string }) => e.code)));
    expect(new Set(refusals)).toEqual(new Set([ErrorCode.NAME_NOT_OWNED]));

    // And she slips it into every answer she gives; a node that asks her drops it.
    const honest = mnode.handleRequest.bind(mnode);
    mnode.handleRequest = (from: PnrpContact, cloud: string, request: PnrpRequest): PnrpResponse => {
      const answer = honest(from, cloud, request);
      return answer.op === 'found' ? { ...answer, records: [...answer.records, spoof] } : answer;
    };
    const probe = await pnrpNode(mallory.addresses); // knows the cloud through Mallory only: asks her first
    const found = await probe.node!.resolve(name);
    expect(found.rejected[ErrorCode.NAME_NOT_OWNED]).toBeGreaterThan(0);
    expect(found.records.map((v) => v.record.endpoint.peerId)).toEqual([aliceId]);
    expect((await probe.resolve(presenceMeshAddress(aliceId))).map((p) => p.peerId)).toEqual([aliceId]);

    await alice.collab.setPresence(PresenceStatus.Busy, 'via pnrp');
    expect(await firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Busy)))).toEqual({ peerId: aliceId, status: PresenceStatus.Busy, note: 'via pnrp' });

    // Once Alice is gone her name resolves to nobody, never to the impostor.
    const offline = firstValueFrom(watched.pipe(filter((p) => p.status === PresenceStatus.Offline)));
    await alice.collab.close();
    await offline;
    expect(await probe.resolve(presenceMeshAddress(aliceId))).toEqual([]);
  });
});
