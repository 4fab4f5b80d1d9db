export { PeerIdentity, peerIdFromSpki } from './peer-identity.js';
export { type PeerId, asPeerId, isPeerId } from './peer-id.js';
export { certificateFor, peerIdFromCertificate, CERTIFICATE_VALIDITY_DAYS, type PeerCertificate } from './certificate.js';
export {
  saveIdentity,
  loadIdentity,
  loadOrCreateIdentity,
  IDENTITY_KEY_FILE,
  IDENTITY_CERT_FILE,
  type LoadIdentityOptions,
  type SaveIdentityOptions,
} from './identity-store.js';
