/**
 * `peerchannel/security`: the security layer's primitives — message signing and verification,
 * the hello extension that carries a mesh's security mode, the admission protocol interface for
 * writing an admission of one's own, and the protocol constants. An application only needs the
 * `password`/`certificate`/`security` options of `PeerNode.open`, or `passwordAdmission` and
 * `certificateAdmission` from `peerchannel`.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export {
  type Admission, type AdmissionContext, passwordAdmission, type PasswordAdmissionOptions, certificateAdmission, type CertificateAdmissionOptions,
  signMessage, verifyMessage, MessageVerifier, type MessageVerifierOptions, meshSecurity, assertLinkSecurity, securityHelloExt, checkSecurityHelloExt,
  MAX_PASSWORD_BYTES, MAX_MESSAGE_SIGNATURE_BYTES, PASSWORD_ADMISSION_PROTOCOL, CERTIFICATE_ADMISSION_PROTOCOL, type MeshSecurity, type MeshSecurityOptions, type SecurityMode,
} from '../security/index.js';
