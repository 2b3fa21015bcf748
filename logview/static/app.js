// The log viewer's page. Every value from a record reaches the DOM through textContent or an attribute
// set by setAttribute on an element we created: records are data, never markup (no innerHTML here).
"use strict";

const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
const LEVEL_COLOURS = {
  DEBUG: "#8a94a6", INFO: "#2f7ed8", WARNING: "#e0a100", ERROR: "#d64545", CRITICAL: "#8e1b6e",
};
const MAX_ROWS = 2000;      // rows kept in the table; older ones fall off the bottom
const MAX_PENDING = 5000;   // records held while paused
const PAGE = 100;

const $ = (id) => document.getElementById(id);

const state = {
  filters: { q: "", service: "", level: "", event: "" },
  cursor: null,
  paused: false,
  pending: [],
  shown: new Set(),         // record ids on screen: the page and the live tail may both deliver one
  source: null,
  requestId: null,
  loadSeq: 0,
};

// ------------------------------------------------------------------------------------------ helpers

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(key, String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function str(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function levelOf(rec) {
  const level = String(rec.level || "").toUpperCase();
  return LEVELS.includes(level) ? level : "OTHER";
}

function shortTime(iso) {
  // "2026-11-29T06:29:00.576Z" -> "06:29:00.576"; the full value goes in the tooltip.
  const m = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(str(iso));
  return m ? m[1] : str(iso);
}

function params(extra) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...state.filters, ...extra })) if (v) p.set(k, v);
  return p;
}

async function getJSON(url) {
  const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(`${body.error || resp.status}: ${body.detail || resp.statusText}`);
  return body;
}

function bytes(n) {
  if (n > 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GB`;
  if (n > 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n > 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KB`;
  return `${n} B`;
}

// --------------------------------------------------------------------------------------------- rows

function recordRows(rec, fresh) {
  const level = levelOf(rec);
  const rid = rec.request_id ? str(rec.request_id) : "";
  const ridCell = el("td", { class: "rid" });
  if (rid) {
    ridCell.append(el("button", {
      type: "button", class: "link rid-link", title: `follow request ${rid}`, "data-rid": rid,
      text: rid.length > 12 ? `${rid.slice(0, 8)}…` : rid,
      on: { click: (e) => { e.stopPropagation(); openTimeline(rid); } },
    }));
  }
  const row = el("tr", { class: `lvl-${level.toLowerCase()}${fresh ? " fresh" : ""}`, tabindex: "0" },
    el("td", { class: "time", title: str(rec.time), text: shortTime(rec.time) }),
    el("td", { class: "level" }, el("span", { class: `badge lvl-${level.toLowerCase()}`, text: str(rec.level) })),
    el("td", { class: "service", text: str(rec.service) }),
    el("td", { class: "event", text: str(rec.event) }),
    ridCell,
    el("td", { class: "message", text: str(rec.message) }),
  );
  if (rec.logview_redacted) row.classList.add("redacted");
  const toggle = () => {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) { next.remove(); return; }
    const pre = el("pre", { text: JSON.stringify(rec, null, 2) });
    row.after(el("tr", { class: "detail" }, el("td", { colspan: "6" }, pre)));
  };
  row.addEventListener("click", toggle);
  row.addEventListener("keydown", (e) => { if (e.key === "Enter") toggle(); });
  return row;
}

function remember(rec) {
  const id = rec.record_id;
  if (!id) return true;
  if (state.shown.has(id)) return false;
  state.shown.add(id);
  return true;
}

function appendRecords(records) {
  const rows = $("rows");
  const frag = document.createDocumentFragment();
  for (const rec of records) if (remember(rec)) frag.append(recordRows(rec, false));
  rows.append(frag);
}

function prependLive(records) {
  const rows = $("rows");
  // Records arrive oldest first; inserting each at the top keeps the newest on top.
  for (const rec of records) {
    if (!remember(rec)) continue;
    rows.prepend(recordRows(rec, true));
  }
  while (rows.rows.length > MAX_ROWS) rows.lastElementChild.remove();
  $("status").dataset.live = String((Number($("status").dataset.live) || 0) + records.length);
}

