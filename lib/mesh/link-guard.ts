import type { HandshakeExt } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { Link } from '../transport/transport.js';
import type { MeshOptions } from './options.js';

/**
 * The checks both sides of a new link make, around the hello/welcome exchange.
 * @internal
 */
export class LinkGuard {
  constructor(private readonly options: MeshOptions) {}

  /** Before the handshake: the link's authentication meets the security mode, and admission passes. */
  async admit(link: Link, role: 'dialer' | 'acceptor', signal: AbortSignal): Promise<void> {
    const o = this.options;
    if (o.requireAuthenticatedLinks && link.remotePeerId === undefined) {
      throw new PeerChannelError(ErrorCode.SECURITY_MODE_MISMATCH, 'this mesh requires transport-authenticated links');
    }
    if (o.admission) {
      await o.admission.admit(link, { role, mesh: o.mesh, localPeerId: o.identity.peerId, remotePeerId: link.remotePeerId, identity: o.identity, signal });
    }
  }

  /**
   * After the hello (or welcome): the claimed peer id is the one the link authenticated (and the
   * one dialled, if given), is not this node, and the announced fields suit this mesh.
   */
  checkClaim(link: Link, claimed: string, ext: HandshakeExt, expected?: string): void {
    const remote = link.remotePeerId;
    if ((remote !== undefined && claimed !== remote) || (expected !== undefined && claimed !== expected)) {
      throw new PeerChannelError(ErrorCode.PEER_ID_MISMATCH, `peer claims ${claimed.slice(0, 12)}, not the id ${(remote ?? expected ?? '').slice(0, 12)} its link authenticated`);
    }
    if (claimed === this.options.identity.peerId) throw new PeerChannelError(ErrorCode.SELF_CONNECTION, 'the link leads back to this node');
    this.options.checkHelloExt?.(ext);
  }
}
