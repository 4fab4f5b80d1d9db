import { PeerContract, PeerOperation, contractStub } from '../../lib/index.js';

/**
 * Who is in the room.
 *
 * @remarks
 * Hosted by {@link PresenceService}. A chat floods `here` when it comes online and then as a
 * heartbeat; a chat that hears of a peer it did not know answers it with a `here` sent to that
 * peer alone, so a newcomer learns of everyone at once. `uptimeMs` (how long the sender has been
 * open, a duration, so clocks need not agree) tells a peer that just joined from one that was
 * already waiting. `bye` is a graceful leave; a peer that stops sending heartbeats (a killed
 * process) is declared gone. `who` is gathered from the whole room.
 */
@PeerContract('chat.presence')
export class Presence {
  @PeerOperation() here(name: string, uptimeMs: number): void {}

  @PeerOperation() bye(): void {}

  @PeerOperation({ reply: true }) who(): Promise<string> {
    return contractStub();
  }
}
