/** The whiteboard page's HTML (the gateway adds the import map); `name` is checked by main.ts. */
export function boardPage(name: string, mesh: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const colors = ['#1d2433', '#e03131', '#2f9e44', '#1971c2', '#f08c00', '#9c36b5'];
  const widths = [2, 5, 10];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Whiteboard · ${esc(name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2433; background: #eef0f3; --line: #dde1e7; --accent: #1971c2; }
  * { box-sizing: border-box; }
  body { margin: 0; height: 100vh; display: grid; grid-template-columns: 64px 1fr 220px; grid-template-rows: 44px 1fr; }
  header { grid-column: 1 / 4; display: flex; align-items: center; gap: 14px; padding: 0 14px; background: #1d2433; color: #fff; }
  header h1 { font-size: 15px; margin: 0; font-weight: 600; }
  header .mesh { opacity: .7; font-family: ui-monospace, monospace; font-size: 12px; }
  #status { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #5b6578; }
  #status.online { background: #2f9e44; } #status.gone { background: #c92a2a; }
  nav { display: flex; flex-direction: column; align-items: center; gap: 6px; padding: 8px 0; background: #fff; border-right: 1px solid var(--line); overflow-y: auto; }
  nav hr { width: 40px; border: 0; border-top: 1px solid var(--line); margin: 4px 0; }
  nav button { width: 44px; height: 36px; border: 1px solid var(--line); border-radius: 8px; background: #fff; cursor: pointer; font: 12px system-ui, sans-serif; color: #1d2433; }
  nav button:hover { background: #f1f3f5; }
  nav button[aria-pressed="true"] { border-color: var(--accent); background: #e7f0fb; }
  nav button.swatch { height: 24px; }
  nav button.swatch span { display: block; width: 18px; height: 18px; margin: auto; border-radius: 50%; }
  nav button.width span { display: block; margin: auto; background: #1d2433; border-radius: 4px; width: 26px; }
  nav button:disabled { opacity: .4; cursor: default; }
  main { position: relative; overflow: hidden; background: #fff; margin: 10px; border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  main canvas { position: absolute; inset: 0; width: 100%; height: 100%; touch-action: none; }
  #overlay { pointer-events: none; }
  aside { background: #fff; border-left: 1px solid var(--line); padding: 10px 12px; overflow-y: auto; }
  aside h2 { font-size: 11px; margin: 10px 0 6px; text-transform: uppercase; letter-spacing: .05em; color: #5b6578; }
  aside ul { list-style: none; margin: 0; padding: 0; font-size: 13px; }
  aside li { display: flex; align-items: center; gap: 6px; padding: 2px 0; }
  aside li .dot { width: 10px; height: 10px; border-radius: 50%; flex: none; }
  #shapes li { font-size: 12px; color: #5b6578; } #shapes li.mine { color: #1d2433; }
</style>
</head>
<body data-name="${esc(name)}">
<header><h1>Whiteboard</h1><span class="mesh">${esc(mesh)} · ${esc(name)}</span><span id="status">connecting…</span></header>
<nav aria-label="tools">
  <button type="button" data-tool="pen" aria-pressed="true" title="Freehand (P)">Pen</button>
  <button type="button" data-tool="line" aria-pressed="false" title="Line (L)">Line</button>
  <button type="button" data-tool="rect" aria-pressed="false" title="Rectangle (R)">Rect</button>
  <button type="button" data-tool="eraser" aria-pressed="false" title="Eraser: removes your own shapes it touches (E)">Erase</button>
  <hr>
  ${colors.map((c, i) => `<button type="button" class="swatch" data-color="${c}" aria-pressed="${i === 0}" title="${c}"><span style="background:${c}"></span></button>`).join('\n  ')}
  <hr>
  ${widths.map((w, i) => `<button type="button" class="width" data-width="${w}" aria-pressed="${i === 0}" title="width ${w}"><span style="height:${Math.max(2, w / 2 + 1)}px"></span></button>`).join('\n  ')}
  <hr>
  <button type="button" id="undo" title="Undo your last change (Ctrl+Z)" disabled>Undo</button>
  <button type="button" id="redo" title="Redo (Ctrl+Shift+Z)" disabled>Redo</button>
  <button type="button" id="clear-mine" title="Remove all your shapes (others' stay)">Clear mine</button>
  <button type="button" id="export" title="Download the board as PNG">PNG</button>
</nav>
<main><canvas id="board" aria-label="whiteboard"></canvas><canvas id="overlay"></canvas></main>
<aside>
  <h2>On the board</h2><ul id="people"></ul>
  <h2>Shapes <span id="shape-count">0</span></h2><ul id="shapes"></ul>
</aside>
<script type="module" src="/samples/whiteboard/page/main.js"></script>
</body>
</html>
`;
}
