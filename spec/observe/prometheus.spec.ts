import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type PeerNode, type RecordSyncReport } from '../../lib/index.js';
import { type PeerChannelMetrics, prometheusMetrics } from '../../lib/observe/prometheus.js';
import { Chat } from '../helpers/contracts.js';
import { MemoryMesh } from '../helpers/memory-mesh.js';
import { waitFor } from '../helpers/wait.js';

let mesh: MemoryMesh;
let server: Server | undefined;
let metrics: PeerChannelMetrics | undefined;
afterEach(async () => {
  metrics?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  await mesh?.close();
});

async function serve(m: PeerChannelMetrics): Promise<string> {
  server = createServer((_, res) => {
    void m.metrics().then((text) => res.setHeader('content-type', m.contentType).end(text));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

function value(families: ParsedFamily[], name: string, labels: Record<string, string>): number | undefined {
  const family = families.find((f) => f.name === name);
  const m = family?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

describe('prometheus adapter', () => {
  it('serves Prometheus text whose counters match stats() for every node', async () => {
    mesh = new MemoryMesh(21);
    const nodes = await mesh.add(4);
    const [a, b, c, d] = nodes as [PeerNode, PeerNode, PeerNode, PeerNode];
    metrics = prometheusMetrics(nodes);
    await mesh.line([a, b, c, d]);
    // b and c host the chat contract; d never binds it, so every chat flood is a coded drop there.
    for (const n of [a, b, c]) n.host(Chat, { say() {}, nudge() {}, ping() {}, whois: async () => 'x', add: async () => 0, fail: async () => undefined });
    for (let i = 0; i < 5; i++) await a.proxy(Chat).say('a', `m${i}`);
    await waitFor(() => (d.stats().dropped[ErrorCode.UNKNOWN_CONTRACT] ?? 0) === 5, 'five floods reach d');
    const url = await serve(metrics);
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const families = parsePrometheusTextFormat(await res.text());
    expect(families.find((f) => f.name === 'peerchannel_messages_sent_total')?.type).toBe('COUNTER');
    for (const n of nodes) {
      const s = n.stats();
      const peer = n.peerId;
      expect(value(families, 'peerchannel_messages_sent_total', { peer })).toBe(s.sent);
      expect(value(families, 'peerchannel_messages_delivered_total', { peer })).toBe(s.delivered);
      expect(value(families, 'peerchannel_messages_relayed_total', { peer })).toBe(s.relayed);
      expect(value(families, 'peerchannel_messages_duplicate_total', { peer })).toBe(s.duplicates);
      for (const [code, v] of Object.entries(s.dropped)) expect(value(families, 'peerchannel_dropped_total', { peer, code })).toBe(v);
      expect(value(families, 'peerchannel_neighbors', { peer })).toBe(n === a || n === d ? 1 : 2);
    }
    expect(value(families, 'peerchannel_messages_sent_total', { peer: a.peerId })).toBe(5);
    expect(value(families, 'peerchannel_dropped_total', { peer: d.peerId, code: ErrorCode.UNKNOWN_CONTRACT })).toBe(5);
    expect(families.find((f) => f.name === 'peerchannel_handshake_seconds')?.type).toBe('HISTOGRAM');
    // The text parser folds a labelled histogram into one series, so read the counts from prom-client's registry.
    const json = await metrics.registry.getMetricsAsJSON();
    const counts = json.find((m) => m.name === 'peerchannel_handshake_seconds')!.values.filter((v) => (v as { metricName?: string }).metricName === 'peerchannel_handshake_seconds_count');
    // Three links, each timed at both ends.
    expect(counts.reduce((sum, v) => sum + v.value, 0)).toBe(6);
    const queues = families.find((f) => f.name === 'peerchannel_link_queue_frames');
    expect(queues?.metrics).toHaveLength(6);
  });

  it('close() removes its metrics from a shared registry', async () => {
    mesh = new MemoryMesh(22);
    const [a] = await mesh.add(1);
    const m = prometheusMetrics(a!);
    expect(await m.metrics()).toContain('peerchannel_messages_sent_total');
    m.close();
    m.close();
    expect(await m.registry.metrics()).not.toContain('peerchannel_');
  });
});

describe('prometheus adapter: record sync', () => {
  /** Sum of a labelled histogram's `_count` lines that carry every given label, read from the text. */
  function histogramCount(text: string, name: string, labels: Record<string, string>): number {
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}_count{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  it('times every reconciliation session by space, role and outcome, and its sessions counter matches recordSyncStats()', async () => {
    mesh = new MemoryMesh(23);
    const nodes = await mesh.add(3, { records: { storage: 'memory' }, observe: { meshRecordIntervalMs: 100 } });
    metrics = prometheusMetrics(nodes);
    const seen = new Map<string, RecordSyncReport[]>(nodes.map((n) => [n.peerId, []]));
    for (const n of nodes) n.recordSyncSessions$.subscribe((r) => seen.get(n.peerId)!.push(r));
    await mesh.line(nodes);
    // Two links, one session each per space, seen at both ends: 2 sessions per space on the middle node, 1 at the ends.
    await waitFor(() => nodes.every((n, i) => seen.get(n.peerId)!.length === (i === 1 ? 4 : 2)), 'every session of both spaces finished');
    const text = await (await fetch(await serve(metrics))).text();
    const families = parsePrometheusTextFormat(text); // also: it parses as Prometheus text
    expect(families.find((f) => f.name === 'peerchannel_record_sync_seconds')?.type).toBe('HISTOGRAM');
    expect(families.find((f) => f.name === 'peerchannel_record_sync_sessions_total')?.type).toBe('COUNTER');
    for (const n of nodes) {
      const peer = n.peerId;
      const reports = seen.get(peer)!;
      for (const space of ['user', 'system'] as const) {
        const mine = reports.filter((r) => r.space === space);
        expect(mine.length).toBeGreaterThan(0);
        expect(histogramCount(text, 'peerchannel_record_sync_seconds', { peer, space })).toBe(mine.length);
        for (const role of ['initiator', 'responder'] as const) {
          expect(histogramCount(text, 'peerchannel_record_sync_seconds', { peer, space, role })).toBe(mine.filter((r) => r.role === role).length);
        }
        const st = n.recordSyncStats(space)!;
        expect(value(families, 'peerchannel_record_sync_sessions_total', { peer, space, result: 'complete' })).toBe(st.complete);
        expect(st.complete).toBe(mine.filter((r) => r.outcome === 'complete').length);
        for (const [code, v] of Object.entries(st.failed)) expect(value(families, 'peerchannel_record_sync_sessions_total', { peer, space, result: code })).toBe(v);
      }
    }
  });

  it('has no record sync metrics for nodes without records', async () => {
    mesh = new MemoryMesh(24);
    metrics = prometheusMetrics(await mesh.add(1));
    const text = await metrics.metrics();
    expect(text).toContain('peerchannel_messages_sent_total');
    expect(text).not.toContain('record_sync');
  });
});
