// The chainrule playground page: reads the setup from the URL, asks the server for a
// session, and draws what its event stream sends. Every message is JSON, so another
// engine (a WebAssembly build) could stand in for the server.
"use strict";

const $ = (id) => document.getElementById(id);
const ORANGE = [245, 147, 34], BLUE = [8, 119, 189], WHITE = [255, 255, 255];
const PALETTE = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [214, 39, 40],
  [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127]];

const pg = {
  options: null, config: null, query: "", id: null, source: null,
  data: null, state: null, history: [], dirty: false,
  esState: null, esHistory: [], // the evolution strategy's run, when the setup has es=
  explain: null, explainPos: 0,
  stats: { updates: 0, esUpdates: 0, draws: 0, rate: 0, times: [] },
};
window.playground = pg; // for the browser tests and the curious

function lerp(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }
// TF Playground's colours: orange for -1, white for 0, blue for +1.
function diverging(v) {
  v = Math.max(-1, Math.min(1, v));
  return v < 0 ? lerp(WHITE, ORANGE, -v) : lerp(WHITE, BLUE, v);
}
function rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }
function fmt(v, d = 3) {
  if (v === null || v === undefined) return "-";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : v.toFixed(d);
}
function showError(msg) { const e = $("error"); e.textContent = msg; e.hidden = !msg; }

// -- the setup <-> the controls <-> the URL ------------------------------------------

function controlsToQuery() {
  const c = pg.config, p = new URLSearchParams();
  p.set("dataset", c.dataset);
  p.set("classes", $("classes").value);
  for (const k of FIELDS) if (k !== "classes") p.set(k, $(k).value);
  p.set("features", c.features.join(","));
  p.set("layers", c.layers.map((l) => {
    const d = l.dropout ? `:${l.dropout}` : "";
    return l.units + (l.act || d ? `:${l.act || ""}` : "") + d;
  }).join(","));
  return p.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
}

function configToControls(c) {
  for (const k of FIELDS) $(k).value = c[k];
  for (const k of ["noise", "ratio", "batch"]) $(k + "-val").textContent = c[k];
  document.querySelectorAll("#datasets button").forEach((b) =>
    b.classList.toggle("on", b.dataset.name === c.dataset));
  $("layer-count").textContent = c.layers.length;
  $("feature-controls").querySelectorAll("input").forEach((box) => {
    box.checked = c.features.includes(box.value);
  });
  const lc = $("layer-controls"), cols = layout();
  $("network").height = Math.max(160, ...cols.map((col) => col[col.length - 1].y + col[col.length - 1].size + 12));
  lc.innerHTML = "";
  c.layers.forEach((l, i) => {
    const d = document.createElement("div");
    d.className = "layer-ctl";
    d.style.left = (cols[i + 1][0].x + cols[i + 1][0].size / 2 - 36) + "px";
    d.innerHTML = `<button class="minus" title="remove a neuron">&minus;</button> ${l.units}
      <button class="plus" title="add a neuron">+</button><br>
      <select class="act"><option value="">(default)</option>${pg.options.activations.map(
        (a) => `<option>${a}</option>`).join("")}</select><br>
      dropout <input class="drop" type="number" min="0" max="0.9" step="0.05" value="${l.dropout || 0}">`;
    d.querySelector(".act").value = l.act || "";
    d.querySelector(".plus").onclick = () => { if (l.units < pg.options.max_units) { l.units++; changed(); } };
    d.querySelector(".minus").onclick = () => { if (l.units > 1) { l.units--; changed(); } };
    d.querySelector(".act").onchange = (e) => { l.act = e.target.value || undefined; changed(); };
    d.querySelector(".drop").onchange = (e) => { l.dropout = +e.target.value || undefined; changed(); };
    lc.appendChild(d);
  });
  $("es-panel").hidden = c.es === "off";
  document.querySelector("main").classList.toggle("compare", c.es !== "off");
  $("pop").disabled = $("sigma").disabled = c.es === "off";
  $("classes").disabled = !(c.dataset in pg.options.datasets && pg.options.datasets[c.dataset].classes);
}

