import { type FrameLimits, defaultFrameLimits } from '../codec/index.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { type ObserveOptions, defaultObserveOptions } from '../observe/index.js';
import type { PeerNodeOptions } from './options.js';

type Rule = 'positive' | 'positiveInteger' | 'count' | 'nonNegative';

const NODE_RULES: Readonly<Record<string, Rule>> = {
  replyTimeoutMs: 'positive',
  handshakeTimeoutMs: 'positive',
  seenTtlMs: 'positive',
  maintenanceIntervalMs: 'positive',
  maxPendingReplies: 'positiveInteger',
  maxRepliesPerGather: 'positiveInteger',
  seenMaxEntries: 'positiveInteger',
};

const NEIGHBOR_RULES: Readonly<Record<string, Rule>> = { min: 'count', ideal: 'count', max: 'count' };

/** Timers and byte sizes may be fractional; what counts things must be whole. */
const LIMIT_RULES: Readonly<Record<keyof FrameLimits, Rule>> = {
  maxFrameBytes: 'positiveInteger',
  maxHops: 'count',
  maxArgs: 'count',
  maxNameLength: 'positiveInteger',
  maxAddresses: 'count',
  maxDepth: 'positiveInteger',
  maxElements: 'positiveInteger',
};

const OBSERVE_NUMBERS: readonly (keyof ObserveOptions)[] = (Object.keys(defaultObserveOptions) as (keyof ObserveOptions)[]).filter(
  (k) => typeof defaultObserveOptions[k] === 'number',
);

/**
 * Checks every numeric option of {@link PeerNodeOptions} that the parts it configures do not check
 * themselves (mesh tuning is checked by the mesh): a negative `replyTimeoutMs`, a fractional
 * `maxPendingReplies` or a `NaN` anywhere fails at open, not silently later.
 *
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` naming the option and what it must be.
 * @internal
 */
export function checkNodeOptions(options: PeerNodeOptions): void {
  checkBag('', options as Record<string, unknown>, NODE_RULES);
  if (options.neighbors !== undefined) checkBag('neighbors.', options.neighbors as Record<string, unknown>, NEIGHBOR_RULES);
  if (options.limits !== undefined) {
    checkBag('limits.', options.limits as Record<string, unknown>, LIMIT_RULES);
    const hops = options.limits.maxHops;
    if (hops !== undefined && hops > defaultFrameLimits.maxHops) fail(`limits.maxHops must be at most ${defaultFrameLimits.maxHops}, got ${hops}`);
  }
  if (options.observe !== undefined) {
    // Times and rates may be fractional (a rate of 0.001/s is one report in 1,000 s); bounds on counts are whole.
    const rules = Object.fromEntries(OBSERVE_NUMBERS.map((k) => [k, (/Ms$|PerSecond$|Burst$/.test(k) ? 'nonNegative' : 'count') as Rule]));
    checkBag('observe.', options.observe as Record<string, unknown>, rules);
    for (const k of ['answerTraces', 'answerMeshView'] as const) {
      const v = options.observe[k];
      if (v !== undefined && typeof v !== 'boolean') fail(`observe.${k} must be a boolean`);
    }
  }
}

function checkBag(prefix: string, bag: Record<string, unknown>, rules: Readonly<Record<string, Rule>>): void {
  for (const [key, rule] of Object.entries(rules)) {
    const value = bag[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${prefix}${key} must be a finite number, got ${describe(value)}`);
    const n = value as number;
    if (rule === 'positive' && !(n > 0)) fail(`${prefix}${key} must be greater than 0, got ${n}`);
    if (rule === 'positiveInteger' && !(Number.isInteger(n) && n > 0)) fail(`${prefix}${key} must be a whole number greater than 0, got ${n}`);
    if (rule === 'count' && !(Number.isInteger(n) && n >= 0)) fail(`${prefix}${key} must be a whole number >= 0, got ${n}`);
    if (rule === 'nonNegative' && !(n >= 0)) fail(`${prefix}${key} must be >= 0, got ${n}`);
  }
}

function describe(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function fail(message: string): never {
  throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `PeerNode.open: ${message}`);
}
