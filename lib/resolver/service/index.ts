export { resolverServer, ResolverServer, type ResolverServerOptions, type ResolverServerStats } from './resolver-server.js';
export { resolverService, type ResolverServiceClient, type ResolverServiceOptions } from './resolver-service-client.js';
export { RESOLVER_SERVICE_FRAME_KIND } from './protocol.js';