// ------------------------------------------------------------------------------------------ loading

async function loadPage(reset) {
  const seq = ++state.loadSeq;
  const status = $("status");
  if (reset) {
    state.cursor = null;
    state.shown.clear();
  }
  status.textContent = "loading…";
  try {
    const extra = { limit: String(PAGE) };
    if (!reset && state.cursor) extra.cursor = state.cursor;
    const body = await getJSON(`/api/logs?${params(extra)}`);
    if (seq !== state.loadSeq) return; // a newer search replaced this one
    if (reset) $("rows").replaceChildren();
    appendRecords(body.records);
    state.cursor = body.next_cursor;
    const count = $("rows").querySelectorAll("tr:not(.detail)").length;
    let text = `${count} record${count === 1 ? "" : "s"} shown · read ${bytes(body.scanned_bytes)} of ${body.files} file${body.files === 1 ? "" : "s"}`;
    if (body.partial) text += " · stopped at the read budget: “Search older” continues";
    if (!count) text = "No records match.";
    status.textContent = text;
    const older = $("older");
    older.hidden = !state.cursor;
    older.textContent = body.partial ? "Search older" : "Load older";
  } catch (err) {
    if (seq === state.loadSeq) status.textContent = `Could not load records (${err.message}).`;
  }
}

async function loadFacets() {
  try {
    const facets = await getJSON("/api/facets");
    fill("service", facets.service);
    fill("level", [...new Set([...LEVELS, ...facets.level])]);
    fill("event", facets.event);
  } catch (err) { /* the filters still work by typing in the URL */ }
}

function fill(id, values) {
  const select = $(id);
  const current = state.filters[id];
  const first = select.options[0];
  select.replaceChildren(first);
  const all = new Set(values);
  if (current) all.add(current);
  for (const value of [...all].sort()) select.append(el("option", { value, text: value }));
  select.value = current;
}

// ------------------------------------------------------------------------------------------- alerts

async function loadAlerts() {
  let body;
  try { body = await getJSON("/api/alerts"); } catch (err) { return; }
  $("alerts-total").textContent = String(body.total);
  const box = $("alert-types");
  const open = new Set([...box.querySelectorAll("details[open]")].map((d) => d.dataset.type));
  const frag = document.createDocumentFragment();
  for (const t of body.types) {
    const details = el("details", { class: `alert-type${t.count ? "" : " none"}`, "data-type": t.type });
    if (open.has(t.type)) details.open = true;
    const kinds = Object.entries(t.kinds).map(([k, n]) => `${k} ×${n}`).join(", ");
    details.append(el("summary", null,
      el("span", { class: "alert-name", text: t.type }),
      el("span", { class: "count", text: String(t.count) }),
    ));
    details.append(el("p", { class: "muted", text: t.description }));
    if (kinds) details.append(el("p", { class: "kinds", text: kinds }));
    const list = el("ol", { class: "alert-list" });
    for (const a of t.latest) list.append(alertItem(a));
    details.append(list);
    frag.append(details);
  }
  box.replaceChildren(frag);
}

function alertItem(a) {
  const findings = el("ul", { class: "findings" });
  for (const f of a.findings) {
    findings.append(el("li", null, el("span", { class: "kind", text: str(f.kind) }), " ",
      el("code", { text: str(f.masked) }), el("span", { class: "muted", text: ` @${str(f.start)}–${str(f.end)}` })));
  }
  const item = el("li", { class: "alert" },
    el("div", { class: "alert-head" },
      el("span", { class: "time", title: str(a.time), text: shortTime(a.time) }),
      el("span", { class: "service", text: str(a.service) }),
      el("span", { class: "kinds", text: (a.kinds || []).join(", ") })),
    el("div", { class: "description", text: str(a.description) }),
    findings);
  if (a.request_id) {
    item.append(el("button", {
      type: "button", class: "link", text: "follow request", "data-rid": str(a.request_id),
      on: { click: () => openTimeline(str(a.request_id)) },
    }));
  }
  if (a.report) item.append(el("div", { class: "report muted", text: `report ${str(a.report)}` }));
  return item;
}

