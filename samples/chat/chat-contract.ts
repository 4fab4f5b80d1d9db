import { PeerContract, PeerOperation } from '../../lib/index.js';

/**
 * What people say in the room.
 *
 * @remarks
 * Nobody hosts this contract: every chat reads it as a stream (`node.calls$(Chat, 'say')`).
 * The call style is chosen where the call is made: `say` floods to the whole room, or goes to
 * one peer with `chat.to(peerId).say(...)`; `near` carries a default hop limit of one, so only
 * direct neighbours hear it.
 */
@PeerContract('chat')
export class Chat {
  @PeerOperation() say(name: string, text: string): void {}

  @PeerOperation({ hops: 1 }) near(name: string, text: string): void {}
}
