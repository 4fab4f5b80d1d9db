export { ErrorCode, isErrorCode } from './codes.js';
export { PeerChannelError, toPeerChannelError, fromWireFault } from './peer-channel-error.js';
