// chainctl dashboard: the page's own script. It listens to the server's
// event stream (graph, probe, events) and sends changes as JSON POSTs with
// the token in a header. No library, nothing fetched from elsewhere.
'use strict';

const token = document.querySelector('meta[name="chainctl-token"]').content;
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const MAX_EVENTS = 200;

let hello = { modes: [], network_modes: [] };
let lastSVG = '';
let probeRunning = false;

// The token stays in the cookie the first load set: out of the address bar.
if (location.search) history.replaceState(null, '', location.pathname);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- the stream ----

function connect() {
  const es = new EventSource('/api/stream');
  const conn = $('conn');
  es.onopen = () => { conn.dataset.state = 'live'; conn.textContent = 'live'; };
  es.onerror = () => {
    const closed = es.readyState === EventSource.CLOSED;
    conn.dataset.state = closed ? 'closed' : 'reconnecting';
    conn.textContent = closed ? 'disconnected: is chainctl dashboard still running?' : 'reconnecting…';
  };
  const on = (name, fn) => es.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  on('hello', onHello);
  on('graph', onGraph);
  on('probe', onProbe);
  on('status', onStatus);
  on('event', addEvent);
}

function onHello(h) {
  hello = h;
  $('events').replaceChildren();
  $('events-status').textContent = h.events ? '' : 'the ' + h.kind + ' backend has no events: the graph is redrawn every few seconds';
  const mode = $('b-mode');
  const keep = mode.value;
  mode.replaceChildren(...h.modes.map((m) => el('option', { value: m.name, title: m.help }, m.name)));
  if (keep) mode.value = keep;
  showModeFields();
  $('probe-what').textContent = h.probe_rate + ' requests a second through the entry';
}

function onGraph(g) {
  if (g.svg !== lastSVG) {
    $('graph').innerHTML = g.svg; // drawn and escaped by chainctl (internal/graph)
    lastSVG = g.svg;
  }
  const err = $('graph-error');
  err.hidden = !g.error;
  err.textContent = g.error || '';
  const rows = g.services.map((s) => {
    const state = s.state || 'unknown';
    const tr = el('tr', { 'data-service': s.name, 'data-state': state });
    tr.append(el('td', {}, s.name + (s.replicas > 1 ? ' ×' + s.replicas : '')));
    const td = el('td');
    td.append(el('span', { class: 'dot ' + state, 'aria-hidden': 'true' }), document.createTextNode(' ' + state));
    tr.append(td, el('td', {}, s.fault || (s.extra ? 'not in the topology' : '')));
    return tr;
  });
  $('services').tBodies[0].replaceChildren(...rows);
  const sel = $('b-service');
  const keep = sel.value;
  sel.replaceChildren(...g.services.map((s) => el('option', { value: s.name }, s.name)));
  if (g.services.some((s) => s.name === keep)) sel.value = keep;
}

function onStatus(st) {
  const p = $('events-status');
  if (st.events) { p.textContent = st.events; p.className = 'error'; } else if (hello.events) { p.textContent = ''; p.className = 'muted'; }
}

function addEvent(e) {
  const t = new Date(e.time);
  const li = el('li', { class: 'ev ' + e.kind, 'data-kind': e.kind, 'data-action': e.action, 'data-name': e.name });
  li.append(
    el('time', { datetime: e.time }, t.toLocaleTimeString([], { hour12: false }) + '.' + String(t.getMilliseconds()).padStart(3, '0')),
    el('span', { class: 'ev-kind' }, e.kind),
    el('span', { class: 'ev-name', title: e.name }, short(e.name)),
    el('span', { class: 'ev-action' }, e.action),
    el('span', { class: 'ev-detail' }, short(e.detail || '')));
  const list = $('events');
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
}

// short leaves the project's name out of the objects' names: abc-c-1 is c-1.
function short(text) {
  const p = hello.project;
  return p ? text.split(p + '-').join('') : text;
}

