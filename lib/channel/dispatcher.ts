import { type Observable, Subject } from 'rxjs';
import type { CallBody } from '../codec/index.js';
import { type ContractDescriptor, checkArguments } from '../contracts/index.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { DeliveredMessage } from '../mesh/delivered-message.js';
import { idHex } from '../mesh/seen-cache.js';
import { runInCall } from './call-context.js';
import type { PeerCall } from './peer-call.js';

/** Where the dispatcher reports drops and sends replies. @internal */
export interface DispatcherHost {
  readonly localPeerId: string;
  drop(code: ErrorCode, message: string): void;
  reply(call: CallBody, ok: boolean, value: unknown): void;
  /** False when this node's own flooded request asked it not to answer itself (`includeSelf: false`). */
  answersOwn(call: CallBody): boolean;
}

interface Bound {
  readonly descriptor: ContractDescriptor;
  implementation: object | undefined;
}

/**
 * Validates inbound calls against their contracts and hands them to streams and hosted
 * implementations.
 *
 * @remarks
 * A call for an unknown contract or operation, or with arguments that do not fit the declared
 * parameter types, is dropped with a counted, coded reason and never reaches user code.
 */
export class Dispatcher {
  private readonly bound = new Map<string, Bound>();
  private readonly calls = new Subject<PeerCall>();
  /** Hot: every validated call delivered to this node. */
  readonly calls$: Observable<PeerCall> = this.calls.asObservable();

  constructor(private readonly env: DispatcherHost) {}

  /** Makes a contract known, so its calls are validated and delivered. Idempotent. */
  bind(descriptor: ContractDescriptor): void {
    const existing = this.bound.get(descriptor.name);
    if (existing === undefined) {
      this.bound.set(descriptor.name, { descriptor, implementation: undefined });
      return;
    }
    if (existing.descriptor !== descriptor) {
      throw new PeerChannelError(ErrorCode.CONTRACT_INVALID, `another contract class is already bound as '${descriptor.name}'`);
    }
  }

  /** Hosts an implementation of a bound contract. */
  host(descriptor: ContractDescriptor, implementation: object): void {
    this.bind(descriptor);
    const b = this.bound.get(descriptor.name) as Bound;
    if (b.implementation !== undefined) {
      throw new PeerChannelError(ErrorCode.CONTRACT_ALREADY_HOSTED, `contract '${descriptor.name}' is already hosted on this node`);
    }
    for (const op of descriptor.operations.values()) {
      if (typeof (implementation as Record<string, unknown>)[op.method] !== 'function') {
        throw new PeerChannelError(ErrorCode.CONTRACT_INVALID, `implementation of '${descriptor.name}' lacks method '${op.method}'`);
      }
    }
    b.implementation = implementation;
  }

  /** Stops hosting a contract (its calls are still validated and streamed). */
  unhost(name: string): void {
    const b = this.bound.get(name);
    if (b) b.implementation = undefined;
  }

  /** Handles one delivered call; returns the code it was refused with, if it was. */
  dispatch(message: DeliveredMessage & { body: CallBody }): ErrorCode | undefined {
    const body = message.body;
    const b = this.bound.get(body.contract);
    if (b === undefined) {
      this.env.drop(ErrorCode.UNKNOWN_CONTRACT, `no contract '${body.contract}' is bound on this node`);
      return ErrorCode.UNKNOWN_CONTRACT;
    }
    const op = b.descriptor.operations.get(body.operation);
    if (op === undefined) {
      this.env.drop(ErrorCode.UNKNOWN_OPERATION, `contract '${body.contract}' has no operation '${body.operation}'`);
      return ErrorCode.UNKNOWN_OPERATION;
    }
    if (body.wantsReply && op.kind !== 'reply') {
      this.env.drop(ErrorCode.NOT_A_REPLY_OPERATION, `'${body.contract}.${body.operation}' is one-way but the caller waits for a reply`);
      return ErrorCode.NOT_A_REPLY_OPERATION;
    }
    const mismatch = checkArguments(op, body.args);
    if (mismatch !== undefined) {
      this.env.drop(ErrorCode.BAD_ARGUMENTS, `${body.contract}: ${mismatch}`);
      if (body.wantsReply && message.kind === 'direct') this.env.reply(body, false, { code: ErrorCode.BAD_ARGUMENTS, message: mismatch });
      return ErrorCode.BAD_ARGUMENTS;
    }
    const call: PeerCall = {
      id: idHex(body.id),
      contract: body.contract,
      operation: body.operation,
      args: body.args,
      from: body.origin,
      hops: message.hops,
      remainingHops: message.remainingHops,
      directed: message.kind === 'direct',
      via: message.via,
      local: body.origin === this.env.localPeerId,
    };
    if (this.calls.observed) this.calls.next(call);
    const impl = b.implementation;
    if (impl === undefined) return undefined;
    if (call.local && body.wantsReply && !this.env.answersOwn(body)) return undefined;
    const method = (impl as Record<string, (...args: unknown[]) => unknown>)[op.method] as (...args: unknown[]) => unknown;
    let result: unknown;
    try {
      result = runInCall(call, () => method.apply(impl, body.args as unknown[]));
    } catch (error) {
      this.failed(body, error);
      return ErrorCode.HANDLER_FAILED;
    }
    if (body.wantsReply) {
      Promise.resolve(result).then(
        (value) => this.env.reply(body, true, value),
        (error: unknown) => this.failed(body, error),
      );
    } else if (result instanceof Promise) {
      result.catch((error: unknown) => this.failed(body, error));
    }
    return undefined;
  }

  private failed(body: CallBody, error: unknown): void {
    const e = toPeerChannelError(error, ErrorCode.REMOTE_FAULT);
    this.env.drop(ErrorCode.HANDLER_FAILED, `${body.contract}.${body.operation} threw: ${e.message}`);
    if (body.wantsReply) this.env.reply(body, false, e.toWire());
  }

  close(): void {
    this.calls.complete();
  }
}
