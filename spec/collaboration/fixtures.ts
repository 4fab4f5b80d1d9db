import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collaboration, type CollaborationOptions, ContactStore, PeerIdentity, localResolver } from '../../lib/index.js';

/** One user: identity, contact store in a temp dir, and a {@link Collaboration} on ws + a private local resolver. */
export interface User {
  readonly name: string;
  readonly identity: PeerIdentity;
  readonly contacts: ContactStore;
  readonly collab: Collaboration;
}

/** Users on real TLS WebSockets, finding each other through a local resolver directory of their own; `close()` ends all. */
export class People {
  private dir: string | undefined;
  private readonly users: User[] = [];

  async add(name: string, options: Partial<CollaborationOptions> = {}): Promise<User> {
    this.dir ??= await mkdtemp(join(tmpdir(), 'pc-collab-'));
    const identity = PeerIdentity.generate();
    const contacts = await ContactStore.open(join(this.dir, `${name}-${identity.peerId.slice(0, 8)}.json`));
    const collab = await Collaboration.open({
      identity, name, contacts, presenceTtlMs: 30_000, joinTimeoutMs: 10_000,
      ...options,
      node: { resolver: localResolver({ directory: join(this.dir, 'resolver') }), ...options.node },
    });
    const user = { name, identity, contacts, collab };
    this.users.push(user);
    return user;
  }

  /** Each imports the other's card (trusted). */
  async befriend(a: User, b: User): Promise<void> {
    await a.contacts.import(await b.collab.card());
    await b.contacts.import(await a.collab.card());
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.users.splice(0).map(async (u) => (await u.collab.close(), await u.contacts.close())));
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
