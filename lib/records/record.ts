/** A typed, searchable attribute value. */
export type AttributeValue = string | number | boolean;

/** A record's attributes: small, typed, searchable by `query`. */
export type RecordAttributes = Readonly<Record<string, AttributeValue>>;

/** How a record's data bytes are to be read. */
export const RecordDataKind = {
  /** Opaque bytes. */
  Bytes: 0,
  /** One msgpack value, encoded by the project's codec. */
  Msgpack: 1,
} as const;
export type RecordDataKind = (typeof RecordDataKind)[keyof typeof RecordDataKind];

/** Length of a record id (and of its binding nonce) in bytes. */
export const RECORD_ID_BYTES = 16;

/**
 * Everything a record's signature covers.
 *
 * @remarks
 * `id` is bound to the creator: it is the first 16 bytes of SHA-256 over a label, the creator's
 * public key and a random `nonce`, so nobody else can publish a record under an id a creator
 * uses. The signer is the creator, except for a tombstone written by an admin, which carries the
 * admin's key in `signerKey`. The last modifier is the hash of the signer's key.
 */
export interface RecordFields {
  /** Short record type name, e.g. `whiteboard.shape`. */
  readonly type: string;
  /** The 16-byte record id, bound to the creator: derived from its key and `nonce`. */
  readonly id: Uint8Array;
  /** The creator's random 16-byte nonce that, with its key, gives the id. */
  readonly nonce: Uint8Array;
  /** 1 on creation, +1 per update or delete. */
  readonly version: number;
  /** DER SubjectPublicKeyInfo of the creator (its peer id is the hash of it). */
  readonly creatorKey: Uint8Array;
  /** DER SubjectPublicKeyInfo of the signer when it is not the creator (an admin's delete), else `null`. */
  readonly signerKey: Uint8Array | null;
  /** Integer milliseconds since the epoch. */
  readonly created: number;
  /** Integer milliseconds since the epoch of the last change. */
  readonly modified: number;
  /** Integer milliseconds since the epoch after which nobody keeps or accepts it. */
  readonly expires: number;
  /** True for a tombstone. */
  readonly deleted: boolean;
  /** Searchable attributes, sorted by name in the signed encoding. */
  readonly attributes: RecordAttributes;
  /** How `data` is to be read. */
  readonly dataKind: RecordDataKind;
  /** The data bytes (raw, or one msgpack value). */
  readonly data: Uint8Array;
}

/** A verified record version as a store holds it. */
export interface SignedRecord extends RecordFields {
  /** Peer id of the creator. */
  readonly creator: string;
  /** Peer id of the last modifier (the signer). */
  readonly lastModifier: string;
  /** The last modifier's signature over the signed body. */
  readonly signature: Uint8Array;
  /** The signed encoding: what travels, is stored, and is hashed. */
  readonly encoded: Uint8Array;
  /** SHA-256 of {@link SignedRecord.encoded}: the version hash reconciliation orders by. */
  readonly hash: Uint8Array;
  /** Lowercase hex of the id. */
  readonly idHex: string;
}
