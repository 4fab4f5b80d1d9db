export { localResolver, defaultLocalDirectory, LocalResolver, type LocalResolverOptions, type LocalResolverStats } from './local-resolver.js';
