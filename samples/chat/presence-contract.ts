import { PeerContract, PeerOperation, contractStub } from '../../lib/index.js';

/**
 * Who is in the room.
 *
 * @remarks
 * Hosted by {@link PresenceService}. A peer floods `hello` when it comes online and `here` as a
 * heartbeat; the peers already in the room answer a `hello` with a `here` sent to the newcomer
 * alone, so it learns of them at once. `bye` is a graceful leave; a peer that stops sending
 * heartbeats (a killed process) is declared gone. `who` is gathered from the whole room.
 */
@PeerContract('chat.presence')
export class Presence {
  @PeerOperation() hello(name: string): void {}

  @PeerOperation() here(name: string): void {}

  @PeerOperation() bye(): void {}

  @PeerOperation({ reply: true }) who(): Promise<string> {
    return contractStub();
  }
}
