import type { PeerId } from '../identity/peer-id.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { PeopleNearMe } from '../presence/people-near-me.js';
import type { CollaborationLimits } from './collaboration-limits.js';
import type { Contact, ContactStore } from './contact-store.js';
import type { PeopleNodeOptions } from './people-meshes.js';
import type { PresenceStatus } from './presence-status.js';

/** A registered application: what invitations are for. */
export interface Application {
  /** 1..64 characters: letters, digits, `.`, `_`, `-`. */
  readonly id: string;
  /** At most 255 characters. */
  readonly description: string;
}

/** A small object a user publishes with its presence. */
export interface PublishedObject {
  /** The name it is published under: 1–64 letters, digits, `.`, `_` or `-`; unique per user. */
  readonly name: string;
  /** Its bytes (at most `maxObjectBytes` of {@link CollaborationLimits}, 16 KiB by default). */
  readonly data: Uint8Array;
}

/** A person near me on the LAN (People Near Me) who runs PeerChannel collaboration: someone I can invite. */
export interface NearbyPerson {
  /** The person's peer id, as announced (lowercase hex); the one dialled with it pinned. */
  readonly peerId: PeerId;
  /** The name the person announces (signed by its key: see People Near Me). */
  readonly displayName: string;
  /** Where the person's nodes listen; dialled with the peer id pinned, which proves who answers. */
  readonly addresses: readonly string[];
  /** The contact of that peer id in my contact store, if I have its card. */
  readonly contact: Contact | undefined;
}

/** Options of {@link Collaboration.open}. */
export interface CollaborationOptions {
  /** Who I am (e.g. from `IdentityManager`). */
  readonly identity: PeerIdentity;
  /** My friendly name, written on my card. */
  readonly name: string;
  /** My contacts: whose invitations are trusted, whose cards I hold. */
  readonly contacts: ContactStore;
  /**
   * Node options for every mesh this user joins (transport, resolver: the local resolver by
   * default; `pnrpResolver()` to find contacts anywhere, `lanResolver()` on the LAN).
   * @defaultValue `{}`
   */
  readonly node?: PeopleNodeOptions;
  /**
   * A running People Near Me: I announce myself on it (my name and my inbox) so that people near me
   * can invite me, and {@link Collaboration.nearby$} lists the people it finds. Pass the same one
   * to `lanResolver({ presence })` in `node` to find contacts' presence on the LAN through it.
   * @defaultValue none: not announced, nobody listed
   */
  readonly peopleNearMe?: PeopleNearMe;
  /**
   * Accept invitations only from trusted contacts; false lets anyone whose signature verifies invite.
   * @defaultValue true
   */
  readonly trustedInvitationsOnly?: boolean;
  /** How long a presence record lives unless refreshed; it is refreshed every third of this. @defaultValue 30_000 */
  readonly presenceTtlMs?: number;
  /** How long {@link Collaboration.invite} waits for the invitee's presence mesh to come online. @defaultValue 10_000 */
  readonly joinTimeoutMs?: number;
  /** The status published on open. @defaultValue `Online` */
  readonly status?: PresenceStatus;
  /** @defaultValue `defaultCollaborationLimits` */
  readonly limits?: Partial<CollaborationLimits>;
}
