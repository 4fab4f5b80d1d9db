export { pack, unpack, packr } from './packr.js';
export { type FrameLimits, defaultFrameLimits } from './limits.js';
export * from './frames.js';
export * from './body.js';
