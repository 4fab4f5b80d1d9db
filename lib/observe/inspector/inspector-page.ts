import { createHash } from 'node:crypto';

const importMap = JSON.stringify({
  imports: {
    'd3-force': '/vendor/d3-force.mjs',
    'd3-dispatch': '/vendor/d3-dispatch.mjs',
    'd3-quadtree': '/vendor/d3-quadtree.mjs',
    'd3-timer': '/vendor/d3-timer.mjs',
  },
});

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>PeerChannel inspector</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script type="importmap">${importMap}</script>
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2433; background: #f6f7f9; }
  body { margin: 0; display: grid; grid-template-columns: 1fr 380px; grid-template-rows: auto 1fr; height: 100vh; }
  header { grid-column: 1 / 3; padding: 8px 16px; background: #1d2433; color: #fff; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 16px; margin: 0; }
  #status { opacity: .8; }
  #graph { width: 100%; height: 100%; background: #fff; }
  .link { stroke: #8a94a6; }
  .node { fill: #4a7bd0; stroke: #fff; stroke-width: 1.5; }
  .node.self { fill: #d08a4a; }
  .node.got { fill: #3da35d; }
  .node.missed { fill: #c94040; }
  .label { font-size: 10px; fill: #1d2433; pointer-events: none; }
  aside { overflow: auto; padding: 8px 12px; border-left: 1px solid #dde1e7; }
  aside h2 { font-size: 13px; margin: 12px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: #5b6578; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  td, th { text-align: right; padding: 1px 4px; } td:first-child, th:first-child { text-align: left; font-family: monospace; }
  ul { margin: 0; padding-left: 16px; font-size: 12px; } li { font-family: monospace; }
  button, select { font: inherit; }
</style>
</head>
<body>
<header><h1>PeerChannel inspector</h1><span id="status">connecting…</span></header>
<svg id="graph" role="img" aria-label="mesh graph"></svg>
<aside>
  <h2>Message trace</h2>
  <button id="probe" type="button">Send a traced probe</button>
  <select id="traces" aria-label="traced messages"></select>
  <div id="trace-summary"></div>
  <h2>Got it</h2><ul id="tree"></ul>
  <h2>Missed it</h2><ul id="missed"></ul>
  <h2>Nodes</h2>
  <table><thead><tr><th>peer</th><th>nbrs</th><th>sent</th><th>dlvd</th><th>rlyd</th><th>dup</th><th>drop</th></tr></thead><tbody id="counters"></tbody></table>
</aside>
<script type="module" src="/app.js"></script>
</body>
</html>
`;

/** The inspector's HTML, with the import map that points d3-force at the vendored modules. @internal */
export const inspectorPage = {
  html,
  /** CSP hash of the inline import map. */
  importMapHash: createHash('sha256').update(importMap).digest('base64'),
};