// ----------------------------------------------------------------------------------------- timeline

async function openTimeline(rid) {
  state.requestId = rid;
  syncUrl();
  const panel = $("timeline-panel");
  panel.hidden = false;
  $("timeline-id").textContent = rid;
  $("timeline-summary").textContent = "loading…";
  $("timeline").replaceChildren();
  panel.scrollIntoView({ block: "nearest" });
  let body;
  try {
    body = await getJSON(`/api/logs?${new URLSearchParams({ request_id: rid, limit: "500" })}`);
  } catch (err) {
    $("timeline-summary").textContent = `Could not load the request (${err.message}).`;
    return;
  }
  if (state.requestId !== rid) return;
  const records = body.records.slice().reverse(); // oldest first: a timeline reads forwards
  const services = [...new Set(records.map((r) => str(r.service)))];
  const t0 = Date.parse(records.length ? records[0].time : "");
  const list = $("timeline");
  for (const rec of records) {
    const lane = Math.min(services.indexOf(str(rec.service)), 5);
    const offset = Date.parse(rec.time) - t0;
    list.append(el("li", { class: `tl-item lane-${lane} lvl-${levelOf(rec).toLowerCase()}` },
      el("span", { class: "tl-offset", title: str(rec.time), text: Number.isFinite(offset) ? `+${offset} ms` : "" }),
      el("span", { class: `svc lane-${lane}`, text: str(rec.service) }),
      el("span", { class: "tl-event", text: str(rec.event) }),
      el("span", { class: "tl-msg", text: str(rec.message) })));
  }
  const last = records.length ? Date.parse(records[records.length - 1].time) - t0 : 0;
  $("timeline-summary").textContent = records.length
    ? `${records.length} records across ${services.join(" → ")} in ${Number.isFinite(last) ? last : "?"} ms`
    : "No records for this request.";
}

function closeTimeline() {
  state.requestId = null;
  $("timeline-panel").hidden = true;
  syncUrl();
}

// --------------------------------------------------------------------------------------------- chart

async function loadChart() {
  let body;
  try {
    const p = params({ minutes: "60" });
    p.delete("q");
    body = await getJSON(`/api/stats?${p}`);
  } catch (err) { return; }
  drawChart(body);
}

function drawChart(body) {
  const canvas = $("chart");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || 120;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const series = body.series;
  $("chart-range").textContent = series.length ? `${series[0].minute.slice(11)}–${series[series.length - 1].minute.slice(11)} UTC` : "no data";
  const legend = $("chart-legend");
  legend.replaceChildren();
  if (!series.length) return;
  const seen = new Set();
  let max = 1;
  for (const point of series) {
    let sum = 0;
    for (const [level, n] of Object.entries(point.counts)) { sum += n; seen.add(level); }
    max = Math.max(max, sum);
  }
  const slots = Math.max(series.length, 10);
  const barW = Math.max(2, (width - 30) / slots - 2);
  ctx.font = "10px system-ui, sans-serif";
  ctx.fillStyle = "#8a94a6";
  ctx.fillText(String(max), 0, 10);
  series.forEach((point, i) => {
    let y = height - 14;
    const x = 30 + i * (barW + 2);
    for (const level of [...LEVELS, "OTHER"]) {
      const n = level === "OTHER"
        ? Object.entries(point.counts).filter(([l]) => !LEVELS.includes(l)).reduce((s, [, c]) => s + c, 0)
        : point.counts[level] || 0;
      if (!n) continue;
      const h = (n / max) * (height - 26);
      ctx.fillStyle = LEVEL_COLOURS[level] || "#555";
      ctx.fillRect(x, y - h, barW, h);
      y -= h;
    }
  });
  ctx.fillStyle = "#8a94a6";
  ctx.fillText(series[0].minute.slice(11), 30, height - 2);
  for (const level of LEVELS.filter((l) => seen.has(l))) {
    const swatch = el("span", { class: `swatch lvl-${level.toLowerCase()}` });
    legend.append(el("li", null, swatch, level));
  }
}

