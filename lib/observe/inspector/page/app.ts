import { type Simulation, type SimulationLinkDatum, type SimulationNodeDatum, forceCenter, forceLink, forceManyBody, forceSimulation } from 'd3-force';

// The shapes the inspector server sends (mirrors lib/observe: MeshView, MessageTrace, TraceSummary).
interface NodeDescription { peerId: string; status: string; neighbors: { peerId: string; utility: number; queued: number }[]; sent: number; delivered: number; relayed: number; duplicates: number; dropped: Record<string, number> }
interface MeshView { nodes: NodeDescription[]; links: { a: string; b: string; utility: number }[] }
interface TraceSummary { id: string; contract: string; operation: string; sentAt: number; reports: number; complete: boolean }
interface MessageTrace {
  id: string; complete: boolean; contract: string; operation: string;
  receivers: { peerId: string; path: string[]; hops: number; ms: number; delivered: boolean; reason?: string; refused?: string }[];
  missed: { peerId: string; lastNode?: string; reason: string }[];
}
type ServerMessage =
  | { type: 'view'; self: string; view: MeshView; traces: TraceSummary[] }
  | { type: 'traces'; traces: TraceSummary[] }
  | { type: 'trace'; trace: MessageTrace }
  | { type: 'error'; code: string; message: string };

interface GraphNode extends SimulationNodeDatum { id: string }
interface GraphLink extends SimulationLinkDatum<GraphNode> { key: string; utility: number }

const SVG = 'http://www.w3.org/2000/svg';
const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;
const short = (id: string | undefined) => (id === undefined ? '—' : id.slice(0, 8));

const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const svg = $<SVGSVGElement>('#graph');
const linkLayer = document.createElementNS(SVG, 'g');
const nodeLayer = document.createElementNS(SVG, 'g');
svg.append(linkLayer, nodeLayer);

let self = '';
let trace: MessageTrace | undefined;
const nodes = new Map<string, GraphNode>();
let links: GraphLink[] = [];
const simulation: Simulation<GraphNode, GraphLink> = forceSimulation<GraphNode, GraphLink>()
  .force('charge', forceManyBody().strength(-220))
  .force('link', forceLink<GraphNode, GraphLink>().id((n) => n.id).distance(70))
  .on('tick', draw);

function resize(): void {
  const { width, height } = svg.getBoundingClientRect();
  svg.setAttribute('viewBox', `${-width / 2} ${-height / 2} ${width} ${height}`);
  simulation.force('center', forceCenter(0, 0));
}

function showView(view: MeshView): void {
  const ids = new Set(view.nodes.map((n) => n.peerId));
  for (const l of view.links) ids.add(l.a).add(l.b);
  for (const id of [...nodes.keys()]) if (!ids.has(id)) nodes.delete(id);
  for (const id of ids) if (!nodes.has(id)) nodes.set(id, { id });
  links = view.links.map((l) => ({ key: `${l.a} ${l.b}`, source: l.a, target: l.b, utility: l.utility }));
  simulation.nodes([...nodes.values()]);
  (simulation.force('link') as ReturnType<typeof forceLink<GraphNode, GraphLink>>).links(links);
  simulation.alpha(0.6).restart();
  rebuildElements();
  showCounters(view.nodes);
}

function rebuildElements(): void {
  linkLayer.replaceChildren(...links.map((l) => {
    const line = document.createElementNS(SVG, 'line');
    line.classList.add('link');
    line.dataset.key = l.key;
    line.setAttribute('stroke-width', String(1 + 3 * l.utility));
    line.append(Object.assign(document.createElementNS(SVG, 'title'), { textContent: `utility ${l.utility.toFixed(2)}` }));
    return line;
  }));
  nodeLayer.replaceChildren(...[...nodes.values()].flatMap((n) => {
    const circle = document.createElementNS(SVG, 'circle');
    circle.classList.add('node');
    circle.dataset.peer = n.id;
    circle.setAttribute('r', '9');
    circle.append(Object.assign(document.createElementNS(SVG, 'title'), { textContent: n.id }));
    const label = document.createElementNS(SVG, 'text');
    label.classList.add('label');
    label.dataset.peer = n.id;
    label.textContent = short(n.id);
    return [circle, label];
  }));
  paintTrace();
  draw();
}

