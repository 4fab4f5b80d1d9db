import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, PEER_NODE, PeerChannelError, PeerContract, PeerNode, PeerOperation, inject, injectable, token } from '../../lib/index.js';
import { MemoryNetwork, memoryTransport } from '../../lib/entries/testing.js';

const nodes: PeerNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function open(): Promise<PeerNode> {
  const n = await PeerNode.open('net.p2p://inject', { transport: memoryTransport(new MemoryNetwork()), resolver: null });
  nodes.push(n);
  return n;
}

/** A second, separate instance of the tsyringe library, as an app with its own copy would have. */
function secondTsyringe(): typeof import('tsyringe') {
  const require = createRequire(import.meta.url);
  const main = require.resolve('tsyringe');
  const dir = main.slice(0, main.indexOf('/dist/') + 1);
  const saved = new Map(Object.entries(require.cache).filter(([k]) => k.startsWith(dir)));
  for (const k of saved.keys()) delete require.cache[k];
  try {
    return require('tsyringe') as typeof import('tsyringe');
  } finally {
    for (const [k, m] of saved) require.cache[k] = m;
  }
}
const second = secondTsyringe();

@PeerContract('spec.inject')
class Chat {
  @PeerOperation() say(text: string): void {
    void text;
  }
}

class ChatBase {
  say(): void {}
}

function injectionFailure(fn: () => unknown): PeerChannelError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PeerChannelError);
    return err as PeerChannelError;
  }
  throw new Error('expected host() to throw');
}

describe('node.host(Contract, ServiceClass): dependency injection', () => {
  it('constructs a service decorated with the re-exported @injectable(), injecting the node', async () => {
    const built: PeerNode[] = [];
    @injectable()
    class Service extends ChatBase {
      constructor(@inject(PEER_NODE) node: PeerNode) {
        super();
        built.push(node);
      }
    }
    const node = await open();
    node.host(Chat, Service);
    expect(built).toEqual([node]);
  });

  it('says to add @injectable() when a class with constructor parameters has none', async () => {
    class Service extends ChatBase {
      constructor(readonly node: PeerNode) {
        super();
      }
    }
    const node = await open();
    const err = injectionFailure(() => node.host(Chat, Service));
    expect(err.code).toBe(ErrorCode.SERVICE_NOT_INJECTABLE);
    expect(err.message).toContain('Service takes 1 constructor parameter');
    expect(err.message).toContain('@injectable()');
    expect((err.cause as Error).message).toMatch(/TypeInfo not known/);
  });

  it('names a second copy of tsyringe when the class was decorated by another one', async () => {
    expect(second.container).not.toBe((await import('tsyringe')).container);
    @second.injectable()
    class Service extends ChatBase {
      constructor(@second.inject(PEER_NODE) readonly node: PeerNode) {
        super();
      }
    }
    const node = await open();
    const err = injectionFailure(() => node.host(Chat, Service));
    expect(err.code).toBe(ErrorCode.SERVICE_NOT_INJECTABLE);
    expect(err.message).toContain('another copy of tsyringe');
    expect(err.message).toContain('npm ls tsyringe');
  });

  it('reports a constructor parameter that cannot be resolved', async () => {
    const MISSING = token<string>('spec:missing');
    @injectable()
    class Service extends ChatBase {
      constructor(@inject(MISSING) readonly value: string) {
        super();
      }
    }
    const node = await open();
    const err = injectionFailure(() => node.host(Chat, Service));
    expect(err.code).toBe(ErrorCode.SERVICE_NOT_INJECTABLE);
    expect(err.message).toMatch(/could not be constructed by dependency injection: Cannot inject the dependency/);
  });

  it('lets an error thrown by the constructor itself pass through', async () => {
    class Service extends ChatBase {
      constructor() {
        super();
        throw new RangeError('my own failure');
      }
    }
    const node = await open();
    expect(() => node.host(Chat, Service)).toThrow(RangeError);
  });
});
