export { startGateway, type Gateway, type GatewayOptions, type GatewayPage } from './gateway-server.js';
export { type GatewayLimits, defaultGatewayLimits } from './gateway-limits.js';
export { PageGuard, type PageRefusal, TOKEN_PROTOCOL_PREFIX } from './page-guard.js';
export { GATEWAY_PROTOCOL, GATEWAY_SOCKET_PATH, GatewayCloseCode, type PageRequest, type NodeMessage, type PageRecord, type PageRecordEvent, type PageStatus, type PageCallStyle } from './page-protocol.js';
export { pageBuildDir } from './page-assets.js';
