export { localResolver, defaultLocalDirectory, type LocalResolver, type LocalResolverOptions, type LocalResolverStats } from './local-resolver.js';
