import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { Link } from '../transport/transport.js';
import type { Admission } from './admission.js';
import { type CertificateAdmissionOptions, certificateAdmission } from './certificate-admission.js';
import { type PasswordAdmissionOptions, passwordAdmission } from './password-admission.js';

/**
 * How a mesh is secured (WCF's `SecurityMode`).
 *
 * - `none`: nothing is checked; links need not authenticate peers, messages are not signed, and
 *   no admission runs. For tests and trusted networks only.
 * - `transport`: every link must authenticate the remote peer id (TLS with the peer id pinned to
 *   the hash of the certificate key; the memory transport vouches for ids in-process). Neighbours
 *   are known, but a message relayed through several hops is trusted to say who sent it.
 * - `message`: every flooded and directed message is signed by its sender and verified by every
 *   receiver, so the origin of a message is proven end to end whatever the links are.
 * - `both`: `transport` and `message` together.
 */
export type SecurityMode = 'none' | 'transport' | 'message' | 'both';

const MODES: readonly SecurityMode[] = ['none', 'transport', 'message', 'both'];

/** A resolved security configuration, the one object a `PeerNode` takes. */
export interface MeshSecurity {
  /** The security mode every peer of the mesh must use. */
  readonly mode: SecurityMode;
  /** Run on both sides of every new link before the mesh hello; `undefined` admits everyone the mode allows. */
  readonly admission: Admission | undefined;
  /** Sign every outgoing flooded/directed message and drop every inbound one that does not verify. */
  readonly signMessages: boolean;
  /** Refuse links whose transport did not authenticate the remote peer id. */
  readonly requireAuthenticatedLinks: boolean;
}

/** Options for {@link meshSecurity}. At most one of `password`, `certificate` and `admission`. */
export interface MeshSecurityOptions {
  /**
   * The security mode.
   * @defaultValue `'transport'` (WCF's default)
   */
  readonly mode?: SecurityMode;
  /** Admit only peers that know this password (CPace PAKE, see {@link passwordAdmission}). */
  readonly password?: string;
  /** Options for the password exchange. */
  readonly passwordOptions?: PasswordAdmissionOptions;
  /** Admit only trusted or certified peers (see {@link certificateAdmission}). */
  readonly certificate?: CertificateAdmissionOptions;
  /** A custom admission. */
  readonly admission?: Admission;
}

/**
 * Resolves security options into the {@link MeshSecurity} a node applies.
 *
 * @remarks
 * The node runs `admission` on both sides of each new link before the hello, refuses
 * unauthenticated links when `requireAuthenticatedLinks` (see {@link assertLinkSecurity}), puts
 * its mode in the hello (see {@link securityHelloExt}) so peers with a different mode are refused,
 * and signs/verifies messages when `signMessages`.
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` for an unknown mode, more than one admission
 * source, or an admission with mode `none` (a password that protects nothing would mislead).
 *
 * @example
 * ```ts
 * const security = meshSecurity({ mode: 'both', password: 'hunter2' });
 * ```
 */
export function meshSecurity(options: MeshSecurityOptions = {}): MeshSecurity {
  const mode = options.mode ?? 'transport';
  if (!MODES.includes(mode)) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `unknown security mode ${String(mode)}`);
  const sources = [options.password, options.certificate, options.admission].filter((s) => s !== undefined);
  if (sources.length > 1) {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'choose one of password, certificate and admission');
  }
  if (sources.length === 1 && mode === 'none') {
    throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `security mode 'none' cannot use an admission; choose 'transport', 'message' or 'both'`);
  }
  const admission =
    options.password !== undefined
      ? passwordAdmission(options.password, options.passwordOptions)
      : options.certificate !== undefined
        ? certificateAdmission(options.certificate)
        : options.admission;
  return Object.freeze({
    mode,
    admission,
    signMessages: mode === 'message' || mode === 'both',
    requireAuthenticatedLinks: mode === 'transport' || mode === 'both',
  });
}

/**
 * Checks a fresh link against the security configuration, before admission.
 *
 * @throws PeerChannelError `PC_ERR_SECURITY_MODE_MISMATCH` when the mode requires authenticated
 * links and the transport authenticated no peer id; the caller closes the link with that code.
 */
export function assertLinkSecurity(security: MeshSecurity, link: Link): void {
  if (security.requireAuthenticatedLinks && link.remotePeerId === undefined) {
    throw new PeerChannelError(ErrorCode.SECURITY_MODE_MISMATCH, `security mode '${security.mode}' requires links that authenticate the peer id`);
  }
}

/** The hello/welcome `ext` field announcing this node's security mode. */
export function securityHelloExt(security: MeshSecurity): {
  /** This node's security mode. */
  readonly security: SecurityMode;
} {
  return { security: security.mode };
}

/**
 * Checks a peer's hello/welcome `ext` against this node's mode.
 *
 * @throws PeerChannelError `PC_ERR_SECURITY_MODE_MISMATCH` when the peer announces another mode
 * (or none); the caller refuses the peer with that code.
 */
export function checkSecurityHelloExt(security: MeshSecurity, ext: Readonly<Record<string, unknown>>): void {
  const theirs = ext.security;
  if (theirs !== security.mode) {
    const shown = typeof theirs === 'string' ? theirs.slice(0, 16) : 'none announced';
    throw new PeerChannelError(ErrorCode.SECURITY_MODE_MISMATCH, `peer uses security mode ${shown}, this mesh uses '${security.mode}'`);
  }
}
