import { ErrorCode, PeerChannelError, toPeerChannelError } from '../../errors/index.js';
import { positionOf, ringDistance } from './pnrp-id.js';
import type { PnrpLimits } from './pnrp-limits.js';
import type { PnrpContact, PnrpFoundResponse, PnrpRpc } from './protocol.js';
import { signedBytes, verifyRecord, type PnrpRecord, type VerifiedRecord } from './record.js';
import type { RoutingCache } from './routing-cache.js';

/** What a lookup needs from the node that runs it. */
export interface LookupHost {
  /** The cloud the lookup runs in. */
  readonly cloud: string;
  /** The running node's own contact. */
  readonly contact: PnrpContact;
  /** Its routing cache: where candidates start, and what contacts seen and failures update. */
  readonly cache: RoutingCache;
  /** How requests reach other nodes. */
  readonly rpc: PnrpRpc;
  /** Bounds records are verified against. */
  readonly limits: PnrpLimits;
  /** The clock, ms since the epoch (virtual in a simulation). */
  now(): number;
  /** The node's own answer to a find, as if it had been asked (it is a candidate like any other). */
  localFind(target: string, nameId: string | null, maxRecords: number): PnrpFoundResponse;
}

/** One iterative lookup toward `target`. */
export interface LookupRequest {
  /** 256-bit id (hex) to route toward. */
  readonly target: string;
  /** Name id (hex) whose records to gather, or `null` to find the closest nodes only. */
  readonly nameId: string | null;
  /** Stop once this many live records are in hand (the round in progress still finishes). */
  readonly maxRecords: number;
  /** Size of the closest set the lookup converges on (and that a publication stores at). */
  readonly closest: number;
  /** Requests in flight per step. */
  readonly parallelism: number;
  /** Give up after this many steps. */
  readonly maxSteps: number;
  readonly signal?: AbortSignal;
}

/** What a lookup found, and what it cost. */
export interface LookupResult {
  /** Nodes that answered (the running node included), closest to the target first, at most `closest`. */
  readonly closest: readonly PnrpContact[];
  /** Verified, unexpired, non-withdrawn records under the name, newest version per instance. */
  readonly records: readonly VerifiedRecord[];
  /** Steps taken: rounds of up to `parallelism` concurrent requests. */
  readonly steps: number;
  /** The step whose replies first held a record (0: the running node held one itself). */
  readonly firstRecordStep: number | undefined;
  /** Requests sent, and how many of them failed. */
  readonly queries: number;
  /** Requests that failed (timeouts, dead nodes, refusals). */
  readonly failures: number;
  /** Records handed to us that failed verification, by error code. */
  readonly rejected: Readonly<Record<string, number>>;
}

interface Candidate {
  readonly contact: PnrpContact;
  readonly distance: number;
  state: 'new' | 'ok' | 'failed';
}

/**
 * Runs an iterative lookup: each step asks the `parallelism` closest not-yet-asked candidates what
 * they know near the target, until the `closest` nearest live candidates have all answered.
 *
 * @remarks
 * Every contact learned is offered to the cache, and every failed request marks its contact, so
 * lookups are also how caches fill and repair. Every record received is verified here before it
 * is counted; records that fail are counted in `rejected` and dropped.
 */
export async function runLookup(host: LookupHost, request: LookupRequest): Promise<LookupResult> {
  const position = positionOf(request.target);
  const candidates = new Map<string, Candidate>();
  const found = new Map<string, VerifiedRecord>();
  const copies = new Map<string, VerifiedRecord>();
  const rejected: Record<string, number> = {};
  let firstRecordStep: number | undefined;
  let steps = 0;
  let queries = 0;
  let failures = 0;

  const offer = (contact: PnrpContact): void => {
    if (candidates.has(contact.peerId)) return;
    candidates.set(contact.peerId, { contact, distance: ringDistance(position, contact.position), state: 'new' });
  };
  const take = (records: readonly PnrpRecord[], step: number): void => {
    for (const record of records) {
      const copy = copies.get(record.signature.length === 0 ? '' : Buffer.from(record.signature).toString('base64'));
      // Replicas hand back the same record: one that is byte-identical to one already verified is not checked twice.
      if (copy !== undefined && Buffer.from(signedBytes(copy.record)).equals(signedBytes(record))) continue;
      let verified: VerifiedRecord;
      try {
        verified = verifyRecord(record, { cloud: host.cloud, now: host.now(), limits: host.limits });
      } catch (error) {
        const code = toPeerChannelError(error, ErrorCode.RECORD_INVALID).code;
        rejected[code] = (rejected[code] ?? 0) + 1;
        continue;
      }
      if (verified.nameId !== request.nameId) {
        rejected[ErrorCode.FRAME_UNEXPECTED] = (rejected[ErrorCode.FRAME_UNEXPECTED] ?? 0) + 1;
        continue;
      }
      copies.set(Buffer.from(record.signature).toString('base64'), verified);
      const held = found.get(verified.key);
      if (held === undefined || held.record.version < verified.record.version) found.set(verified.key, verified);
      if (!verified.record.withdrawn) firstRecordStep ??= step;
    }
  };
  const live = () => {
    let n = 0;
    for (const v of found.values()) if (!v.record.withdrawn) n += 1;
    return n;
  };

  const wanted = request.nameId === null ? 0 : Math.min(request.maxRecords, host.limits.maxRecordsPerReply);
  const self: Candidate = { contact: host.contact, distance: ringDistance(position, host.contact.position), state: 'ok' };
  candidates.set(host.contact.peerId, self);
  const local = host.localFind(request.target, request.nameId, request.maxRecords);
  local.contacts.forEach(offer);
  take(local.records, 0);

  while (steps < request.maxSteps && live() < request.maxRecords) {
    if (request.signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, 'lookup aborted', { cause: request.signal.reason });
    const nearest = [...candidates.values()]
      .filter((c) => c.state !== 'failed')
      .sort((a, b) => a.distance - b.distance || (a.contact.peerId < b.contact.peerId ? -1 : 1))
      .slice(0, request.closest);
    const batch = nearest.filter((c) => c.state === 'new').slice(0, request.parallelism);
    if (batch.length === 0) break;
    steps += 1;
    const step = steps;
    await Promise.all(
      batch.map(async (candidate) => {
        queries += 1;
        try {
          const reply = await host.rpc.request(candidate.contact, { op: 'find', target: request.target, nameId: request.nameId, maxRecords: wanted }, request.signal);
          candidate.state = 'ok';
          host.cache.markAlive(candidate.contact.peerId, host.now());
          for (const contact of reply.contacts) {
            if (contact.peerId === host.contact.peerId) continue;
            host.cache.add(contact, host.now());
            offer(contact);
          }
          take(reply.records, step);
        } catch {
          if (request.signal?.aborted) return;
          // A node that does not answer is the normal case in a DHT: mark it, route around it.
          candidate.state = 'failed';
          failures += 1;
          host.cache.markFailed(candidate.contact.peerId);
        }
      }),
    );
  }
  if (request.signal?.aborted) throw new PeerChannelError(ErrorCode.ABORTED, 'lookup aborted', { cause: request.signal.reason });

  const closest = [...candidates.values()]
    .filter((c) => c.state === 'ok')
    .sort((a, b) => a.distance - b.distance || (a.contact.peerId < b.contact.peerId ? -1 : 1))
    .slice(0, request.closest)
    .map((c) => c.contact);
  const records = [...found.values()].filter((v) => !v.record.withdrawn && v.record.expiresAt > host.now());
  return { closest, records, steps, firstRecordStep, queries, failures, rejected };
}