let changeTimer = null;
const FIELDS = ["noise", "ratio", "batch", "seed", "act", "opt", "lr", "l1", "l2", "sched", "epochs", "classes",
  "es", "pop", "sigma"];
function changed() { // any control: a new session for the new setup (debounced)
  for (const k of FIELDS) pg.config[k] = $(k).value; // the fields the user may have edited
  configToControls(pg.config);
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => start(controlsToQuery(), false), 150);
}

async function api(method, path, body) {
  const r = await fetch(path, { method, body });
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || r.statusText);
  return j;
}

// Start (or, after a reload, resume) the session for ``query``. Only the latest call
// connects: replies to earlier ones (controls changed while a request was on its way) may
// arrive later, and must not replace the newer setup.
let startCount = 0;
async function start(query, mayResume) {
  const mine = ++startCount;
  const saved = JSON.parse(sessionStorage.getItem("chainrule-playground") || "null");
  if (mayResume && saved && saved.query === query) {
    try {
      await api("GET", `/api/sessions/${saved.id}`);
      if (mine === startCount) connect(saved.id, saved.query);
      return;
    } catch (e) { /* the server forgot it: start again */ }
  }
  try {
    const r = await api("POST", "/api/sessions", query);
    if (mine !== startCount) return;
    showError("");
    connect(r.id, r.query);
  } catch (e) {
    if (mine !== startCount) return;
    if (!pg.id && query) await start("", false); // a bad link still opens a usable page
    showError(e.message);
  }
}

function connect(id, query) {
  if (pg.source) pg.source.close();
  pg.id = id; pg.query = query; pg.history = []; pg.state = null; pg.explain = null;
  pg.esState = null; pg.esHistory = [];
  sessionStorage.setItem("chainrule-playground", JSON.stringify({ id, query }));
  history.replaceState(null, "", "?" + query + location.hash);
  $("export-safetensors").href = `/api/sessions/${id}/model.safetensors`;
  $("export-py").href = `/api/sessions/${id}/model.py`;
  const src = new EventSource(`/api/sessions/${id}/events`);
  pg.source = src;
  src.addEventListener("config", (e) => { pg.config = JSON.parse(e.data).config; configToControls(pg.config); });
  src.addEventListener("dataset", (e) => { pg.data = JSON.parse(e.data); });
  src.addEventListener("update", (e) => onUpdate(JSON.parse(e.data)));
  src.addEventListener("es_update", (e) => onEsUpdate(JSON.parse(e.data)));
  src.addEventListener("done", () => setPlaying(false));
  src.addEventListener("superseded", (e) => { src.close(); showError(JSON.parse(e.data).message); });
  src.onerror = () => { if (src.readyState === EventSource.CLOSED) showError("lost the playground server"); };
}

// An update's loss curve is the whole curve (on connecting) or its newest point.
function mergeHistory(history, incoming) {
  if (incoming.length > 1 || !history.length) return incoming.slice();
  const h = incoming[0], last = history[history.length - 1];
  if (last && last[0] === h[0]) history[history.length - 1] = h; else history.push(h);
  return history;
}

function onUpdate(u) {
  pg.stats.updates++;
  pg.history = mergeHistory(pg.history, u.history);
  const newFindings = !pg.state || pg.state.findings.length !== u.findings.length;
  pg.state = u;
  setPlaying(u.playing);
  if (newFindings) drawFindings();
  if (!pg.dirty) { pg.dirty = true; requestAnimationFrame(draw); }
}

function onEsUpdate(u) {
  pg.stats.esUpdates++;
  pg.esHistory = mergeHistory(pg.esHistory, u.history);
  pg.esState = u;
  if (!pg.dirty) { pg.dirty = true; requestAnimationFrame(draw); }
}

function setPlaying(on) {
  pg.playing = on;
  $("play").innerHTML = on ? "&#x275a;&#x275a; pause" : "&#x25b6; play";
}

