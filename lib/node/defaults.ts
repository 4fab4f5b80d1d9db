import type { PeerIdentity } from '../identity/peer-identity.js';
import { localResolver } from '../resolver/local/index.js';
import type { ResolverFactory } from '../resolver/resolver.js';
import { MessageVerifier, signMessage } from '../security/message-signing.js';
import { webSocketTransport } from '../transport/ws/index.js';
import type { TransportFactory } from '../transport/transport.js';

/**
 * What a node uses when its options are silent: TLS WebSockets on 127.0.0.1 and the
 * zero-config local resolver, so peers on one machine find each other with no options.
 * @internal
 */
export const nodeDefaults = {
  transport: (): TransportFactory => webSocketTransport(),
  resolver: (): ResolverFactory => localResolver(),
  /** Per-node signing: sign with the node's key, verify with a bounded key cache of its own. */
  messageSigning: (identity: PeerIdentity) => {
    const verifier = new MessageVerifier();
    return {
      sign: (body: Uint8Array) => signMessage(identity, body),
      verify: (origin: string, body: Uint8Array, sig: Uint8Array | null) => sig !== null && verifier.verify(origin, body, sig),
    };
  },
};
