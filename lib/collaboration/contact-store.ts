import type { PeerId } from '../identity/peer-id.js';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BehaviorSubject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import { peerIdFromCertificate } from '../identity/certificate.js';
import { defaultCollaborationLimits, isFriendlyName } from './collaboration-limits.js';
import { type ContactCard, parseContactCard } from './contact-card.js';

/** A person whose card I imported. */
export interface Contact extends ContactCard {
  /** Invitations are accepted only from trusted contacts (by default); an imported card is trusted. */
  readonly trusted: boolean;
  /** When the card was imported, ms since the epoch. */
  readonly added: number;
}

/** Options of {@link ContactStore.open}. */
export interface ContactStoreOptions {
  /** @defaultValue 1_000 */
  readonly maxContacts?: number;
  /** @defaultValue 16_384 */
  readonly maxCardBytes?: number;
}

/**
 * My contacts, persisted as one JSON file (mode 0600) rewritten atomically on every change.
 *
 * @remarks
 * Cards are checked again when the file is read, so a hand-edited file cannot slip in a key that
 * is not its peer id. Changes are applied in call order.
 *
 * @example
 * ```ts
 * const contacts = await ContactStore.open(join(home, 'contacts.json'));
 * const bob = await contacts.import(await readFile('bob.vcf', 'utf8'));
 * contacts.contacts$.subscribe((all) => console.log(all.map((c) => c.name)));
 * ```
 */
export class ContactStore {
  private readonly all$: BehaviorSubject<readonly Contact[]>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly maxContacts: number;
  private readonly maxCardBytes: number;

  private constructor(
    /** The JSON file the contacts are kept in. */
    readonly path: string,
    initial: readonly Contact[],
    options: ContactStoreOptions,
  ) {
    this.all$ = new BehaviorSubject(initial);
    this.maxContacts = options.maxContacts ?? defaultCollaborationLimits.maxContacts;
    this.maxCardBytes = options.maxCardBytes ?? defaultCollaborationLimits.maxCardBytes;
  }

  /** Opens (or starts) the contact file at `path`. */
  static async open(path: string, options: ContactStoreOptions = {}): Promise<ContactStore> {
    let initial: Contact[] = [];
    try {
      const saved = JSON.parse(await readFile(path, 'utf8')) as { contacts?: { certPem: string; name: string; peerId: string; endpoints: string[]; trusted: boolean; added: number }[] };
      initial = (saved.contacts ?? []).map((c) => ({ ...reverify(c), trusted: c.trusted === true, added: Number(c.added) || 0 }));
    } catch (error) {
      if (error instanceof PeerChannelError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new PeerChannelError(ErrorCode.CARD_INVALID, `${path} is not a readable contact file`, { cause: error });
    }
    return new ContactStore(path, initial, options);
  }

  /**
   * Every contact, now and after each change.
   * @remarks Hot; replays the current list to each new subscriber. Completes on {@link ContactStore.close}.
   */
  get contacts$(): Observable<readonly Contact[]> {
    return this.all$.asObservable();
  }

  /** The contacts now. */
  list(): readonly Contact[] {
    return this.all$.value;
  }

  /** The contact with this peer id, if any. */
  get(peerId: string): Contact | undefined {
    return this.all$.value.find((c) => c.peerId === peerId);
  }

  /**
   * Imports a vCard as a contact (trusted unless told otherwise); importing a card of a known
   * peer id replaces its name, certificate and endpoints.
   * @throws PeerChannelError `PC_ERR_CARD_INVALID`, `PC_ERR_CARD_KEY_MISMATCH` (synchronously
   * checked, rejected), `PC_ERR_CONTACT_LIMIT`.
   */
  import(vcf: string, options: { readonly trusted?: boolean } = {}): Promise<Contact> {
    let card: ContactCard;
    try {
      card = parseContactCard(vcf, this.maxCardBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.change((all) => {
      const known = all.find((c) => c.peerId === card.peerId);
      if (known === undefined && all.length >= this.maxContacts) throw new PeerChannelError(ErrorCode.CONTACT_LIMIT, `the contact store holds its maximum of ${this.maxContacts}`);
      const contact: Contact = { ...card, trusted: options.trusted ?? true, added: known?.added ?? Date.now() };
      return { next: [...all.filter((c) => c.peerId !== card.peerId), contact], result: contact };
    });
  }

  /** Removes a contact. @throws PeerChannelError `PC_ERR_CONTACT_UNKNOWN` (rejected). */
  remove(peerId: string): Promise<void> {
    return this.change((all) => {
      if (!all.some((c) => c.peerId === peerId)) throw new PeerChannelError(ErrorCode.CONTACT_UNKNOWN, `no contact ${peerId.slice(0, 12)}…`);
      return { next: all.filter((c) => c.peerId !== peerId), result: undefined };
    });
  }

  /** Marks a contact trusted or not. @throws PeerChannelError `PC_ERR_CONTACT_UNKNOWN` (rejected). */
  setTrusted(peerId: string, trusted: boolean): Promise<Contact> {
    return this.change((all) => {
      const known = all.find((c) => c.peerId === peerId);
      if (known === undefined) throw new PeerChannelError(ErrorCode.CONTACT_UNKNOWN, `no contact ${peerId.slice(0, 12)}…`);
      const contact = { ...known, trusted };
      return { next: all.map((c) => (c.peerId === peerId ? contact : c)), result: contact };
    });
  }

  /** Completes {@link ContactStore.contacts$} once pending writes are done. Idempotent. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.all$.complete();
  }

  private change<R>(apply: (all: readonly Contact[]) => { next: Contact[]; result: R }): Promise<R> {
    const run = this.queue.then(async () => {
      if (this.all$.closed || this.all$.isStopped) throw new PeerChannelError(ErrorCode.CLOSED, 'the contact store is closed');
      const { next, result } = apply(this.all$.value);
      next.sort((a, b) => a.name.localeCompare(b.name));
      await this.save(next);
      this.all$.next(next);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async save(contacts: readonly Contact[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    const plain = contacts.map(({ name, peerId, certPem, endpoints, trusted, added }) => ({ name, peerId, certPem, endpoints, trusted, added }));
    await writeFile(temp, JSON.stringify({ version: 1, contacts: plain }, null, 1), { mode: 0o600 });
    await rename(temp, this.path);
  }
}

function reverify(saved: { certPem: string; name: string; peerId: string; endpoints: string[] }): ContactCard {
  // The saved form is checked as a card would be: the key must still hash to the peer id.
  const cert = new X509Certificate(saved.certPem);
  if (peerIdFromCertificate(cert) !== saved.peerId) throw new PeerChannelError(ErrorCode.CARD_KEY_MISMATCH, `saved contact ${String(saved.peerId).slice(0, 12)}… has another key`);
  if (!isFriendlyName(saved.name)) throw new PeerChannelError(ErrorCode.CARD_INVALID, 'a saved contact has no friendly name');
  const spki = new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' }));
  // The key hashes to it (checked above), so it is a peer id.
  return { name: saved.name, peerId: saved.peerId as PeerId, certPem: saved.certPem, publicKeySpki: spki, endpoints: Array.isArray(saved.endpoints) ? saved.endpoints.map(String) : [] };
}
