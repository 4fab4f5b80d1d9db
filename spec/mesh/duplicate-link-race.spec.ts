import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { PeerNode } from '../../lib/node/peer-node.js';
import { webSocketTransport } from '../../lib/transport/ws/index.js';
import { Chat } from '../helpers/contracts.js';
import { gatedTransport } from '../helpers/gated-transport.js';
import { waitFor } from '../helpers/wait.js';

let nodes: PeerNode[] = [];
afterEach(async () => {
  await Promise.allSettled(nodes.map((n) => n.close()));
  nodes = [];
});

const fixed = { resolver: null, neighbors: { min: 0, ideal: 0, max: 7 }, maintenanceIntervalMs: 60_000, mesh: { exploreIntervalMs: 0 } } as const;

describe('duplicate links (TLS WebSockets)', () => {
  it('a flood sent on the losing link while the other side already moved to the winner is delivered, not lost', async () => {
    // `low` has the lower peer id, so the link it dials wins the duplicate-link rule on both sides.
    const [lowId, highId] = [PeerIdentity.generate(), PeerIdentity.generate()].sort((x, y) => (x.peerId < y.peerId ? -1 : 1)) as [PeerIdentity, PeerIdentity];
    const lowT = gatedTransport(webSocketTransport());
    const highT = gatedTransport(webSocketTransport());
    const low = await PeerNode.open('net.p2p://dup', { ...fixed, identity: lowId, transport: lowT.factory });
    const high = await PeerNode.open('net.p2p://dup', { ...fixed, identity: highId, transport: highT.factory });
    nodes.push(low, high);
    const heard: string[] = [];
    high.calls$(Chat, 'say').subscribe((m) => heard.push(m.args[1]));
    low.calls$(Chat, 'say').subscribe();

    // 1. high dials low: the losing link, taken by both sides.
    await high.connect(low.addresses[0] as string, low.peerId);
    await waitFor(() => low.status === 'online', 'low has the losing link');
    const losing = highT.links.find((l) => l.direction === 'outbound');
    expect(losing).toBeDefined();

    // 2. low dials high, but low hears nothing on that link (the welcome waits): high takes the
    //    winner and retires the losing link at once; low still sends on the losing one.
    lowT.onDial = (g) => g.hold();
    const dialing = low.connect(high.addresses[0] as string, high.peerId);
    await firstValueFrom(high.neighbors$.pipe(filter((ns) => ns.some((n) => n.peerId === low.peerId && n.direction === 'inbound'))));
    const winner = lowT.links.find((l) => l.direction === 'outbound');
    await waitFor(() => (winner?.heldFrames ?? 0) > 0, 'the welcome on the winning link is held at low');

    await low.proxy(Chat).say('low', 'sent on the losing link');

    // 3. low learns of the winner; both retire the losing link, which then closes.
    winner?.release();
    await dialing;
    expect(await losing!.closed).toMatchObject({ code: 'PC_ERR_DUPLICATE_LINK' });
    expect(heard).toContain('sent on the losing link');
    // The winner carries everything from now on.
    await low.proxy(Chat).say('low', 'on the winner');
    await waitFor(() => heard.includes('on the winner'), 'a flood over the winning link');
    const [info] = await firstValueFrom(low.neighbors$);
    expect(info).toMatchObject({ peerId: high.peerId, direction: 'outbound' });
  });
});
