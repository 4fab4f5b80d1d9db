// Drawing and hit-testing shapes on a 2D canvas (board coordinates = CSS pixels of the canvas).
import type { DraftShape } from '../board-contract.js';

/** What a shape is drawn from (a record's value or a draft). */
export interface Drawable {
  readonly kind: string;
  readonly color: string;
  readonly width: number;
  readonly points: readonly number[];
}

/** Draws one shape. */
export function drawShape(g: CanvasRenderingContext2D, s: Drawable): void {
  const p = s.points;
  if (p.length < 2) return;
  g.strokeStyle = s.color;
  g.lineWidth = s.width;
  g.lineCap = 'round';
  g.lineJoin = 'round';
  g.beginPath();
  if (s.kind === 'rect' && p.length >= 4) {
    g.rect(Math.min(p[0]!, p[2]!), Math.min(p[1]!, p[3]!), Math.abs(p[2]! - p[0]!), Math.abs(p[3]! - p[1]!));
  } else {
    g.moveTo(p[0]!, p[1]!);
    if (p.length === 2) g.lineTo(p[0]! + 0.01, p[1]!);
    for (let i = 2; i + 1 < p.length; i += 2) g.lineTo(p[i]!, p[i + 1]!);
  }
  g.stroke();
}

/** Draws a named cursor. */
export function drawCursor(g: CanvasRenderingContext2D, x: number, y: number, name: string, color: string): void {
  g.fillStyle = color;
  g.beginPath();
  g.moveTo(x, y);
  g.lineTo(x + 11, y + 4);
  g.lineTo(x + 4, y + 11);
  g.closePath();
  g.fill();
  g.font = '12px system-ui, sans-serif';
  const w = g.measureText(name).width + 8;
  g.fillRect(x + 10, y + 12, w, 17);
  g.fillStyle = '#fff';
  g.fillText(name, x + 14, y + 25);
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** True when the point (x, y) with radius r touches the shape's stroke. */
export function touches(s: Drawable, x: number, y: number, r: number): boolean {
  const p = s.points;
  const reach = r + s.width / 2;
  if (s.kind === 'rect' && p.length >= 4) {
    const [x0, y0, x1, y1] = [p[0]!, p[1]!, p[2]!, p[3]!];
    const edges = [[x0, y0, x1, y0], [x1, y0, x1, y1], [x1, y1, x0, y1], [x0, y1, x0, y0]];
    return edges.some(([ax, ay, bx, by]) => segmentDistance(x, y, ax!, ay!, bx!, by!) <= reach);
  }
  if (p.length === 2) return Math.hypot(x - p[0]!, y - p[1]!) <= reach;
  for (let i = 0; i + 3 < p.length; i += 2) {
    if (segmentDistance(x, y, p[i]!, p[i + 1]!, p[i + 2]!, p[i + 3]!) <= reach) return true;
  }
  return false;
}

/** The shape a gesture from (x0, y0) to the latest point makes. */
export function shapeOf(kind: DraftShape['kind'], color: string, width: number, path: readonly number[]): DraftShape {
  if (kind === 'pen') return { kind, color, width, points: path };
  const n = path.length;
  return { kind, color, width, points: [path[0]!, path[1]!, path[n - 2]!, path[n - 1]!] };
}