// -- drawing -----------------------------------------------------------------------------

function draw() {
  pg.dirty = false;
  const t0 = performance.now();
  const u = pg.state;
  if (!u || !pg.data) return;
  $("epoch").textContent = u.epoch;
  $("test-loss").textContent = fmt(u.test_loss);
  $("train-loss").textContent = fmt(u.train_loss);
  showLosses(u, "");
  $("lr-now").textContent = fmt(u.lr, 4);
  drawHeatmap(u);
  // one loss scale for both runs, so their curves compare at a glance
  const es = pg.config && pg.config.es !== "off" ? pg.esState : null;
  const maxL = curveTop(es ? pg.history.concat(pg.esHistory) : pg.history);
  drawCurves($("curves"), pg.history, maxL);
  if (es) drawEvolution(u, es, maxL);
  drawNetwork(u);
  drawGradBars(u);
  // redraws per second over the last second: what the page actually keeps up with
  const now = performance.now(), t = pg.stats.times;
  t.push(now);
  while (t.length && now - t[0] > 1000) t.shift();
  pg.stats.draws++;
  pg.stats.rate = t.length;
  pg.stats.drawMs = performance.now() - t0;
  $("rate").textContent = t.length;
}

function showLosses(u, prefix) {
  const pct = (v) => v === null ? "-" : (100 * v).toFixed(1) + "%";
  $(prefix + "test-loss").textContent = fmt(u.test_loss);
  $(prefix + "train-loss").textContent = fmt(u.train_loss);
  $(prefix + "test-accuracy").textContent = pct(u.test_accuracy);
  $(prefix + "train-accuracy").textContent = pct(u.train_accuracy);
  $(prefix + "test-accuracy").dataset.value = u.test_accuracy;
}

// The evolution strategy's panel: its losses, curve and heatmap, and what each run cost.
function drawEvolution(u, es, maxL) {
  $("es-name").textContent = es.label;
  showLosses(es, "es-");
  drawCurves($("es-curves"), pg.esHistory, maxL);
  drawHeatmap(es, $("es-heatmap"));
  $("bp-passes").textContent = u.forward_passes.toLocaleString("en");
  $("es-passes").textContent = es.forward_passes.toLocaleString("en");
  $("es-passes-how").textContent = `${es.generation} generations × ${es.popsize}, no backward`;
  $("es-ratio").textContent = u.forward_passes ? `ES: ${fmt(es.forward_passes / u.forward_passes, 1)}× backprop's forward passes, epoch ${es.epoch}` : "";
}

function mapColour(value, cls, i) {
  if (cls) { // several classes: the winner's colour, paler when unsure
    const k = pg.data.classes;
    return lerp(WHITE, PALETTE[cls[i] % PALETTE.length], Math.max(0, (value[i] - 1 / k) / (1 - 1 / k)));
  }
  return diverging(value[i]);
}

const offscreen = document.createElement("canvas");
function paintGrid(ctx, n, colourAt, x, y, w, h) {
  offscreen.width = n; offscreen.height = n;
  const octx = offscreen.getContext("2d"), img = octx.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const c = colourAt(i);
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(offscreen, x, y, w, h);
}

function pointColour(label) {
  if (pg.data.task === "regression") return diverging(label);
  return pg.data.classes === 2 ? (label ? BLUE : ORANGE) : PALETTE[label % PALETTE.length];
}

