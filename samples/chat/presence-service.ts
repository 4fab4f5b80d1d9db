import { inject, injectable } from 'tsyringe';
import { PEER_NODE, type PeerNode, type PeerProxy, currentCall, token } from '../../lib/index.js';
import { Presence } from './presence-contract.js';
import { ROSTER, type Roster } from './roster.js';

/** This chat as its presence service sees it. */
export interface Self {
  readonly name: string;
  /** Milliseconds since this chat opened. */
  uptimeMs(): number;
}

/** Injection token of this chat's {@link Self}. */
export const SELF = token<Self>('chat:self');

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
    @inject(SELF) private readonly self: Self,
    @inject(ROSTER) private readonly roster: Roster,
  ) {
    this.presence = node.proxy(Presence);
  }

  here(name: string, uptimeMs: number): void {
    const call = currentCall();
    if (call.local) return;
    const uptime = this.self.uptimeMs();
    if (this.roster.saw(call.from, name, uptimeMs < uptime ? 'joined' : 'here')) {
      // It may not know us either: tell it now rather than at our next heartbeat.
      this.presence.to(call.from).here(this.self.name, uptime).catch(() => {
        // It left again, or there is no route yet: our next heartbeat reaches it anyway.
      });
    }
  }

  bye(): void {
    const call = currentCall();
    if (!call.local) this.roster.left(call.from);
  }

  async who(): Promise<string> {
    return this.self.name;
  }
}