// ---------------------------------------------------------------------------------------- live tail

function connectStream() {
  if (state.source) state.source.close();
  const source = new EventSource(`/api/stream?${params({})}`);
  state.source = source;
  setLive("connecting");
  source.addEventListener("ready", () => setLive(state.paused ? "paused" : "live"));
  source.addEventListener("record", (e) => {
    let rec;
    try { rec = JSON.parse(e.data); } catch (err) { return; }
    if (rec.event === "alert.created") scheduleAlerts();
    if (state.paused) {
      state.pending.push(rec);
      if (state.pending.length > MAX_PENDING) state.pending.shift();
      showPending();
    } else {
      prependLive([rec]);
    }
  });
  source.addEventListener("overflow", () => { $("status").textContent = "Live tail fell behind; reloading."; loadPage(true); });
  source.onerror = () => setLive("reconnecting");
}

function setLive(mode) {
  $("live-dot").className = `dot ${mode}`;
  $("live-label").textContent = { live: "live", paused: "paused", connecting: "connecting…", reconnecting: "reconnecting…" }[mode];
}

function showPending() {
  const button = $("pending");
  button.hidden = state.pending.length === 0;
  button.textContent = `${state.pending.length} new`;
}

function setPaused(paused) {
  state.paused = paused;
  const button = $("pause");
  button.textContent = paused ? "Resume" : "Pause";
  button.setAttribute("aria-pressed", String(paused));
  setLive(paused ? "paused" : "live");
  if (!paused && state.pending.length) {
    prependLive(state.pending);
    state.pending = [];
  }
  showPending();
}

let alertsTimer = null;
function scheduleAlerts() {
  if (alertsTimer) return;
  alertsTimer = setTimeout(() => { alertsTimer = null; loadAlerts(); }, 300);
}

// ------------------------------------------------------------------------------------------- wiring

function readUrl() {
  const p = new URLSearchParams(location.search);
  for (const key of Object.keys(state.filters)) state.filters[key] = p.get(key) || "";
  for (const key of Object.keys(state.filters)) $(key).value = state.filters[key];
  return p.get("request");
}

function syncUrl() {
  const p = params({});
  if (state.requestId) p.set("request", state.requestId);
  const query = p.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function applyFilters() {
  for (const key of Object.keys(state.filters)) state.filters[key] = $(key).value.trim();
  syncUrl();
  state.pending = [];
  showPending();
  loadPage(true);
  connectStream();
  loadChart();
}

function init() {
  const rid = readUrl();
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); applyFilters(); });
  for (const id of ["service", "level", "event"]) $(id).addEventListener("change", applyFilters);
  // Clearing the search box with its own × button is an explicit "show everything" request.
  $("q").addEventListener("search", () => { if (!$("q").value) applyFilters(); });
  $("clear").addEventListener("click", () => {
    for (const key of Object.keys(state.filters)) $(key).value = "";
    applyFilters();
  });
  $("older").addEventListener("click", () => loadPage(false));
  $("pause").addEventListener("click", () => setPaused(!state.paused));
  $("pending").addEventListener("click", () => setPaused(false));
  $("timeline-close").addEventListener("click", closeTimeline);
  loadFacets();
  loadPage(true);
  loadAlerts();
  loadChart();
  connectStream();
  if (rid) openTimeline(rid);
  setInterval(loadAlerts, 10000);
  setInterval(loadChart, 30000);
  window.addEventListener("resize", () => loadChart());
}

document.addEventListener("DOMContentLoaded", init);