function drawHeatmap(u, cv = $("heatmap")) {
  const ctx = cv.getContext("2d"), W = cv.width, D = pg.data.domain;
  const hm = u.heatmap;
  paintGrid(ctx, hm.size, (i) => mapColour(hm.value, hm.class, i), 0, 0, W, W);
  const sets = [["train", "#fff"]];
  if ($("show-test").checked) sets.push(["test", "#000"]);
  for (const [split, stroke] of sets) {
    const pts = pg.data[split + "_points"], lab = pg.data[split + "_labels"];
    for (let i = 0; i < pts.length; i++) {
      ctx.beginPath();
      ctx.arc((pts[i][0] + D) / (2 * D) * W, (D - pts[i][1]) / (2 * D) * W, 3, 0, 2 * Math.PI);
      ctx.fillStyle = rgb(pointColour(lab[i])); ctx.fill();
      ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke();
    }
  }
  if (pg.explain && cv.id === "heatmap") { // the example whose backward pass is on show
    const p = pg.explain.point;
    ctx.beginPath();
    ctx.arc((p[0] + D) / (2 * D) * W, (D - p[1]) / (2 * D) * W, 7, 0, 2 * Math.PI);
    ctx.strokeStyle = "#d00"; ctx.lineWidth = 2.5; ctx.stroke();
  }
}

function curveTop(h) { return Math.max(1e-9, ...h.map((r) => Math.max(r[1], r[2])).filter(isFinite)); }

