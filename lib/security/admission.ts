import type { PeerIdentity } from '../identity/peer-identity.js';
import type { Link } from '../transport/transport.js';

/** What an admission check knows about the link it guards. */
export interface AdmissionContext {
  /** `dialer` opened the link; `acceptor` accepted it. */
  readonly role: 'dialer' | 'acceptor';
  /** The mesh name (e.g. `lobby` for `net.p2p://lobby`). */
  readonly mesh: string;
  /** This node's peer id. */
  readonly localPeerId: string;
  /** The other side's peer id as authenticated by the transport, if it authenticates one. */
  readonly remotePeerId: string | undefined;
  /** Aborted when the node closes or the handshake is given up; reject with `PC_ERR_ABORTED` then. */
  readonly signal: AbortSignal;
  /**
   * This node's identity, for admissions that prove key possession (certificate admission signs
   * the link's binding material with it). Optional so that older callers stay valid; an admission
   * that needs it and gets none rejects with `PC_ERR_INVALID_ARGUMENT`.
   */
  readonly identity?: PeerIdentity;
}

/**
 * Decides whether the peer at the other end of a fresh link may join the mesh.
 *
 * @remarks
 * Runs on both sides of every new link, before the mesh handshake (hello/welcome). It may
 * exchange `Auth` frames (kind 5) over the link — it owns the link's receiver until it settles,
 * and must clear it (`link.setReceiver(undefined)`) before resolving. On refusal it closes the
 * link with a coded reason and rejects with a `PeerChannelError` carrying the same code
 * (`PC_ERR_AUTH_FAILED`, `PC_ERR_UNTRUSTED_PEER`, ...), so both sides report it.
 */
export interface Admission {
  /** Short name for logs and errors, e.g. `password` or `certificate`. */
  readonly name: string;
  /** Runs the admission on a fresh link; resolves when the peer is admitted, rejects (after closing the link) with a coded `PeerChannelError` when it is not. */
  admit(link: Link, context: AdmissionContext): Promise<void>;
}
