export { pack, unpack, packr } from './packr.js';
export { type FrameLimits, defaultFrameLimits } from './limits.js';
export * from './frames.js';
export * from './body.js';
export { checkWireValue, MAX_BIGINT_BYTES, type WireValueLimits } from './wire-check.js';
export { checkPackable } from './packable.js';
