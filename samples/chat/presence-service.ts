import { inject, injectable } from 'tsyringe';
import { PEER_NODE, type PeerNode, type PeerProxy, currentCall, token } from '../../lib/index.js';
import { Presence } from './presence-contract.js';
import { ROSTER, type Roster } from './roster.js';

/** Injection token of this chat's own name. */
export const CHAT_NAME = token<string>('chat:name');

/**
 * This chat's side of {@link Presence}: keeps the roster up to date and answers `/who`.
 *
 * @remarks
 * Resolved by tsyringe in the node's own container (`node.host(Presence, PresenceService)`).
 * Each operation reads the sender's peer id from {@link currentCall}; this chat's own floods
 * come back to it (`call.local`) and are ignored.
 */
@injectable()
export class PresenceService implements Presence {
  private readonly presence: PeerProxy<Presence>;

  constructor(
    @inject(PEER_NODE) node: PeerNode,
    @inject(CHAT_NAME) private readonly name: string,
    @inject(ROSTER) private readonly roster: Roster,
  ) {
    this.presence = node.proxy(Presence);
  }

  hello(name: string): void {
    const call = currentCall();
    // Introduce ourselves to the newcomer alone, so it need not wait for our next heartbeat.
    if (!call.local && this.roster.saw(call.from, name, 'joined')) {
      this.presence.to(call.from).here(this.name).catch(() => {
        // It left again, or no route yet: our next heartbeat reaches it anyway.
      });
    }
  }

  here(name: string): void {
    const call = currentCall();
    if (!call.local) this.roster.saw(call.from, name, 'here');
  }

  bye(): void {
    const call = currentCall();
    if (!call.local) this.roster.left(call.from);
  }

  async who(): Promise<string> {
    return this.name;
  }
}
