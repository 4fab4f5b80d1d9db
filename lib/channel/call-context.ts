import { AsyncLocalStorage } from 'node:async_hooks';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerCall } from './peer-call.js';

const storage = new AsyncLocalStorage<PeerCall>();

/** @internal Runs `fn` with `call` as the current call context. */
export function runInCall<T>(call: PeerCall, fn: () => T): T {
  return storage.run(call, fn);
}

/**
 * The call being handled: sender, hops travelled, message id.
 *
 * @remarks
 * Valid inside a hosted operation, including after `await`s within it.
 * @throws PeerChannelError `PC_ERR_INVALID_ARGUMENT` outside a call.
 * @example
 * ```ts
 * class ChatService implements Chat {
 *   say(from: string, text: string) { console.log(`${from} (${currentCall().hops} hops): ${text}`); }
 * }
 * ```
 */
export function currentCall(): PeerCall {
  const call = storage.getStore();
  if (call === undefined) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'currentCall() is only available inside a hosted operation');
  return call;
}
