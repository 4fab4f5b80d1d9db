import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { PeerNode } from '../node/peer-node.js';

/** Options of {@link prometheusMetrics}. */
export interface PrometheusOptions {
  /**
   * Where the metrics are registered.
   * @defaultValue a new `Registry` of its own
   */
  readonly registry?: Registry;
  /**
   * Prefix of every metric name.
   * @defaultValue `'peerchannel_'`
   */
  readonly prefix?: string;
  /**
   * Handshake duration histogram buckets, in seconds.
   * @defaultValue `[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]`
   */
  readonly handshakeBuckets?: readonly number[];
  /**
   * Record reconciliation session duration histogram buckets, in seconds.
   * @defaultValue `[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]`
   */
  readonly syncBuckets?: readonly number[];
}

/** The Prometheus view of one or more nodes; {@link PeerChannelMetrics.close} unregisters it. */
export interface PeerChannelMetrics {
  /** The prom-client registry the metrics are registered in (`options.registry`, or a new one). */
  readonly registry: Registry;
  /** The `Content-Type` to serve {@link PeerChannelMetrics.metrics} with. */
  readonly contentType: string;
  /** The exposition text (Prometheus text format 0.0.4), read from the nodes at call time. */
  metrics(): Promise<string>;
  /** Stops observing handshakes and sync sessions and removes the metrics from the registry. Idempotent. */
  close(): void;
}

/**
 * Exposes nodes' counters and gauges in Prometheus text format via `prom-client`.
 *
 * @remarks
 * An opt-in adapter (`import { prometheusMetrics } from 'peerchannel/prometheus'`; install
 * `prom-client` yourself): the core never imports it. Counters are read from `node.stats()` when
 * scraped, so the message path does no extra work; only handshake durations are observed as
 * they happen. Every series carries a `peer` label (the node's peer id), so several nodes can
 * share a registry.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `peerchannel_messages_sent_total` | counter | peer |
 * | `peerchannel_messages_delivered_total` | counter | peer |
 * | `peerchannel_messages_relayed_total` | counter | peer |
 * | `peerchannel_messages_duplicate_total` | counter | peer |
 * | `peerchannel_dropped_total` | counter | peer, code |
 * | `peerchannel_neighbors` | gauge | peer |
 * | `peerchannel_link_queue_frames` | gauge | peer, neighbor |
 * | `peerchannel_handshake_seconds` | histogram | peer, direction |
 * | `peerchannel_record_sync_seconds` | histogram | peer, space, role, outcome |
 * | `peerchannel_record_sync_sessions_total` | counter | peer, space, result |
 *
 * The record sync metrics exist only when at least one node keeps records. `space` is `user`
 * (the application's store) or `system` (the node records of the mesh view); durations are
 * observed from `node.recordSyncSessions$` as sessions finish, and the sessions counter is read
 * from `node.recordSyncStats(space)` when scraped (`result` is `complete` or the failure code).
 *
 * @example
 * ```ts
 * const metrics = prometheusMetrics(node);
 * http.createServer(async (_, res) => res.setHeader('content-type', metrics.contentType).end(await metrics.metrics()));
 * ```
 */
export function prometheusMetrics(nodes: PeerNode | readonly PeerNode[], options: PrometheusOptions = {}): PeerChannelMetrics {
  const list: PeerNode[] = Array.isArray(nodes) ? [...(nodes as readonly PeerNode[])] : [nodes as PeerNode];
  const registry = options.registry ?? new Registry();
  const p = options.prefix ?? 'peerchannel_';
  const registers = [registry];
  const counter = (name: string, help: string, read: (n: PeerNode) => number) =>
    new Counter({
      name: `${p}${name}`, help, labelNames: ['peer'], registers,
      collect() {
        this.reset();
        for (const n of list) this.inc({ peer: n.peerId }, read(n));
      },
    });
  const metrics = [
    counter('messages_sent_total', 'Messages this node sent (floods, directed calls, replies).', (n) => n.stats().sent),
    counter('messages_delivered_total', 'Messages delivered to this node.', (n) => n.stats().delivered),
    counter('messages_relayed_total', 'Payload frames passed on to neighbours.', (n) => n.stats().relayed),
    counter('messages_duplicate_total', 'Copies of already-seen messages that arrived.', (n) => n.stats().duplicates),
    new Counter({
      name: `${p}dropped_total`, help: 'Dropped messages and closed links, by PeerChannel error code.', labelNames: ['peer', 'code'], registers,
      collect() {
        this.reset();
        for (const n of list) for (const [code, v] of Object.entries(n.stats().dropped)) this.inc({ peer: n.peerId, code }, v);
      },
    }),
    new Gauge({
      name: `${p}neighbors`, help: 'Neighbours (handshaken links) right now.', labelNames: ['peer'], registers,
      collect() {
        for (const n of list) this.set({ peer: n.peerId }, n.linkQueues().size);
      },
    }),
    new Gauge({
      name: `${p}link_queue_frames`, help: 'Frames queued on a neighbour link and not yet handed to the network.', labelNames: ['peer', 'neighbor'], registers,
      collect() {
        this.reset();
        for (const n of list) for (const [neighbor, q] of n.linkQueues()) this.set({ peer: n.peerId, neighbor }, q);
      },
    }),
  ];
  const handshakes = new Histogram({
    name: `${p}handshake_seconds`, help: 'Time from dial or accept, through admission and handshake, to a new neighbour.',
    labelNames: ['peer', 'direction'], buckets: [...(options.handshakeBuckets ?? [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5])], registers,
  });
  const subs: Subscription[] = list.map((n) => n.handshakes$.subscribe((h) => handshakes.observe({ peer: n.peerId, direction: h.direction }, h.ms / 1000)));
  const withRecords = list.filter((n) => n.hasRecords);
  if (withRecords.length > 0) {
    const syncSeconds = new Histogram({
      name: `${p}record_sync_seconds`, help: 'Duration of a record reconciliation session, from its first frame to its end.',
      labelNames: ['peer', 'space', 'role', 'outcome'], buckets: [...(options.syncBuckets ?? [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])], registers,
    });
    const syncSessions = new Counter({
      name: `${p}record_sync_sessions_total`, help: 'Record reconciliation sessions finished, by records space and result (complete or the failure code).',
      labelNames: ['peer', 'space', 'result'], registers,
      collect() {
        this.reset();
        for (const n of withRecords) {
          for (const space of ['user', 'system'] as const) {
            const st = n.recordSyncStats(space);
            if (st === undefined) continue;
            this.inc({ peer: n.peerId, space, result: 'complete' }, st.complete);
            for (const [code, v] of Object.entries(st.failed)) this.inc({ peer: n.peerId, space, result: code }, v);
          }
        }
      },
    });
    metrics.push(syncSeconds as unknown as Counter, syncSessions);
    for (const n of withRecords) {
      subs.push(n.recordSyncSessions$.subscribe((r) => syncSeconds.observe({ peer: n.peerId, space: r.space, role: r.role, outcome: r.outcome }, r.ms / 1000)));
    }
  }
  let closed = false;
  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    close() {
      if (closed) return;
      closed = true;
      for (const s of subs) s.unsubscribe();
      for (const m of [...metrics, handshakes]) registry.removeSingleMetric((m as unknown as { name: string }).name);
    },
  };
}
