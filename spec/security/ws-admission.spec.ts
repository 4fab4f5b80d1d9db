import { webSocketTransport } from '../../lib/transport/ws/index.js';
import { certificateAdmissionSuite } from './certificate-admission-suite.js';
import { type LinkPairFactory, connect } from './fixtures.js';
import { passwordAdmissionSuite } from './password-admission-suite.js';

// Over real TLS 1.3 WebSockets on loopback the proofs are bound to each session's exported keying
// material, which the memory transport does not have.
const wsPairs = (): LinkPairFactory => (ids) => connect(webSocketTransport({ host: '127.0.0.1' }), ids);

passwordAdmissionSuite('TLS WebSockets', wsPairs);
certificateAdmissionSuite('TLS WebSockets', wsPairs);
