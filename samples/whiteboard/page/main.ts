// The whiteboard page: draws on a canvas, keeps finished shapes as records through its node,
// and shows others' strokes in progress, cursors and presence from flooded Board messages.
import { GatewayClient, type PageRecord } from 'peerchannel/browser';
import { Board, type DraftShape, Shape, type ShapeKind } from '../board-contract.js';
import { History } from './history.js';
import { drawCursor, drawShape, shapeOf, touches } from './render.js';

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;
const name = document.body.dataset.name ?? 'anonymous';
const statusEl = $<HTMLElement>('#status');
const boardCanvas = $<HTMLCanvasElement>('#board');
const overlay = $<HTMLCanvasElement>('#overlay');
const undoButton = $<HTMLButtonElement>('#undo');
const redoButton = $<HTMLButtonElement>('#redo');

const HEARTBEAT_MS = 2_000;
const GONE_MS = 6_000;
const SEND_EVERY_MS = 33; // ~30 messages a second for cursors and drafts
const ERASER_RADIUS = 8;

interface Peer { name: string; seen: number; cursor?: { x: number; y: number; color: string }; draft?: DraftShape }

let client: GatewayClient;
try {
  client = await GatewayClient.connect();
} catch (error) {
  statusEl.textContent = `refused: ${(error as { code?: string }).code ?? String(error)}`;
  statusEl.className = 'gone';
  throw error;
}
const board = client.proxy(Board);
const shapes = client.records(Shape);
const peers = new Map<string, Peer>();
type Tool = ShapeKind | 'eraser';
let tool: Tool = 'pen';
let color = '#1d2433';
let width = 2;

// A handle for scripts and tests driving the page (the spec reads it; nothing else uses it).
(globalThis as Record<string, unknown>).whiteboard = { client, Board, Shape, shapes, board, name };

const history = new History(
  { add: (v) => shapes.add(v), delete: (id) => shapes.delete(id), has: (id) => shapes.get(id) !== undefined },
  () => {
    undoButton.disabled = !history.canUndo;
    redoButton.disabled = !history.canRedo;
  },
);

// --- status ---------------------------------------------------------------------------------
client.status$.subscribe((s) => {
  statusEl.textContent = s.status === 'online' ? `online · ${s.neighbors} neighbour${s.neighbors === 1 ? '' : 's'}` : 'offline · alone on the board';
  statusEl.className = s.status;
});
client.onClosed((c) => {
  statusEl.textContent = `disconnected (${c.code}) — restart the whiteboard and open its new URL`;
  statusEl.className = 'gone';
});

// --- canvas sizing and drawing ----------------------------------------------------------------
function fit(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const { width: w, height: h } = canvas.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * ratio);
  canvas.height = Math.round(h * ratio);
  const g = canvas.getContext('2d') as CanvasRenderingContext2D;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  return g;
}
let g = fit(boardCanvas);
let o = fit(overlay);

const ordered = (): PageRecord<Shape>[] => shapes.query().sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));

