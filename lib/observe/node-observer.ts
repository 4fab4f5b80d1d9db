import { firstValueFrom, toArray, type Observable } from 'rxjs';
import type { CallBody } from '../codec/index.js';
import { currentCall } from '../channel/call-context.js';
import type { GatherProxy, PeerProxy } from '../channel/proxy.js';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { Mesh } from '../mesh/mesh.js';
import type { TraceEvent, TraceHook } from '../mesh/trace-hook.js';
import { debugLog } from '../internal/debug-log.js';
import { type MeshView, type NodeDescription, assembleMeshView, decodeDescription, encodeDescription } from './mesh-view.js';
import type { PeerRecord, RecordCollection } from '../records/record-collection.js';
import { MeshRecordPublisher, type NodeRecord } from './mesh-record.js';
import type { MeshKnowledge, MessageTrace } from './message-trace.js';
import type { ObserveContract } from './observe-contract.js';
import type { ObserveOptions } from './observe-options.js';
import { TokenBucket } from './token-bucket.js';
import { TraceCollector, type TraceSummary } from './trace-collector.js';
import { TraceReporter } from './trace-reporter.js';

const log = debugLog('observe');

/** What the observer needs from its node. @internal */
export interface ObserverEnv {
  readonly mesh: Mesh;
  /** A proxy of the observe contract on this node. */
  readonly proxy: PeerProxy<ObserveContract>;
  /** Hosts the observe contract's implementation on this node. */
  host(implementation: ObserveContract): void;
}

/** Options of a mesh-view gather. */
export interface MeshViewOptions {
  /**
   * How long to wait for answers.
   * @defaultValue 2_000
   */
  readonly timeoutMs?: number;
  /** Stop after this many answers from other nodes (gather only). */
  readonly count?: number;
  /**
   * Where the view comes from: the `peerchannel.node` records this node holds, or a gather over the mesh.
   * @defaultValue `'records'` when the node keeps records, else `'gather'`
   */
  readonly from?: 'records' | 'gather';
}

/**
 * A node's observability: the trace hook the mesh calls for traced messages, the sender's trace
 * collector, the reporter that answers other senders, and the mesh view.
 *
 * @remarks Owns the reporter's flush timer and the traces' timers; {@link NodeObserver.close} ends them.
 * @internal
 */
export class NodeObserver implements TraceHook {
  private readonly reporter: TraceReporter;
  private readonly collector: TraceCollector;
  private readonly describes: TokenBucket;
  private lastView: MeshView | undefined;
  private readonly members = new Set<string>();
  private nodeRecords: RecordCollection<NodeRecord> | undefined;
  private publisher: MeshRecordPublisher | undefined;
  private static readonly MAX_MEMBERS = 10_000;

