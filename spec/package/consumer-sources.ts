/**
 * The programs a fresh consumer project of the packed package compiles and runs (see
 * package.spec.ts). Two nodes on 127.0.0.1 over TLS WebSockets: a directed reply call through a
 * service built by dependency injection, and a flood.
 */
export function talkSource(esm: boolean): string {
  const body = `
  const transport = () => webSocketTransport({ host: '127.0.0.1' });
  const alice = await PeerNode.open('net.p2p://consumer', { transport: transport(), resolver: null, password: 'consumer pw' });
  const bob = await PeerNode.open('net.p2p://consumer', { transport: transport(), resolver: null, password: 'consumer pw' });
  try {
    alice.host(Greeter, GreeterService);
    const heard = new Promise<string>((resolve) => alice.calls$(Greeter, 'say').subscribe((call) => { if (!call.local) resolve(call.args[0]); }));
    await bob.connect(alice.addresses[0]!, alice.peerId);
    const greeter = bob.proxy(Greeter);
    const reply = await greeter.to(alice.peerId).hello('bob');
    await greeter.say('hi from bob');
    let code: string | undefined;
    try {
      alice.host(Greeter, class Bad { constructor(readonly x: number) {} say() {} async hello() { return ''; } });
    } catch (e) {
      code = e instanceof PeerChannelError ? e.code : 'not a PeerChannelError';
    }
    console.log(JSON.stringify({ reply, heard: await heard, aliceIs: alice.peerId, code, network: typeof MemoryNetwork }));
  } finally {
    await bob.close();
    await alice.close();
  }`;
  return `import 'reflect-metadata';
import { PEER_NODE, PeerChannelError, PeerContract, PeerNode, PeerOperation, contractStub, inject, injectable, webSocketTransport } from 'peerchannel';
import { MemoryNetwork } from 'peerchannel/testing';

@PeerContract('consumer.greeter')
class Greeter {
  @PeerOperation({ reply: true }) hello(name: string): Promise<string> { return contractStub(); }
  @PeerOperation() say(text: string): void {}
}

@injectable()
class GreeterService implements Greeter {
  constructor(@inject(PEER_NODE) private readonly node: PeerNode) {}
  async hello(name: string): Promise<string> { return \`hello \${name}, from \${this.node.peerId}\`; }
  say(): void {}
}
${esm ? body.replace(/^ {2}/gm, '') : `async function main(): Promise<void> {${body}\n}\nvoid main();`}
`;
}

/** Plain JavaScript CommonJS: every entry loads by require(), as the very module import gives. */
export const requireCheck = `'use strict';
const entries = ['peerchannel', 'peerchannel/testing', 'peerchannel/pnrp', 'peerchannel/security', 'peerchannel/records'];
const required = entries.map((e) => require(e));
Promise.all(entries.map((e) => import(e))).then((imported) => {
  console.log(JSON.stringify({
    same: required.map((r, i) => r === imported[i] || Object.keys(r).every((k) => r[k] === imported[i][k])),
    error: required[0].PeerChannelError === imported[0].PeerChannelError,
    names: Object.keys(required[0]).length,
    pnrpNode: typeof required[2].PnrpNode,
  }));
});
`;

/** What require() says where Node cannot load ES modules from it. */
export const requireFailure = `'use strict';
try {
  require('peerchannel');
  console.log(JSON.stringify({ loaded: true }));
} catch (e) {
  console.log(JSON.stringify({ code: e.code, message: e.message }));
}
`;

/** The first TypeScript block of README.md that imports 'peerchannel' (the README's example). */
export function readmeExample(readme: string): string {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const example = blocks.find((b) => b.includes("from 'peerchannel'"));
  if (example === undefined) throw new Error('README.md has no ts block importing peerchannel');
  return example;
}