// ---- the strip chart ----

const W = 640, X0 = 44, RATIO_Y = 8, RATIO_H = 64, LAT_Y = 100, LAT_H = 60;

function onProbe(p) {
  probeRunning = p.running;
  const btn = $('probe-btn');
  btn.textContent = p.running ? 'Stop probe load' : 'Start probe load';
  btn.setAttribute('aria-pressed', String(p.running));
  if (p.running) $('probe-what').textContent = p.rate + ' requests a second to ' + p.entry + ' (' + p.url + ')' + (p.link ? '' : ', judged by status');
  drawStrip(p);
}

function drawStrip(p) {
  const svg = $('strip-svg');
  const bs = p.buckets || [];
  const bw = (W - X0) / Math.max(bs.length, 1);
  const maxLat = niceCeil(Math.max(1, ...bs.map((b) => b.p95_ms)));
  const parts = [
    svgEl('text', { x: X0 - 6, y: RATIO_Y + 10, class: 'axis end' }, '100%'),
    svgEl('text', { x: X0 - 6, y: RATIO_Y + RATIO_H, class: 'axis end' }, '0%'),
    svgEl('text', { x: X0, y: RATIO_Y + RATIO_H + 14, class: 'axis' }, 'success ratio per second (green ok, red failed)'),
    svgEl('text', { x: X0 - 6, y: LAT_Y + 10, class: 'axis end' }, fmtMs(maxLat)),
    svgEl('text', { x: X0 - 6, y: LAT_Y + LAT_H, class: 'axis end' }, '0'),
    svgEl('text', { x: X0, y: LAT_Y + LAT_H + 14, class: 'axis' }, 'latency of the successes: p50 (solid), p95 (dashed)'),
    svgEl('text', { x: W, y: LAT_Y + LAT_H + 14, class: 'axis end' }, '−60 s … now'),
    svgEl('line', { x1: X0, x2: W, y1: RATIO_Y + RATIO_H, y2: RATIO_Y + RATIO_H, class: 'base' }),
    svgEl('line', { x1: X0, x2: W, y1: LAT_Y + LAT_H, y2: LAT_Y + LAT_H, class: 'base' }),
  ];
  let ok = 0, fail = 0, p50 = '', p95 = '';
  bs.forEach((b, i) => {
    const n = b.ok + b.fail;
    ok += b.ok; fail += b.fail;
    const g = svgEl('g', { class: 'bucket', 'data-t': b.t, 'data-ok': b.ok, 'data-fail': b.fail, 'data-p50': b.p50_ms, 'data-p95': b.p95_ms });
    const x = X0 + i * bw;
    if (n > 0) {
      const hFail = RATIO_H * b.fail / n;
      if (b.fail > 0) g.append(svgEl('rect', { x: x + 0.5, y: RATIO_Y, width: bw - 1, height: hFail, class: 'fail' }));
      if (b.ok > 0) g.append(svgEl('rect', { x: x + 0.5, y: RATIO_Y + hFail, width: bw - 1, height: RATIO_H - hFail, class: 'ok' }));
      g.append(svgEl('title', {}, new Date(b.t * 1000).toLocaleTimeString([], { hour12: false }) + ': ' + b.ok + ' ok, ' + b.fail + ' failed'));
    }
    parts.push(g);
    if (b.ok > 0) {
      const cx = (x + bw / 2).toFixed(1);
      p50 += cx + ',' + latY(b.p50_ms, maxLat) + ' ';
      p95 += cx + ',' + latY(b.p95_ms, maxLat) + ' ';
    }
  });
  parts.push(svgEl('polyline', { points: p95.trim(), class: 'p95' }), svgEl('polyline', { points: p50.trim(), class: 'p50' }));
  svg.replaceChildren(...parts);
  const fig = $('strip');
  fig.dataset.running = String(p.running);
  fig.dataset.ok = ok;
  fig.dataset.fail = fail;
  $('strip-summary').textContent = summary(bs, ok, fail, p);
  const perr = $('probe-error');
  perr.hidden = !p.last_error;
  perr.textContent = p.last_error ? 'last failure: ' + p.last_error + ' (' + new Date(p.last_error_at).toLocaleTimeString([], { hour12: false }) + ')' : '';
}