  constructor(
    private readonly env: ObserverEnv,
    private readonly options: ObserveOptions,
  ) {
    const mesh = env.mesh;
    const count = (code: string) => mesh.drop(code, `observe: ${code}`);
    this.reporter = new TraceReporter(
      {
        send: (origin, report) => {
          env.proxy.to(origin).report(report).catch((error: unknown) => count(toPeerChannelError(error).code));
        },
        neighbors: () => [...mesh.neighbors.keys()],
        known: () => mesh.passiveView.sample(16).map((r) => r.peerId),
        count,
      },
      options,
    );
    this.collector = new TraceCollector(mesh.localPeerId, options, mesh.limits, () => this.knowledge(), count);
    this.describes = new TokenBucket(options.describesPerSecond, Math.max(1, options.describesPerSecond * 2));
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    env.host({
      report(raw: unknown[]): void {
        const call = currentCall();
        if (!call.directed) return;
        self.collector.accept(raw, call.from);
      },
      probe(): void {},
      async describe(): Promise<unknown[]> {
        if (!self.options.answerMeshView) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'this node does not answer mesh-view queries');
        if (!self.describes.take()) throw new PeerChannelError(ErrorCode.RATE_LIMITED, `mesh-view answers are limited to ${self.options.describesPerSecond}/s`);
        const { peerId: _, ...rest } = self.describe();
        return encodeDescription(rest);
      },
    });
    mesh.tracer = this;
  }

  /** Registers a traced message before it is sent. */
  begin(body: CallBody): void {
    this.collector.begin(body);
  }

  handled(event: TraceEvent): void {
    const mesh = this.env.mesh;
    if (event.body.origin === mesh.localPeerId) {
      this.collector.local(event, [...mesh.neighbors.keys()], mesh.passiveView.sample(16).map((r) => r.peerId));
    } else if (this.options.answerTraces) {
      this.reporter.handled(event);
    }
  }

  trace$(id: string): Observable<MessageTrace> {
    return this.collector.trace$(id);
  }

  traceSnapshot(id: string): MessageTrace | undefined {
    return this.collector.snapshot(id);
  }

  traces(): TraceSummary[] {
    return this.collector.list();
  }

  /** This node's own description. */
  describe(): NodeDescription {
    const mesh = this.env.mesh;
    const s = mesh.stats;
    return {
      peerId: mesh.localPeerId,
      status: mesh.currentStatus,
      neighbors: [...mesh.neighbors.values()].map((n) => ({ peerId: n.peerId, utility: n.linkUsefulness, direction: n.direction, queued: n.link.pendingSends })),
      sent: s.sent, delivered: s.delivered, relayed: s.relayed, duplicates: s.duplicates, dropped: { ...s.dropped }, at: Date.now(),
    };
  }

  /**
   * Publishes this node's description as a `peerchannel.node` record (in the node's system
   * records space, never in its user store), refreshed every `meshRecordIntervalMs`, and answers
   * mesh views from those records. Ended by {@link NodeObserver.stopPublishing}.
   */
  publishTo(collection: RecordCollection<NodeRecord>, maxTtlMs: number): void {
    this.nodeRecords = collection;
    const mesh = this.env.mesh;
    this.publisher = new MeshRecordPublisher(collection, mesh.localPeerId, () => this.describe(), {
      intervalMs: this.options.meshRecordIntervalMs, expiryIntervals: this.options.meshRecordExpiryIntervals,
    }, (e) => mesh.report(e), maxTtlMs);
  }

  /** Stops refreshing the node record (before the record store closes). Idempotent. */
  stopPublishing(): void {
    this.publisher?.close();
  }

  /** The view of the mesh: from the node records when this node keeps them, else gathered. */
  async meshView(options: MeshViewOptions = {}): Promise<MeshView> {
    const mesh = this.env.mesh;
    const own = this.describe();
    const nodes: NodeDescription[] = [own];
    const records = this.nodeRecords;
    if ((options.from ?? (records === undefined ? 'gather' : 'records')) === 'records') {
      if (records === undefined) throw new PeerChannelError(ErrorCode.RECORDS_DISABLED, 'a mesh view from records needs the records option');
      const now = Date.now();
      // A creator restarted within the expiry has two records: its newest one counts.
      const newest = new Map<string, PeerRecord<NodeRecord>>();
      for (const r of records.query()) {
        if (r.creator === own.peerId || r.expires <= now) continue;
        const held = newest.get(r.creator);
        if (held === undefined || r.modified > held.modified) newest.set(r.creator, r);
      }
      for (const r of newest.values()) {
        try {
          nodes.push(decodeDescription(r.value.d, r.creator, mesh.limits));
        } catch (error) {
          mesh.drop(toPeerChannelError(error).code, `mesh view: bad node record from ${r.creator.slice(0, 12)}`);
        }
      }
    } else if (mesh.neighbors.size > 0) {
      const gather = (this.env.proxy.gather({ timeoutMs: options.timeoutMs ?? 2_000, count: options.count === undefined ? undefined : options.count + 1 }) as GatherProxy<ObserveContract>).describe();
      const replies = await firstValueFrom(gather.pipe(toArray()));
      const seen = new Set([own.peerId]);
      for (const r of replies) {
        if (!r.ok || seen.has(r.from)) continue;
        try {
          nodes.push(decodeDescription(r.value, r.from, mesh.limits));
          seen.add(r.from);
        } catch (error) {
          mesh.drop(toPeerChannelError(error).code, `mesh view: bad description from ${r.from.slice(0, 12)}`);
        }
      }
    }
    const view = assembleMeshView(nodes, Date.now());
    this.lastView = view;
    for (const n of view.nodes) this.remember(n.peerId);
    log('mesh view: %d nodes, %d links', view.nodes.length, view.links.length);
    return view;
  }

  /** Adds members a trace should account for (besides those the reports and mesh views name). */
  remember(peerId: string): void {
    if (this.members.size < NodeObserver.MAX_MEMBERS) this.members.add(peerId);
  }

  private knowledge(): MeshKnowledge {
    const links = new Map<string, Set<string>>();
    for (const n of this.lastView?.nodes ?? []) links.set(n.peerId, new Set(n.neighbors.map((l) => l.peerId)));
    const mesh = this.env.mesh;
    return { members: [...this.members, ...mesh.neighbors.keys()], links };
  }

  close(): void {
    this.publisher?.close();
    if (this.env.mesh.tracer === this) this.env.mesh.tracer = undefined;
    this.reporter.close();
    this.collector.close();
  }
}
