import { afterEach } from 'vitest';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { type WebSocketTransport, type WebSocketTransportOptions, webSocketTransport } from '../../lib/transport/ws/index.js';

/**
 * Per-spec WebSocket transports: `transport()` makes one that is closed after each test, and
 * `cleanup` takes any further teardown step (run in reverse order, even when a test fails).
 */
export function useWsFixture(): {
  cleanup: (() => unknown)[];
  transport: (options?: WebSocketTransportOptions, identity?: PeerIdentity) => WebSocketTransport;
} {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  const transport = (options: WebSocketTransportOptions = {}, identity = PeerIdentity.generate()): WebSocketTransport => {
    const t = webSocketTransport(options)({ identity }) as WebSocketTransport;
    cleanup.push(() => t.close());
    return t;
  };
  return { cleanup, transport };
}
