import type { PnrpRecord } from './record.js';

/**
 * A PNRP node as another node knows it.
 *
 * @remarks
 * `position` is the node's place on the ring, derived from `nodeIdFor(cloud, peerId)` by whoever
 * built the contact (the network binding recomputes it from the authenticated peer id; a
 * simulation passes the same contact objects around by reference).
 */
export interface PnrpContact {
  /** The node's peer id. */
  readonly peerId: string;
  /** Addresses its PNRP transport listens on. */
  readonly addresses: readonly string[];
  /** Its place on the ring (leading bits of its node id), used for closeness. */
  readonly position: number;
}

/** "Are you there?" — answered with the responder's own contact. */
export interface PnrpPingRequest {
  /** Request type tag. */
  readonly op: 'ping';
}

/**
 * "What do you know near `target`?" — answered with the responder's closest contacts and, when
 * `nameId` is set, the live records it stores under that name.
 */
export interface PnrpFindRequest {
  /** Request type tag. */
  readonly op: 'find';
  /** 256-bit id (hex) to route toward. */
  readonly target: string;
  /** 128-bit name id (hex) whose records are wanted, or `null` for routing only. */
  readonly nameId: string | null;
  /** Most records wanted in the reply. */
  readonly maxRecords: number;
}

/** "Keep this record" — sent to the nodes closest to the record's PNRP id. */
export interface PnrpStoreRequest {
  /** Request type tag. */
  readonly op: 'store';
  /** The signed record to store; the receiver verifies it. */
  readonly record: PnrpRecord;
}

/** Every request one PNRP node sends another. */
export type PnrpRequest = PnrpPingRequest | PnrpFindRequest | PnrpStoreRequest;

/** Answer to a ping: the responder's own contact. */
export interface PnrpPongResponse {
  /** Reply type tag. */
  readonly op: 'pong';
  /** The responder's own contact. */
  readonly contact: PnrpContact;
}
/** Answer to a find: the responder's closest contacts to the target, and matching live records. */
export interface PnrpFoundResponse {
  /** Reply type tag. */
  readonly op: 'found';
  /** The responder's contacts closest to the target (at most 20). */
  readonly contacts: readonly PnrpContact[];
  /** Live records it stores under the requested name id (empty for routing-only finds). */
  readonly records: readonly PnrpRecord[];
}
/** Answer to a store the responder accepted (a refusal is a failure with its code). */
export interface PnrpStoredResponse {
  /** Reply type tag. */
  readonly op: 'stored';
}

/** Every successful reply; failures reject with a `PeerChannelError` carrying the remote code. */
export type PnrpResponse = PnrpPongResponse | PnrpFoundResponse | PnrpStoredResponse;

/** The reply type that answers request type `R`. */
export type PnrpResponseFor<R extends PnrpRequest> = R extends PnrpPingRequest
  ? PnrpPongResponse
  : R extends PnrpFindRequest
    ? PnrpFoundResponse
    : PnrpStoredResponse;

/**
 * The only thing the protocol logic needs from a network: send a request to a node and await
 * its reply.
 *
 * @remarks
 * Implemented in-process by `PnrpSimNetwork` (with failure injection) and over a
 * {@link peerchannel!Transport} by `PnrpTransportBinding`. Failures reject with a `PeerChannelError`:
 * `PC_ERR_TIMEOUT`, `PC_ERR_UNREACHABLE`, `PC_ERR_DIAL_FAILED`, `PC_ERR_ABORTED`, or a code the
 * remote node answered with.
 */
export interface PnrpRpc {
  /** Sends `request` to the node `to` and resolves with its reply of the matching type. */
  request<R extends PnrpRequest>(to: PnrpContact, request: R, signal?: AbortSignal): Promise<PnrpResponseFor<R>>;
  /** Pings whatever listens at `address` (a seed, whose peer id is not known yet). */
  probe(address: string, signal?: AbortSignal): Promise<PnrpContact>;
}

/** The serving side the network hands each inbound request to. */
export interface PnrpRequestHandler {
  /**
   * Answers one request from `from` in cloud `cloud`, synchronously.
   * @throws PeerChannelError whose code goes back to the requester.
   */
  handleRequest(from: PnrpContact, cloud: string, request: PnrpRequest): PnrpResponse;
}
