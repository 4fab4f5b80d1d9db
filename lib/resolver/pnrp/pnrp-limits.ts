/**
 * Bounds on everything a remote PNRP node controls, plus the defaults the protocol runs with.
 *
 * @remarks
 * A record or message that breaks one of these bounds is rejected with its own code; on the
 * network binding a frame that breaks one closes the link that sent it.
 */
export interface PnrpLimits {
  /**
   * Largest application payload in a record, in bytes (PNRP's CPA allows about 4 KB).
   * @defaultValue 4096
   */
  readonly maxPayloadBytes: number;
  /**
   * Most endpoint addresses in a record or a contact.
   * @defaultValue 16
   */
  readonly maxAddresses: number;
  /**
   * Longest endpoint address.
   * @defaultValue 512
   */
  readonly maxAddressLength: number;
  /**
   * Longest cloud name.
   * @defaultValue 64
   */
  readonly maxCloudLength: number;
  /**
   * Longest peer id (of an endpoint or a contact).
   * @defaultValue 256
   */
  readonly maxPeerIdLength: number;
  /**
   * Largest public key (DER SPKI), in bytes.
   * @defaultValue 1024
   */
  readonly maxPublicKeyBytes: number;
  /**
   * Largest signature, in bytes.
   * @defaultValue 512
   */
  readonly maxSignatureBytes: number;
  /**
   * Longest lifetime a record may claim, counted from the receiver's clock.
   * @defaultValue 86_400_000 (24 h)
   */
  readonly maxTtlMs: number;
  /**
   * Clock difference tolerated between publisher and storer when checking a record's expiry.
   * @defaultValue 300_000 (5 min)
   */
  readonly clockSkewMs: number;
  /**
   * Most contacts in one reply.
   * @defaultValue 20
   */
  readonly maxContactsPerReply: number;
  /**
   * Most records in one reply.
   * @defaultValue 32
   */
  readonly maxRecordsPerReply: number;
  /**
   * Most record bytes (payload and addresses) in one reply, so a reply stays inside a frame.
   * @defaultValue 40_960
   */
  readonly maxReplyRecordBytes: number;
  /**
   * Most records one node stores for other publishers. When full, a publisher holding fewer
   * records here than the most represented one takes the place of that one's oldest record;
   * otherwise the store is refused with `PC_ERR_STORE_QUOTA`.
   * @defaultValue 4096
   */
  readonly maxStoredRecords: number;
  /**
   * Most records one node stores for one publisher key (all its names and instances); beyond it
   * that publisher's new stores are refused with `PC_ERR_STORE_QUOTA` (try other close nodes).
   * @defaultValue 64
   */
  readonly maxRecordsPerPublisher: number;
  /**
   * Most records one node stores that arrived from one sending node (one authenticated link),
   * whoever published them; bounds many throwaway keys behind one link. Beyond it:
   * `PC_ERR_STORE_QUOTA`.
   * @defaultValue 256
   */
  readonly maxRecordsPerSource: number;
  /**
   * Most records one node stores under one name; beyond it new stores for that name are refused.
   * @defaultValue 256
   */
  readonly maxRecordsPerName: number;
}

/** Defaults for {@link PnrpLimits}. */
export const defaultPnrpLimits: PnrpLimits = Object.freeze({
  maxPayloadBytes: 4096,
  maxAddresses: 16,
  maxAddressLength: 512,
  maxCloudLength: 64,
  maxPeerIdLength: 256,
  maxPublicKeyBytes: 1024,
  maxSignatureBytes: 512,
  maxTtlMs: 86_400_000,
  clockSkewMs: 300_000,
  maxContactsPerReply: 20,
  maxRecordsPerReply: 32,
  maxReplyRecordBytes: 40_960,
  maxStoredRecords: 4096,
  maxRecordsPerPublisher: 64,
  maxRecordsPerSource: 256,
  maxRecordsPerName: 256,
});

/** Fills unset fields of `limits` from {@link defaultPnrpLimits}. */
export function pnrpLimits(limits: Partial<PnrpLimits> = {}): PnrpLimits {
  return Object.freeze({ ...defaultPnrpLimits, ...limits });
}