function summary(bs, ok, fail, p) {
  if (ok + fail === 0) return p.running ? 'waiting for the first answers…' : 'no requests yet: start the probe load';
  const recent = bs.slice(-10);
  const rOk = recent.reduce((a, b) => a + b.ok, 0), rFail = recent.reduce((a, b) => a + b.fail, 0);
  const last = recent.filter((b) => b.ok > 0).pop();
  let s = 'last minute: ' + ok + ' ok, ' + fail + ' failed';
  if (rOk + rFail > 0) s += '; last 10 s: ' + Math.round(100 * rOk / (rOk + rFail)) + '% ok';
  if (last) s += ', p50 ' + fmtMs(last.p50_ms) + ', p95 ' + fmtMs(last.p95_ms);
  return s;
}

function latY(ms, max) { return (LAT_Y + LAT_H - LAT_H * Math.min(ms, max) / max).toFixed(1); }
function fmtMs(ms) { return ms >= 1000 ? (ms / 1000).toFixed(1) + ' s' : (ms >= 10 ? Math.round(ms) : ms.toFixed(1)) + ' ms'; }
function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return [1, 2, 5, 10].map((m) => m * p).find((c) => c >= v);
}

// ---- changes ----

async function post(path, body) {
  const r = await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Chainctl-Token': token },
    body: JSON.stringify(body),
  });
  const j = await r.json().catch(() => ({ error: r.status + ' ' + r.statusText }));
  if (!r.ok) throw new Error(j.error || r.status + ' ' + r.statusText);
  return j;
}

async function act(doing, path, body) {
  const st = $('action-status');
  st.className = 'busy';
  st.textContent = doing;
  try {
    const j = await post(path, body);
    st.className = 'done';
    st.textContent = j.text || 'done';
  } catch (e) {
    st.className = 'error';
    st.textContent = e.message;
  }
}

function isNetwork(mode) { return hello.network_modes.includes(mode); }

function showModeFields() {
  const mode = $('b-mode').value;
  for (const l of document.querySelectorAll('#break-form [data-modes]')) {
    const ms = l.dataset.modes.split(' ');
    l.hidden = !(ms.includes(mode) || (ms.includes('net') && isNetwork(mode)));
  }
  const m = hello.modes.find((x) => x.name === mode);
  $('b-help').textContent = m ? mode + ': ' + m.help : '';
}

function target() {
  const rep = $('b-replica').value.trim();
  return $('b-service').value + (rep ? '/' + rep : '');
}

function breakBody() {
  const body = { service: target(), mode: $('b-mode').value };
  for (const l of document.querySelectorAll('#break-form [data-modes]')) {
    if (l.hidden) continue;
    const input = l.querySelector('[data-key]');
    const v = input.value.trim();
    if (!v) continue;
    body[input.dataset.key] = input.dataset.key === 'from' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  }
  return body;
}

function wire() {
  $('b-mode').addEventListener('change', showModeFields);
  $('break-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = breakBody();
    act('breaking ' + body.service + ' (' + body.mode + ')…', '/api/break', body);
  });
  $('heal-btn').addEventListener('click', () => {
    const t = target();
    act('healing ' + t + '…', '/api/heal', { services: [t] });
  });
  $('heal-all-btn').addEventListener('click', () => act('healing every service…', '/api/heal', { services: [] }));
  $('probe-btn').addEventListener('click', async () => {
    try {
      onProbe(await post('/api/probe', { run: !probeRunning }));
    } catch (e) {
      $('action-status').className = 'error';
      $('action-status').textContent = e.message;
    }
  });
}

wire();
connect();
