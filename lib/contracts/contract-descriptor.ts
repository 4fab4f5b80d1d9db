import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { type ArgumentCheck, argumentCheckFor } from './argument-check.js';
import { assertDecoratorMetadata } from './metadata-check.js';
import { readContract, readHopParameters, readOperations, readParameterTypes, readReturnType } from './metadata.js';

/** A contract class: anything constructible that carries `@PeerContract` metadata. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ContractClass<T = unknown> = abstract new (...args: any[]) => T;

/** One validated operation of a contract. */
export interface OperationDescriptor {
  /** Name on the wire. */
  readonly name: string;
  /** Method name on the contract class. */
  readonly method: string;
  /** `oneWay` (fire and forget, the default) or `reply` (request/reply). */
  readonly kind: 'oneWay' | 'reply';
  /** Default hop limit, `undefined` = unlimited. */
  readonly defaultHops: number | undefined;
  /** Index of the `@PeerHopCount()` parameter, if any. */
  readonly hopParameter: number | undefined;
  /** One check per declared parameter, from `design:paramtypes`, applied to inbound arguments. */
  readonly parameters: readonly ArgumentCheck[];
}

/** A contract as read and validated at bind time. */
export interface ContractDescriptor {
  /** The contract's wire name, from `@PeerContract(name)`. */
  readonly name: string;
  /** The decorated class. */
  readonly type: ContractClass;
  /** Operations by wire name. */
  readonly operations: ReadonlyMap<string, OperationDescriptor>;
  /** The same operations by method name on the class. */
  readonly byMethod: ReadonlyMap<string, OperationDescriptor>;
}

/** Method names a proxy uses for call styles; operations cannot take them. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['to', 'withHops', 'withTimeout', 'gather', 'all', 'traced', 'withoutSelf', 'withId', 'then', 'constructor']);

const MAX_HOPS = 255;
const MAX_NAME = 256;
const cache = new WeakMap<object, ContractDescriptor>();

function fail(code: (typeof ErrorCode)[keyof typeof ErrorCode], contract: string, message: string): never {
  throw new PeerChannelError(code, `contract ${contract}: ${message}`);
}

/**
 * Reads and validates a contract class's metadata (the contract explorer).
 *
 * @throws PeerChannelError with a `PC_ERR_CONTRACT_*` or `PC_ERR_NOT_A_CONTRACT` code for a bad
 * contract. Results are cached per class.
 */
export function describeContract(type: ContractClass): ContractDescriptor {
  if (typeof type !== 'function') {
    throw new PeerChannelError(ErrorCode.NOT_A_CONTRACT, 'a contract must be a class decorated with @PeerContract()');
  }
  const cached = cache.get(type);
  if (cached !== undefined) return cached;
  const meta = readContract(type);
  if (meta === undefined) {
    throw new PeerChannelError(ErrorCode.NOT_A_CONTRACT, `${type.name || 'class'} is not decorated with @PeerContract()`);
  }
  const cname = meta.name;
  if (typeof cname !== 'string' || cname.length === 0 || cname.length > MAX_NAME) {
    fail(ErrorCode.CONTRACT_INVALID, String(cname), `name must be 1..${MAX_NAME} characters`);
  }
  const operations = new Map<string, OperationDescriptor>();
  const byMethod = new Map<string, OperationDescriptor>();
  const prototype = type.prototype as object;
  const ops = readOperations(prototype);
  if (ops.length === 0) fail(ErrorCode.CONTRACT_INVALID, cname, 'declares no @PeerOperation()');
  assertDecoratorMetadata(`contract ${cname} (${type.name || 'class'})`, ops.map((op) => readParameterTypes(prototype, op.method) !== undefined));
  for (const op of ops) {
    if (RESERVED_NAMES.has(op.method) || RESERVED_NAMES.has(op.name)) {
      fail(ErrorCode.CONTRACT_RESERVED_NAME, cname, `'${op.method}' is reserved for proxy call styles`);
    }
    if (op.name.length === 0 || op.name.length > MAX_NAME) fail(ErrorCode.CONTRACT_INVALID, cname, `operation name '${op.name}' is invalid`);
    if (operations.has(op.name) || byMethod.has(op.method)) {
      fail(ErrorCode.CONTRACT_DUPLICATE_OPERATION, cname, `two operations are named '${op.name}'`);
    }
    if ((op.reply === true && op.oneWay === true) || (op.reply !== true && op.oneWay === false)) {
      fail(ErrorCode.CONTRACT_OPERATION_KIND, cname, `operation '${op.name}' must be either one-way or reply`);
    }
    const kind = op.reply === true ? 'reply' : 'oneWay';
    if (kind === 'reply' && readReturnType(prototype, op.method) === undefined) {
      fail(ErrorCode.CONTRACT_OPERATION_KIND, cname, `reply operation '${op.name}' must declare a return type (Promise<T>)`);
    }
    if (op.hops !== undefined && !(Number.isInteger(op.hops) && op.hops >= 0 && op.hops <= MAX_HOPS)) {
      fail(ErrorCode.CONTRACT_INVALID, cname, `operation '${op.name}' hops must be an integer in 0..${MAX_HOPS}`);
    }
    const types = readParameterTypes(prototype, op.method);
    if (types === undefined) {
      fail(ErrorCode.CONTRACT_INVALID, cname, `no design:paramtypes for '${op.method}': compile with emitDecoratorMetadata`);
    }
    const hopParams = readHopParameters(prototype, op.method);
    if (hopParams.length > 1) fail(ErrorCode.CONTRACT_HOP_PARAMETER, cname, `'${op.name}' has more than one @PeerHopCount() parameter`);
    const hopParameter = hopParams[0];
    if (hopParameter !== undefined && types[hopParameter] !== Number) {
      fail(ErrorCode.CONTRACT_HOP_PARAMETER, cname, `@PeerHopCount() parameter ${hopParameter} of '${op.name}' must be a number`);
    }
    const descriptor: OperationDescriptor = Object.freeze({
      name: op.name,
      method: op.method,
      kind,
      defaultHops: op.hops,
      hopParameter,
      parameters: Object.freeze(types.map(argumentCheckFor)),
    });
    operations.set(op.name, descriptor);
    byMethod.set(op.method, descriptor);
  }
  const descriptor: ContractDescriptor = Object.freeze({ name: cname, type, operations, byMethod });
  cache.set(type, descriptor);
  return descriptor;
}

/**
 * Checks inbound arguments against an operation's declared parameters.
 *
 * @returns `undefined` when they fit, else a message saying which argument is wrong.
 * @remarks Missing trailing arguments are allowed (optional parameters); extra ones are not.
 */
export function checkArguments(op: OperationDescriptor, args: readonly unknown[]): string | undefined {
  if (args.length > op.parameters.length) return `'${op.name}' takes ${op.parameters.length} arguments, got ${args.length}`;
  for (let i = 0; i < args.length; i++) {
    const check = op.parameters[i] as ArgumentCheck;
    if (!check.test(args[i])) return `argument ${i} of '${op.name}' must be ${check.expected}`;
  }
  return undefined;
}
