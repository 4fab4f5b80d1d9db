import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { addHopParameter, addOperation, writeContract } from './metadata.js';

/** Options of {@link PeerOperation}. */
export interface PeerOperationOptions {
  /**
   * Name on the wire.
   * @defaultValue the method name
   */
  readonly name?: string;
  /**
   * Default hop limit for calls of this operation (`undefined` = unlimited). A call-site
   * `withHops(n)` or a `@PeerHopCount()` argument overrides it.
   * @defaultValue undefined
   */
  readonly hops?: number;
  /** The operation returns a value to the caller (request/reply). */
  readonly reply?: boolean;
  /**
   * The operation returns nothing (fire and forget). The default when `reply` is not set.
   * @defaultValue true unless `reply` is true
   */
  readonly oneWay?: boolean;
}

/**
 * Declares a class as a peer service contract named `name` on the wire.
 *
 * @remarks
 * Only records metadata; the contract is read and validated when it is bound to a node
 * (`host`, `proxy`, `calls$`). Method bodies of a contract class are never called by the
 * framework: use {@link contractStub} as the body of reply operations.
 *
 * @example
 * ```ts
 * @PeerContract('chat')
 * class Chat {
 *   @PeerOperation() say(from: string, text: string): void {}
 *   @PeerOperation({ reply: true }) whois(): Promise<string> { return contractStub(); }
 * }
 * ```
 */
export function PeerContract(name?: string): ClassDecorator {
  return (target) => {
    writeContract(target, { name: name ?? target.name });
  };
}

/** Declares a method of a contract class as an operation peers can call. */
export function PeerOperation(options: PeerOperationOptions = {}): MethodDecorator {
  return (prototype, key) => {
    if (typeof key !== 'string') {
      throw new PeerChannelError(ErrorCode.CONTRACT_INVALID, 'peer operations must have string names');
    }
    addOperation(prototype, {
      method: key,
      name: options.name ?? key,
      hops: options.hops,
      reply: options.reply,
      oneWay: options.oneWay,
    });
  };
}

/**
 * Marks a numeric parameter as the call's hop limit (WCF's `PeerHopCount`): its value at the
 * call site overrides the operation's default and any `withHops(n)`.
 */
export function PeerHopCount(): ParameterDecorator {
  return (prototype, key, index) => {
    if (typeof key !== 'string') {
      throw new PeerChannelError(ErrorCode.CONTRACT_HOP_PARAMETER, '@PeerHopCount() belongs on an operation parameter');
    }
    addHopParameter(prototype, key, index);
  };
}

/**
 * Body for contract methods that declare a return type; throws if a contract method is ever
 * called directly instead of through a proxy.
 */
export function contractStub(): never {
  throw new PeerChannelError(ErrorCode.CONTRACT_STUB_CALLED, 'contract methods are declarations: call them through node.proxy(Contract)');
}