let boardDirty = true;
let overlayDirty = true;
function frame(): void {
  if (boardDirty) {
    boardDirty = false;
    g.clearRect(0, 0, boardCanvas.width, boardCanvas.height);
    for (const r of ordered()) drawShape(g, r.value);
  }
  if (overlayDirty) {
    overlayDirty = false;
    o.clearRect(0, 0, overlay.width, overlay.height);
    for (const p of peers.values()) if (p.draft) drawShape(o, p.draft);
    if (gesture && tool !== 'eraser') drawShape(o, shapeOf(tool, color, width, gesture));
    for (const p of peers.values()) if (p.cursor) drawCursor(o, p.cursor.x, p.cursor.y, p.name, p.cursor.color);
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
window.addEventListener('resize', () => {
  g = fit(boardCanvas);
  o = fit(overlay);
  boardDirty = overlayDirty = true;
});

// --- lists ------------------------------------------------------------------------------------
function li(text: string, dotColor: string, attrs: Record<string, string> = {}): HTMLLIElement {
  const item = document.createElement('li');
  const dot = document.createElement('span');
  dot.className = 'dot';
  dot.style.background = dotColor;
  item.append(dot, text);
  for (const [k, v] of Object.entries(attrs)) item.setAttribute(k, v);
  return item;
}

function showShapes(): void {
  const list = ordered();
  $<HTMLElement>('#shape-count').textContent = String(list.length);
  $<HTMLUListElement>('#shapes').replaceChildren(
    ...list.map((r) => {
      const item = li(`${r.value.kind} · ${r.value.author}`, r.value.color, { 'data-id': r.id, 'data-author': r.value.author, 'data-creator': r.creator });
      if (r.creator === client.peerId) item.classList.add('mine');
      return item;
    }),
  );
}

function showPeople(): void {
  const now = Date.now();
  for (const [id, p] of peers) if (now - p.seen > GONE_MS) peers.delete(id);
  const names = [`${name} (you)`, ...[...peers.values()].map((p) => p.name).sort()];
  $<HTMLUListElement>('#people').replaceChildren(...names.map((n, i) => li(n, i === 0 ? color : '#2f9e44', { 'data-name': n })));
  overlayDirty = true;
}

// Streams end with PC_ERR_GATEWAY_CLOSED when the node goes; the status line says so.
const ended = () => undefined;
shapes.snapshot$.subscribe({
  next: () => {
    boardDirty = true;
    showShapes();
  },
  error: ended,
});

// --- presence, cursors and drafts from other peers -------------------------------------------
client.calls$(Board).subscribe({ error: ended, next: (call) => {
  if (call.from === client.peerId) return; // the flood's echo of this node's own message
  const [who] = call.args as unknown as [string];
  const peer = peers.get(call.from) ?? { name: who, seen: 0 };
  peer.name = who;
  peer.seen = Date.now();
  peers.set(call.from, peer);
  if (call.operation === 'bye') peers.delete(call.from);
  else if (call.operation === 'cursor') {
    const [, x, y, c] = call.args as unknown as [string, number, number, string];
    peer.cursor = { x, y, color: c };
  } else if (call.operation === 'draft') {
    const [, shape, ended] = call.args as unknown as [string, DraftShape, boolean];
    peer.draft = ended ? undefined : shape;
  }
  if (call.operation === 'here' || call.operation === 'bye') showPeople();
  overlayDirty = true;
} });
const announce = () => void board.here(name).catch(() => undefined);
announce();
setInterval(() => {
  announce();
  showPeople();
}, HEARTBEAT_MS);
window.addEventListener('pagehide', () => void board.bye(name).catch(() => undefined));
showPeople();

/** Calls `send` at most every {@link SEND_EVERY_MS}, always sending the latest value. */
function throttled<A extends unknown[]>(send: (...args: A) => void): { (...args: A): void; flush(): void } {
  let last = 0;
  let pending: A | undefined;
  let timer: number | undefined;
  const fire = () => {
    timer = undefined;
    if (pending === undefined) return;
    const args = pending;
    pending = undefined;
    last = performance.now();
    send(...args);
  };
  const f = (...args: A) => {
    pending = args;
    const wait = SEND_EVERY_MS - (performance.now() - last);
    if (wait <= 0) fire();
    else timer ??= window.setTimeout(fire, wait);
  };
  f.flush = () => {
    if (timer !== undefined) window.clearTimeout(timer);
    fire();
  };
  return f;
}
const sendCursor = throttled((x: number, y: number) => void board.cursor(name, x, y, color).catch(() => undefined));
const sendDraft = throttled((shape: DraftShape, ended: boolean) => void board.draft(name, shape, ended).catch(() => undefined));

// --- drawing ----------------------------------------------------------------------------------
let gesture: number[] | undefined;
let erased: { id: string; value: Shape }[] = [];

function point(e: PointerEvent): [number, number] {
  const r = boardCanvas.getBoundingClientRect();
  return [Math.round((e.clientX - r.left) * 10) / 10, Math.round((e.clientY - r.top) * 10) / 10];
}

function erase(x: number, y: number): void {
  for (const r of shapes.query()) {
    if (r.creator !== client.peerId || erased.some((e) => e.id === r.id) || !touches(r.value, x, y, ERASER_RADIUS)) continue;
    erased.push({ id: r.id, value: { ...r.value, points: [...r.value.points] } });
    void shapes.delete(r.id).catch(() => undefined);
  }
}

boardCanvas.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  boardCanvas.setPointerCapture(e.pointerId);
  const [x, y] = point(e);
  gesture = [x, y];
  erased = [];
  if (tool === 'eraser') erase(x, y);
});
boardCanvas.addEventListener('pointermove', (e) => {
  const [x, y] = point(e);
  sendCursor(x, y);
  if (gesture === undefined) return;
  if (tool === 'eraser') {
    erase(x, y);
    return;
  }
  if (tool === 'pen') gesture.push(x, y);
  else gesture.splice(2, 2, x, y);
  sendDraft(shapeOf(tool, color, width, gesture), false);
  overlayDirty = true;
});
boardCanvas.addEventListener('pointerup', (e) => {
  if (gesture === undefined) return;
  const [x, y] = point(e);
  const path = gesture;
  gesture = undefined;
  overlayDirty = true;
  if (tool === 'eraser') {
    history.removed(erased);
    erased = [];
    return;
  }
  if (tool === 'pen') path.push(x, y);
  else path.splice(2, 2, x, y);
  const draft = shapeOf(tool, color, width, path);
  sendDraft.flush();
  void board.draft(name, draft, true).catch(() => undefined);
  const value: Shape = { kind: draft.kind, author: name, color: draft.color, width: draft.width, points: [...draft.points] };
  shapes.add(value).then(
    (r) => history.added(r.id, value),
    (error: unknown) => console.warn('shape not saved', error),
  );
});

