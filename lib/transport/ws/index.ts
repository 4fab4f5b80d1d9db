export { webSocketTransport, WebSocketTransport } from './ws-transport.js';
export { type WebSocketTransportOptions } from './ws-options.js';
export { type WsListenerStats } from './ws-listener.js';
export { BATCH_TAG_V1, encodeBatch, decodeBatch } from './batch-container.js';
export { PC_CLOSE_CODE } from './close-reason.js';
