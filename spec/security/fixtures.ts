import { firstValueFrom, take, timeout } from 'rxjs';
import { afterEach } from 'vitest';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import type { AdmissionContext } from '../../lib/security/admission.js';
import { MemoryNetwork, memoryTransport } from '../../lib/transport/memory/index.js';
import type { FrameReceiver, Link, LinkCloseInfo, Transport, TransportFactory } from '../../lib/transport/transport.js';

/** Two ends of one real link, with the identities of the transports that made them. */
export interface LinkPair {
  readonly dialer: Link;
  readonly acceptor: Link;
  readonly dialerIdentity: PeerIdentity;
  readonly acceptorIdentity: PeerIdentity;
  close(): Promise<void>;
}

/** Makes a fresh connected link pair; identities may be given to reuse a peer id. */
export type LinkPairFactory = (ids?: { dialer?: PeerIdentity; acceptor?: PeerIdentity }) => Promise<LinkPair>;

/** Connects two transports made by `factory` and returns both ends of one link. */
export async function connect(factory: TransportFactory, ids: { dialer?: PeerIdentity; acceptor?: PeerIdentity } = {}): Promise<LinkPair> {
  const dialerIdentity = ids.dialer ?? PeerIdentity.generate();
  const acceptorIdentity = ids.acceptor ?? PeerIdentity.generate();
  const transports: Transport[] = [factory({ identity: dialerIdentity }), factory({ identity: acceptorIdentity })];
  const [a, b] = transports as [Transport, Transport];
  try {
    const [address] = await b.listen();
    const accepted = firstValueFrom(b.inbound$.pipe(take(1), timeout(5_000)));
    const dialer = await a.dial(address as string, { expectedPeerId: acceptorIdentity.peerId });
    const acceptor = await accepted;
    return { dialer, acceptor, dialerIdentity, acceptorIdentity, close: async () => void (await Promise.all([a.close(), b.close()])) };
  } catch (error) {
    await Promise.all([a.close(), b.close()]);
    throw error;
  }
}

/** Link pairs over the in-process memory transport. */
export function memoryPairs(): LinkPairFactory {
  const network = new MemoryNetwork();
  return (ids) => connect(memoryTransport(network), ids);
}

/** Builds an admission context for one side of `pair`. */
export function contextFor(pair: LinkPair, role: 'dialer' | 'acceptor', extra: Partial<AdmissionContext> = {}): AdmissionContext {
  const local = role === 'dialer' ? pair.dialerIdentity : pair.acceptorIdentity;
  const link = role === 'dialer' ? pair.dialer : pair.acceptor;
  return {
    role,
    mesh: 'lobby',
    localPeerId: local.peerId,
    remotePeerId: link.remotePeerId,
    signal: new AbortController().signal,
    identity: local,
    ...extra,
  };
}

/**
 * Wraps a link, recording every frame sent through it and optionally overriding its keying
 * material (to model the two halves of a relayed TLS connection).
 */
export function tapLink(link: Link, keyingMaterial?: Uint8Array): Link & { readonly sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const wrapper: Link & { sent: Uint8Array[] } = {
    sent,
    get id() { return link.id; },
    get direction() { return link.direction; },
    get remoteAddress() { return link.remoteAddress; },
    get remotePeerId() { return link.remotePeerId; },
    get pendingSends() { return link.pendingSends; },
    get isOpen() { return link.isOpen; },
    get closed() { return link.closed; },
    send(frame: Uint8Array) {
      sent.push(frame);
      link.send(frame);
    },
    setReceiver(receiver: FrameReceiver | undefined) {
      link.setReceiver(receiver);
    },
    close(code: LinkCloseInfo['code'], reason: string) {
      link.close(code, reason);
    },
  };
  if (keyingMaterial !== undefined) {
    wrapper.exportKeyingMaterial = (length: number) => keyingMaterial.subarray(0, length);
  } else if (link.exportKeyingMaterial !== undefined) {
    wrapper.exportKeyingMaterial = (length: number, label: string) => (link.exportKeyingMaterial as NonNullable<Link['exportKeyingMaterial']>)(length, label);
  }
  return wrapper;
}

/** Resolves with the next frame that arrives on `link` (the raw-driver side of a test). */
export function nextFrame(link: Link): Promise<Uint8Array> {
  return new Promise((resolve) => {
    link.setReceiver((frame) => {
      link.setReceiver(undefined);
      resolve(frame);
    });
  });
}

/** Link pairs for one suite: each is closed after every test, even when the test fails. */
export function usePairs(makePairs: () => LinkPairFactory): (ids?: Parameters<LinkPairFactory>[0]) => Promise<LinkPair> {
  const pairs = makePairs();
  const open: LinkPair[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });
  return async (ids) => {
    const p = await pairs(ids);
    open.push(p);
    return p;
  };
}
