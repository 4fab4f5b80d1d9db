/**
 * A short tour of PeerChannel: five peers in one process on the memory transport, a typed
 * contract, a flood, a hop-limited flood, a directed call with a reply, and gathered replies.
 * Run it with `npm run demo`.
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { firstValueFrom, toArray } from 'rxjs';
import { MemoryNetwork, memoryTransport } from '../../lib/entries/testing.js';
import { PEER_NODE, PeerContract, PeerNode, PeerOperation, contractStub, currentCall } from '../../lib/index.js';

@PeerContract('greeter')
class Greeter {
  @PeerOperation() hello(from: string, text: string): void {
    void from; void text;
  }
  @PeerOperation({ reply: true }) name(): Promise<string> {
    return contractStub();
  }
}

@injectable()
class GreeterService implements Greeter {
  constructor(@inject(PEER_NODE) private readonly node: PeerNode) {}
  hello(from: string, text: string): void {
    const call = currentCall();
    console.log(`  ${short(this.node.peerId)} got "${text}" from ${from} after ${call.hops} hop(s)`);
  }
  async name(): Promise<string> {
    return short(this.node.peerId);
  }
}

function short(id: string): string {
  return id.slice(0, 8);
}

const net = new MemoryNetwork();
const nodes = await Promise.all(
  Array.from({ length: 5 }, () => PeerNode.open('net.p2p://demo', { transport: memoryTransport(net), resolver: null })),
);
for (const n of nodes) n.host(Greeter, GreeterService);
// A line: 0 - 1 - 2 - 3 - 4
for (let i = 0; i < 4; i++) await nodes[i]!.connect(nodes[i + 1]!.addresses[0] as string);
await new Promise((r) => setTimeout(r, 20));
console.log(`five peers in a line: ${nodes.map((n) => short(n.peerId)).join(' - ')}`);

const first = nodes[0]!;
const greeter = first.proxy(Greeter);

console.log('\nflood (reaches everyone, the sender too):');
await greeter.hello(short(first.peerId), 'hello, mesh');
await new Promise((r) => setTimeout(r, 50));

console.log('\nflood limited to 2 hops:');
await greeter.withHops(2).hello(short(first.peerId), 'hello, neighbours');
await new Promise((r) => setTimeout(r, 50));

console.log('\ndirected call with a reply, to the far end:');
console.log(`  the peer at the far end says its name is ${await greeter.to(nodes[4]!.peerId).name()}`);

console.log('\ngathered replies from the whole mesh:');
const names = await firstValueFrom(greeter.gather({ count: 5, timeoutMs: 2000 }).name().pipe(toArray()));
console.log(`  ${names.length} replies: ${names.map((r) => (r.ok ? `${r.value} (${r.hops} hops)` : r.error.code)).join(', ')}`);

await Promise.all(nodes.map((n) => n.close()));
console.log('\nall peers closed.');
