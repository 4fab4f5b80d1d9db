export type { Admission, AdmissionContext } from './admission.js';
export { PASSWORD_ADMISSION_PROTOCOL, PASSWORD_BINDING_LABEL, MAX_PASSWORD_BYTES, type PasswordAdmissionOptions, passwordAdmission } from './password-admission.js';
export { CERTIFICATE_ADMISSION_PROTOCOL, CERTIFICATE_BINDING_LABEL, type CertificateAdmissionOptions, certificateAdmission } from './certificate-admission.js';
export {
  type IssueMembershipOptions,
  type MembershipInfo,
  type VerifyMembershipOptions,
  issueMembershipCertificate,
  verifyMembershipCertificate,
} from './membership-certificate.js';
export { MAX_MESSAGE_SIGNATURE_BYTES, MessageVerifier, type MessageVerifierOptions, signMessage, verifyMessage } from './message-signing.js';
export {
  type MeshSecurity,
  type MeshSecurityOptions,
  type SecurityMode,
  assertLinkSecurity,
  checkSecurityHelloExt,
  meshSecurity,
  securityHelloExt,
} from './security-mode.js';