// --- toolbar ----------------------------------------------------------------------------------
function press(group: string, button: HTMLElement): void {
  for (const b of document.querySelectorAll(`nav button[${group}]`)) b.setAttribute('aria-pressed', String(b === button));
}
for (const b of document.querySelectorAll<HTMLButtonElement>('nav button[data-tool]')) {
  b.addEventListener('click', () => ((tool = b.dataset.tool as Tool), press('data-tool', b)));
}
for (const b of document.querySelectorAll<HTMLButtonElement>('nav button[data-color]')) {
  b.addEventListener('click', () => ((color = b.dataset.color as string), press('data-color', b), showPeople()));
}
for (const b of document.querySelectorAll<HTMLButtonElement>('nav button[data-width]')) {
  b.addEventListener('click', () => ((width = Number(b.dataset.width)), press('data-width', b)));
}
undoButton.addEventListener('click', () => void history.undo());
redoButton.addEventListener('click', () => void history.redo());
$<HTMLButtonElement>('#clear-mine').addEventListener('click', () => {
  const mine = shapes.query().filter((r) => r.creator === client.peerId);
  history.removed(mine.map((r) => ({ id: r.id, value: { ...r.value, points: [...r.value.points] } })));
  for (const r of mine) void shapes.delete(r.id).catch(() => undefined);
});
$<HTMLButtonElement>('#export').addEventListener('click', () => {
  const out = document.createElement('canvas');
  out.width = boardCanvas.width;
  out.height = boardCanvas.height;
  const x = out.getContext('2d') as CanvasRenderingContext2D;
  x.fillStyle = '#fff';
  x.fillRect(0, 0, out.width, out.height);
  x.drawImage(boardCanvas, 0, 0);
  const a = document.createElement('a');
  a.download = `whiteboard-${client.mesh}.png`;
  a.href = out.toDataURL('image/png');
  a.click();
});
const keys: Record<string, Tool> = { p: 'pen', l: 'line', r: 'rect', e: 'eraser' };
window.addEventListener('keydown', (e) => {
  const z = e.key.toLowerCase() === 'z';
  if ((e.ctrlKey || e.metaKey) && (z || e.key.toLowerCase() === 'y')) {
    e.preventDefault();
    void (z && !e.shiftKey ? history.undo() : history.redo());
  } else if (!e.ctrlKey && !e.metaKey && keys[e.key] !== undefined) {
    $<HTMLButtonElement>(`nav button[data-tool="${keys[e.key]}"]`).click();
  }
});