function draw(): void {
  const lines = linkLayer.children;
  links.forEach((l, i) => {
    const line = lines[i] as SVGLineElement | undefined;
    const s = l.source as GraphNode;
    const t = l.target as GraphNode;
    if (line === undefined || s.x === undefined || t.x === undefined) return;
    line.setAttribute('x1', String(s.x));
    line.setAttribute('y1', String(s.y));
    line.setAttribute('x2', String(t.x));
    line.setAttribute('y2', String(t.y));
  });
  for (const el of nodeLayer.children) {
    const n = nodes.get((el as SVGElement).dataset.peer ?? '');
    if (n?.x === undefined) continue;
    if (el.tagName === 'circle') {
      el.setAttribute('cx', String(n.x));
      el.setAttribute('cy', String(n.y));
    } else {
      el.setAttribute('x', String(n.x + 11));
      el.setAttribute('y', String((n.y ?? 0) + 4));
    }
  }
}

function showCounters(list: NodeDescription[]): void {
  $('#counters').replaceChildren(...list.map((n) => {
    const row = document.createElement('tr');
    row.dataset.peer = n.peerId;
    const dropped = Object.values(n.dropped).reduce((a, b) => a + b, 0);
    for (const v of [short(n.peerId), n.neighbors.length, n.sent, n.delivered, n.relayed, n.duplicates, dropped]) {
      row.append(Object.assign(document.createElement('td'), { textContent: String(v) }));
    }
    return row;
  }));
}

function showTraces(list: TraceSummary[]): void {
  const select = $<HTMLSelectElement>('#traces');
  const chosen = trace?.id ?? select.value;
  select.replaceChildren(...list.map((t) => {
    const o = document.createElement('option');
    o.value = t.id;
    o.textContent = `${new Date(t.sentAt).toLocaleTimeString()} ${t.contract}.${t.operation} (${t.reports})`;
    o.selected = t.id === chosen;
    return o;
  }));
}

function showTrace(t: MessageTrace): void {
  trace = t;
  $('#trace-summary').textContent = `${t.contract}.${t.operation} ${short(t.id)}: ${t.receivers.length} got it, ${t.missed.length} missed${t.complete ? '' : ' (collecting)'}`;
  $('#tree').replaceChildren(...t.receivers.map((r) => {
    const li = document.createElement('li');
    li.dataset.peer = r.peerId;
    const note = r.refused ?? r.reason;
    li.textContent = `${r.path.map(short).join(' → ')}  ${r.hops} hops, ${r.ms} ms${r.delivered ? '' : ', not delivered'}${note ? ` (${note})` : ''}`;
    return li;
  }));
  $('#missed').replaceChildren(...t.missed.map((m) => {
    const li = document.createElement('li');
    li.dataset.peer = m.peerId;
    li.textContent = `${short(m.peerId)}: ${m.reason}${m.lastNode ? ` at ${short(m.lastNode)}` : ''}`;
    return li;
  }));
  paintTrace();
}

function paintTrace(): void {
  const got = new Set(trace?.receivers.map((r) => r.peerId));
  const missed = new Set(trace?.missed.map((m) => m.peerId));
  for (const el of nodeLayer.querySelectorAll('circle')) {
    const id = el.dataset.peer ?? '';
    el.classList.toggle('self', id === self);
    el.classList.toggle('got', id !== self && got.has(id));
    el.classList.toggle('missed', missed.has(id));
  }
}

function connect(): void {
  const ws = new WebSocket(`ws://${location.host}/ws`, ['peerchannel.inspector', `token.${token}`]);
  const status = $('#status');
  ws.onopen = () => (status.textContent = 'connected');
  ws.onclose = () => (status.textContent = 'disconnected');
  ws.onmessage = (event) => {
    const m = JSON.parse(String(event.data)) as ServerMessage;
    if (m.type === 'view') {
      self = m.self;
      status.textContent = `${m.view.nodes.length} nodes, ${m.view.links.length} links — this node ${short(self)}`;
      showView(m.view);
      showTraces(m.traces);
    } else if (m.type === 'traces') showTraces(m.traces);
    else if (m.type === 'trace') showTrace(m.trace);
    else status.textContent = `${m.code}: ${m.message}`;
  };
  $('#probe').addEventListener('click', () => ws.send(JSON.stringify({ type: 'probe' })));
  $<HTMLSelectElement>('#traces').addEventListener('change', (e) => ws.send(JSON.stringify({ type: 'trace', id: (e.target as HTMLSelectElement).value })));
}

resize();
addEventListener('resize', resize);
connect();
