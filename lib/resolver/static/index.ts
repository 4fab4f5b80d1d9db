export { staticResolver, isUnpinnedPeer, UNPINNED_PEER_PREFIX, type StaticEntry, type StaticResolverOptions } from './static-resolver.js';