function drawCurves(cv, h, maxL) {
  const ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  ctx.clearRect(0, 0, W, H);
  if (!h.length) return;
  const maxE = Math.max(1, h[h.length - 1][0]);
  for (const [col, colour] of [[1, "#999"], [2, "#000"]]) {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    h.forEach((r, i) => {
      const x = r[0] / maxE * (W - 2) + 1, y = H - 1 - Math.min(1, r[col] / maxL) * (H - 2);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  }
}

// Network layout: one column per layer, features first, the output last.
function layout() {
  const cv = $("network"), cols = [pg.config.features.length, ...pg.config.layers.map((l) => l.units)];
  const size = 34, colW = Math.min(110, (cv.width - 60) / (cols.length + 1));
  const nodes = cols.map((n, c) => Array.from({ length: n }, (_, j) =>
    ({ x: 40 + c * colW, y: 12 + j * (size + 12), size, layer: c, unit: j })));
  nodes.push([{ x: 40 + cols.length * colW, y: 12, size: size * 1.6, layer: cols.length, unit: 0, output: true }]);
  return nodes;
}

function drawNetwork(u) {
  const cv = $("network"), ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  const nodes = layout(), byGrad = $("link-mode").value === "gradient";
  pg.links = [];
  // links: colour by sign, width by size (gradients on a log scale: they span decades)
  const gmax = Math.max(1e-30, ...u.weight_grads.flat(2).filter((g) => g !== null).map(Math.abs));
  for (let l = 0; l < u.weights.length; l++) {
    const W = u.weights[l], G = u.weight_grads[l];
    const outs = l + 1 < nodes.length - 1 ? nodes[l + 1] : null;
    W.forEach((row, j) => row.forEach((w, i) => {
      const a = nodes[l][i], b = outs ? outs[j] : nodes[nodes.length - 1][0];
      const g = G ? G[j][i] : 0, v = byGrad ? g : w;
      // gradients: size and colour on a log scale over four decades below the largest
      const gScale = Math.max(0, 1 + Math.log10(Math.abs(g) / gmax + 1e-30) / 4);
      const width = byGrad ? 0.3 + 4 * gScale : Math.min(6, 0.3 + 2 * Math.abs(w));
      if (!outs && l === u.weights.length - 1 && j > 0 && pg.data.classes === 2) return; // one line to the output square
      const x1 = a.x + a.size, y1 = a.y + a.size / 2, x2 = b.x, y2 = b.y + b.size / 2;
      ctx.beginPath(); ctx.moveTo(x1, y1);
      ctx.bezierCurveTo((x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2, y2);
      ctx.strokeStyle = rgb(diverging(Math.sign(v) * Math.max(0.15, Math.min(1, byGrad ? gScale : Math.abs(w)))));
      ctx.lineWidth = width; ctx.stroke();
      pg.links.push({ x1, y1, x2, y2, text: `weight ${l + 1}[${j},${i}] = ${fmt(w, 4)}\ndL/dw = ${fmt(g, 6)}` });
    }));
  }
  // node thumbnails: the features, then each neuron's output over the square
  const n = u.neurons.size;
  nodes.forEach((col, c) => col.forEach((node) => {
    let values;
    if (node.output) {
      paintGrid(ctx, u.heatmap.size, (i) => mapColour(u.heatmap.value, u.heatmap.class, i), node.x, node.y, node.size, node.size);
    } else {
      values = c === 0 ? pg.data.inputs.maps[node.unit] : u.neurons.layers[c - 1][node.unit];
      const scale = c === 0 ? Math.max(1e-9, ...values.map(Math.abs)) : 1;
      paintGrid(ctx, n, (i) => diverging(values[i] / scale), node.x, node.y, node.size, node.size);
    }
    ctx.strokeStyle = pg.explainLayer === c ? "#d00" : "#666";
    ctx.lineWidth = pg.explainLayer === c ? 3 : 1;
    ctx.strokeRect(node.x, node.y, node.size, node.size);
    if (c === 0) { ctx.fillStyle = "#333"; ctx.fillText(pg.options.features[pg.config.features[node.unit]], 2, node.y + node.size / 2 + 4); }
    const bias = c > 0 && !node.output ? u.biases[c - 1][node.unit] : null;
    const act = c > 0 && !node.output ? (pg.config.layers[c - 1].act || pg.config.act) : null;
    node.text = node.output ? "output (the heatmap)" : c === 0 ? `input ${pg.config.features[node.unit]}`
      : `layer ${c} neuron ${node.unit}: ${act}\nbias ${fmt(bias, 4)}`;
  }));
  pg.nodes = nodes.flat();
}

function drawGradBars(u) {
  const box = $("gradbars"), g = u.grad_norms, vals = g.map((r) => r.norm).filter((v) => v > 0);
  if (box.children.length !== g.length) {
    box.innerHTML = g.map((r, i) => `<div class="row"><span class="name">layer ${i + 1}</span><span class="track"><div class="bar"></div></span><span class="val"></span></div>`).join("");
  }
  const top = Math.log10(Math.max(1e-30, ...vals)), span = 8; // eight decades
  g.forEach((r, i) => {
    const row = box.children[i], bar = row.querySelector(".bar");
    const frac = r.norm > 0 ? Math.max(0.01, 1 - (top - Math.log10(r.norm)) / span) : 0;
    bar.style.width = (100 * frac).toFixed(1) + "%";
    bar.dataset.norm = r.norm;
    row.querySelector(".val").textContent = fmt(r.norm, 4);
    row.title = `${r.layer}: ||dL/dW|| = ${r.norm}`;
  });
}

function drawFindings() {
  const f = pg.state.findings, ul = $("findings");
  ul.innerHTML = f.length ? f.map((x) => `<li><span class="kind">[${x.kind}]</span> epoch ${x.epoch}, ${x.layer}${x.module ? ` (${x.module})` : ""}: ${x.message}</li>`).join("")
    : '<li class="none">none yet</li>';
}

// -- hover: the value under the pointer ----------------------------------------------

function tooltip(e, text) {
  const t = $("tooltip");
  if (!text) { t.style.display = "none"; return; }
  t.textContent = text; t.style.display = "block";
  t.style.left = e.clientX + 12 + "px"; t.style.top = e.clientY + 12 + "px";
}

function hoverHeatmap(e) {
  const u = e.target.id === "es-heatmap" ? pg.esState : pg.state; if (!u || !pg.data) return;
  const r = e.target.getBoundingClientRect(), fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
  const n = u.heatmap.size, i = Math.min(n - 1, Math.floor(fy * n)) * n + Math.min(n - 1, Math.floor(fx * n));
  const D = pg.data.domain, x = fx * 2 * D - D, y = D - fy * 2 * D;
  let what = pg.data.task === "regression" ? `output ${fmt(u.heatmap.value[i])}` :
    u.heatmap.class ? `class ${u.heatmap.class[i]}, p = ${fmt(u.heatmap.value[i])}` : `p(1) - p(0) = ${fmt(u.heatmap.value[i])}`;
  tooltip(e, `x ${x.toFixed(2)}, y ${y.toFixed(2)}\n${what}`);
}

function hoverNetwork(e) {
  const r = e.target.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
  const node = (pg.nodes || []).find((n) => x >= n.x && x <= n.x + n.size && y >= n.y && y <= n.y + n.size);
  if (node) return tooltip(e, node.text);
  let best = null, bd = 5;
  for (const l of pg.links || []) { // distance to the link's chord, good enough for a hint
    const t = Math.max(0, Math.min(1, ((x - l.x1) * (l.x2 - l.x1) + (y - l.y1) * (l.y2 - l.y1)) / ((l.x2 - l.x1) ** 2 + (l.y2 - l.y1) ** 2)));
    const d = Math.hypot(x - l.x1 - t * (l.x2 - l.x1), y - l.y1 - t * (l.y2 - l.y1));
    if (d < bd) { bd = d; best = l; }
  }
  tooltip(e, best && best.text);
}

function hoverCurves(e) {
  const h = e.target.id === "es-curves" ? pg.esHistory : pg.history; if (!h.length) return;
  const r = e.target.getBoundingClientRect(), maxE = Math.max(1, h[h.length - 1][0]);
  const epoch = (e.clientX - r.left) / r.width * maxE;
  const row = h.reduce((a, b) => Math.abs(b[0] - epoch) < Math.abs(a[0] - epoch) ? b : a);
  tooltip(e, `epoch ${row[0]}\ntrain loss ${fmt(row[1], 4)}\ntest loss ${fmt(row[2], 4)}`);
}

// -- step-by-step backward pass ------------------------------------------------------

async function explainStart() {
  try {
    pg.explain = await api("GET", `/api/sessions/${pg.id}/explain?example=${$("explain-example").value}`);
    pg.explainPos = 0; showExplain(); showError("");
  } catch (e) { showError(e.message); }
}

function arr(a) { return JSON.stringify(a).replace(/,/g, ", "); }
function showExplain() {
  const x = pg.explain; if (!x) return;
  const s = x.steps[pg.explainPos];
  $("explain-pos").textContent = `step ${pg.explainPos + 1} of ${x.steps.length}`;
  let t = `example ${x.example}: point (${x.point}), label ${x.label}, loss L = ${fmt(x.loss, 5)}\n\n`;
  t += `step ${s.index}: ${s.outputs.join(", ")} = ${s.op}(${s.inputs.join(", ")})` + (s.layer ? `  [layer ${s.layer}]` : "") + "\n";
  s.outputs.forEach((o, i) => { t += `  upstream dL/d${o} = ${arr(s.upstream[i])}\n`; });
  s.inputs.forEach((name, i) => {
    if (s.downstream[i] === null) return;
    if (s.local[i] !== null) t += `  local    d${s.outputs[0]}/d${name} = ${arr(s.local[i])}\n`;
    t += `  chain    dL/d${name} = ${arr(s.downstream[i])}\n`;
  });
  const block = x.text.split("\n\n").find((b) => b.startsWith(`step ${s.index}:`));
  t += "\n" + (block || "");
  $("explain-text").textContent = t;
  // highlight the column of neurons this step computes (layer k's outputs: column k)
  pg.explainLayer = s.layer;
  if (pg.state) { drawNetwork(pg.state); drawHeatmap(pg.state); }
}

// -- wiring ------------------------------------------------------------------------------

async function init() {
  pg.options = await api("GET", "/api/options");
  const fill = (id, items) => { $(id).innerHTML = items.map((v) => `<option>${v}</option>`).join(""); };
  $("es").innerHTML = Object.entries(pg.options.evolution).map(([k, label]) => `<option value="${k}">${k === "off" ? "off" : label}</option>`).join("");
  fill("opt", pg.options.optimizers); fill("act", pg.options.activations); fill("sched", Object.keys(pg.options.schedules));
  $("feature-controls").innerHTML += Object.entries(pg.options.features).map(([k, label]) =>
    `<label><input type="checkbox" value="${k}">${label}</label>`).join("");
  $("feature-controls").querySelectorAll("input").forEach((box) => box.onchange = () => {
    const on = [...$("feature-controls").querySelectorAll("input")].filter((b) => b.checked).map((b) => b.value);
    if (!on.length) { box.checked = true; return; } // a network needs an input
    pg.config.features = on; changed();
  });
  $("datasets").innerHTML = Object.keys(pg.options.datasets).map((d) => `<button data-name="${d}">${d}</button>`).join("");
  document.querySelectorAll("#datasets button").forEach((b) => b.onclick = () => { pg.config.dataset = b.dataset.name; changed(); });
  for (const p of pg.options.presets) {
    const o = document.createElement("option"); o.value = p.query; o.textContent = p.label; $("presets").appendChild(o);
  }
  $("presets").onchange = (e) => { if (e.target.value) start(e.target.value, false); };
  for (const k of FIELDS) $(k).onchange = changed;
  for (const k of ["noise", "ratio", "batch"]) $(k).oninput = () => { $(k + "-val").textContent = $(k).value; };
  $("regenerate").onclick = () => { $("seed").value = +$("seed").value + 1; changed(); };
  $("add-layer").onclick = () => { if (pg.config.layers.length < pg.options.max_layers) { pg.config.layers.push({ units: 2 }); changed(); } };
  $("remove-layer").onclick = () => { if (pg.config.layers.length) { pg.config.layers.pop(); changed(); } };
  const control = (action) => api("POST", `/api/sessions/${pg.id}/control`, JSON.stringify({ action })).then((r) => setPlaying(r.playing)).catch((e) => showError(e.message));
  $("play").onclick = () => control(pg.playing ? "pause" : "play");
  $("step").onclick = () => control("step");
  $("reset").onclick = () => { pg.history = []; control("reset"); };
  // How to look, not what to train: in the URL's fragment, beside the setup's query.
  const view = new URLSearchParams(location.hash.slice(1));
  $("show-test").checked = view.get("test") === "1";
  if (view.get("links") === "gradient") $("link-mode").value = "gradient";
  const saveView = () => {
    const v = new URLSearchParams({ test: $("show-test").checked ? "1" : "0", links: $("link-mode").value });
    history.replaceState(null, "", location.search + "#" + v);
  };
  $("show-test").onchange = () => {
    saveView();
    if (pg.state) drawHeatmap(pg.state);
    if (pg.esState) drawHeatmap(pg.esState, $("es-heatmap"));
  };
  $("link-mode").onchange = () => { saveView(); if (pg.state) drawNetwork(pg.state); };
  $("heatmap").onmousemove = $("es-heatmap").onmousemove = hoverHeatmap;
  $("curves").onmousemove = $("es-curves").onmousemove = hoverCurves;
  $("network").onmousemove = hoverNetwork;
  for (const id of ["heatmap", "network", "curves", "es-heatmap", "es-curves"]) $(id).onmouseleave = (e) => tooltip(e, null);
  $("explain-start").onclick = explainStart;
  $("explain-next").onclick = () => { if (pg.explain && pg.explainPos < pg.explain.steps.length - 1) { pg.explainPos++; showExplain(); } };
  $("explain-prev").onclick = () => { if (pg.explain && pg.explainPos > 0) { pg.explainPos--; showExplain(); } };
  $("csv-file").onchange = async (e) => {
    const file = e.target.files[0]; if (!file) return;
    try {
      const r = await api("POST", "/api/upload", await file.text());
      $("upload-status").textContent = `${r.rows} rows, ${r.task}` + (r.task === "classification" ? `, ${r.classes} classes` : "");
      pg.config.dataset = "csv:" + r.id; changed();
    } catch (err) { showError(err.message); }
  };
  await start(location.search.replace(/^\?/, ""), true);
}

init().catch((e) => showError(e.message));
