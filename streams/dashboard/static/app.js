// The dashboard page: plain ES module, charts by Apache ECharts (served from /vendor).
import { LABELS } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const state = {
  lang: localStorage.getItem("liudong.lang") || "zh",
  names: {}, me: null, summary: null, source: null, charts: {}, chartKeys: {}, obligationKey: null,
  dbDown: false, disconnected: false, openCase: null, vocabulary: {}, leagueScope: "region",
  league: null, leagueKey: null,
};
const t = (key) => LABELS[state.lang][key] ?? key;
// The obligation counts' labels come from the server (contracts/obligation_vocabulary.py).
const v = (name) => (state.vocabulary[name] || {})[state.lang] ?? name;

function countyName(code) {
  if (!code) return "–";
  if (code === "region") return t("regionScope");
  const entry = state.names[code];
  return entry ? `${entry[state.lang]}` : code;
}
function mergeNames(names) { Object.assign(state.names, names || {}); }
// Times for people: Beijing time, with the zone shown.
const BEIJING = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric",
  month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
function fmtTime(iso) { return iso ? `${BEIJING.format(new Date(iso))} ${t("zone")}` : "–"; }
function fmtScore(x) { return x === null || x === undefined ? t("notAssessed") : x.toFixed(1); }
function pct(x) { return x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`; }
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  let body = null;
  if (response.status !== 204) body = await response.json().catch(() => null);
  return { status: response.status, body };
}

// --- banner: reconnecting (the stream dropped) and database unavailable (status event) ---
function updateBanner() {
  const banner = $("banner");
  if (state.disconnected) {
    banner.textContent = t("reconnecting"); banner.className = "reconnecting"; banner.hidden = false;
  } else if (state.dbDown) {
    banner.textContent = `${t("dbDown")} ${state.dbError || ""}`; banner.className = "db"; banner.hidden = false;
  } else { banner.hidden = true; banner.className = ""; }
}

// --- language ---
function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = `${t("title")} · liudong`;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
  renderWho(); updateBanner();
  if (state.summary) render(state.summary);
  if (state.league) renderLeague(state.league);
  if (state.obligations) renderObligations(state.obligations);
  if (state.openCase) renderCase(state.openCase);
}

function renderWho() {
  if (!state.me) { $("who").textContent = ""; return; }
  const m = state.me;
  $("who").textContent = m.role === "region" ? `${m.username} · ${t("regionOf")}`
    : `${m.username} · ${t("countyOf")} ${countyName(m.county)}`;
}

// --- charts ---
function chart(id) {
  if (!window.echarts) return null;
  if (!state.charts[id]) state.charts[id] = window.echarts.init($(id));
  return state.charts[id];
}
// Summaries arrive whenever any figure changes; a chart is set again only when its own
// option (or the language its labels are drawn in) changed. Re-setting it with notMerge
// rebuilds it, which restarts its animation and clears any hover, tooltip or highlight.
function setChart(id, option) {
  const c = chart(id); if (!c) return;
  const key = `${state.lang}|${JSON.stringify(option)}`;
  if (state.chartKeys[id] === key) return;
  state.chartKeys[id] = key;
  c.setOption(option, { notMerge: true });
}

function renderFlows(flows) {
  const nodes = new Map();
  for (const f of flows) { nodes.set(`o:${f.origin}`, f.origin); nodes.set(`d:${f.destination}`, f.destination); }
  setChart("chart-flows", {
    tooltip: { trigger: "item", formatter: (p) => p.dataType === "edge"
      ? `${countyName(p.data.source.slice(2))} → ${countyName(p.data.target.slice(2))}: ${p.data.value} ${t("persons")}`
      : countyName(p.name.slice(2)) },
    series: [{ type: "sankey", emphasis: { focus: "adjacency" }, nodeAlign: "justify",
      data: [...nodes.keys()].map((name) => ({ name })),
      links: flows.map((f) => ({ source: `o:${f.origin}`, target: `d:${f.destination}`, value: f.persons })),
      label: { formatter: (p) => countyName(p.name.slice(2)) },
      lineStyle: { color: "gradient", curveness: 0.5, opacity: 0.35 } }],
  });
}

function renderObligationChart(o) {
  const keys = Object.keys(state.vocabulary);
  const colors = { open: "#3a7bd5", due_soon: "#e0a030", overdue: "#c0392b", breached: "#c0392b", fulfilled_on_time: "#2e8b57",
    fulfilled_late: "#b7950b", escalated: "#8e44ad", cancelled: "#95a5a6" };
  setChart("chart-obligations", {
    tooltip: {}, grid: { left: 40, right: 16, top: 16, bottom: 44 },
    xAxis: { type: "category", data: keys.map(v), axisLabel: { interval: 0, rotate: 20, fontSize: 10 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: keys.map((k) => ({ value: o.counts[k] || 0, itemStyle: { color: colors[k] } })),
      label: { show: true, position: "top" } }],
  });
}

function renderCampaigns(campaigns) {
  const names = campaigns.map((x) => x.campaign_id);
  setChart("chart-campaigns", {
    tooltip: { trigger: "axis" }, legend: { data: [t("reported"), t("assigned"), t("overdue")] },
    grid: { left: 110, right: 20, top: 30, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: names },
    series: [
      { name: t("reported"), type: "bar", stack: "tasks", data: campaigns.map((x) => x.reported), itemStyle: { color: "#2e8b57" } },
      { name: t("assigned"), type: "bar", stack: "tasks", data: campaigns.map((x) => x.assigned - x.overdue), itemStyle: { color: "#3a7bd5" } },
      { name: t("overdue"), type: "bar", stack: "tasks", data: campaigns.map((x) => x.overdue), itemStyle: { color: "#c0392b" } },
    ],
    graphic: campaigns.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: t("none"), fill: "#999" } }],
  });
}

function renderCoverage(cov) {
  const ratio = cov.headline && cov.headline.ratio !== null ? cov.headline.ratio : null;
  const counties = cov.counties || [];
  setChart("chart-coverage", {
    tooltip: {},
    series: [{
      type: "gauge", center: ["28%", "58%"], radius: "80%", min: 0, max: 100, splitNumber: 5,
      axisLine: { lineStyle: { width: 14, color: [[cov.target, "#e06c5a"], [1, "#3ba272"]] } },
      pointer: { width: 5 }, axisLabel: { distance: 18, fontSize: 10 },
      title: { offsetCenter: [0, "70%"], fontSize: 12 },
      detail: { formatter: (v) => (ratio === null ? "–" : `${v.toFixed(1)}%`), fontSize: 20, offsetCenter: [0, "40%"] },
      data: [{ value: ratio === null ? 0 : ratio * 100, name: `${countyName(cov.scope)} · ${t("target")} ${Math.round(cov.target * 100)}% · ${cov.period || ""}` }],
    }, {
      type: "bar", xAxisIndex: 0, yAxisIndex: 0, data: counties.map((x) => ({ value: x.ratio === null ? 0 : +(x.ratio * 100).toFixed(1),
        itemStyle: { color: x.ratio >= cov.target ? "#3ba272" : "#e06c5a" } })),
      markLine: { symbol: "none", data: [{ xAxis: cov.target * 100 }], lineStyle: { type: "dashed", color: "#333" }, label: { formatter: "80%" } },
    }],
    grid: { left: "58%", right: 20, top: 20, bottom: 24 },
    xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", data: counties.map((x) => countyName(x.scope)), axisLabel: { fontSize: 10 } },
  });
}

function renderLeague(sc) {
  state.league = sc;
  const body = $("league").querySelector("tbody"); body.replaceChildren();
  $("league-empty").hidden = sc.table.length > 0;
  $("league-unranked").hidden = sc.table.length === 0 || sc.ranked;
  for (const r of sc.table) {
    body.append(el("tr", { "data-county": r.county }, el("td", {}, r.rank ?? "–"), el("td", {}, countyName(r.county)),
      el("td", {}, fmtScore(r.origin_score)), el("td", {}, fmtScore(r.destination_score)),
      el("td", {}, fmtScore(r.combined_score))));
  }
  if (sc.table.length) {
    const a = sc.average;
    body.append(el("tr", { class: "average" }, el("td", {}, ""), el("td", {}, t("regionAverage")),
      el("td", {}, fmtScore(a.origin)), el("td", {}, fmtScore(a.destination)), el("td", {}, fmtScore(a.combined))));
  }
  setChart("chart-trend", {
    tooltip: { trigger: "axis" }, grid: { left: 36, right: 12, top: 12, bottom: 22 },
    xAxis: { type: "category", data: sc.periods }, yAxis: { type: "value" },
    series: sc.table.slice(0, 8).map((r) => ({ name: countyName(r.county), type: "line", data: r.trend, connectNulls: true })),
  });
}

function renderDead(dead) {
  $("dead-region-only").hidden = dead !== null;
  $("chart-dead").hidden = dead === null;
  if (dead === null) return;
  const rows = dead ? dead.by_reason : [];
  setChart("chart-dead", {
    tooltip: {}, grid: { left: 130, right: 30, top: 10, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: rows.map((r) => `${r.reason_code} (${r.detected_by})`) },
    series: [{ type: "bar", data: rows.map((r) => r.n), itemStyle: { color: "#8e44ad" }, label: { show: true, position: "right" } }],
  });
}

function renderThroughput(live) {
  $("throughput-region-only").hidden = live.throughput !== null;
  $("chart-throughput").hidden = live.throughput === null;
  if (live.throughput === null) { $("lag-detail").textContent = ""; return; }
  const series = live.throughput.series;
  setChart("chart-throughput", {
    tooltip: { trigger: "axis" }, grid: { left: 40, right: 12, top: 12, bottom: 22 },
    xAxis: { type: "category", data: series.map((_, i) => i - series.length + 1) },
    yAxis: { type: "value", name: "/s" },
    series: [{ type: "line", data: series, areaStyle: { opacity: 0.2 }, smooth: true, showSymbol: false }],
  });
  const lag = live.lag;
  $("lag-detail").textContent = lag.available
    ? `${t("lag")}: ${lag.total} · ${Object.entries(lag.by_topic).map(([k, v]) => `${k} ${v}`).join(", ")}`
    : `${t("lag")}: ${t("lagUnavailable")} (${lag.reason})`;
}

function renderVocabulary(vocabulary) {
  const first = Object.keys(state.vocabulary).length === 0;
  state.vocabulary = vocabulary || state.vocabulary;
  for (const node of document.querySelectorAll("[data-count]")) node.textContent = v(node.dataset.count);
  const select = $("obligation-state");
  if (first || select.options.length !== Object.keys(state.vocabulary).length) {
    const chosen = select.value || "open";
    select.replaceChildren(...Object.keys(state.vocabulary).map((name) => el("option", { value: name }, v(name))));
    select.value = chosen in state.vocabulary ? chosen : "open";
  } else {
    for (const option of select.options) option.textContent = v(option.value);
  }
}

function render(s) {
  state.summary = s; mergeNames(s.names); renderWho(); renderVocabulary(s.vocabulary);
  const o = s.obligations;
  $("kpi-events").textContent = s.totals.events ?? "–";
  $("kpi-rate").textContent = s.throughput ? s.throughput.per_second.toFixed(1) : "–";
  $("kpi-due").textContent = o.counts.open;
  $("kpi-breached").textContent = o.counts.breached;
  $("kpi-escalated").textContent = o.counts.escalated;
  $("kpi-coverage").textContent = pct(s.coverage.headline ? s.coverage.headline.ratio : null);
  $("kpi-dead").textContent = s.dead_letters ? s.dead_letters.total : "–";
  $("kpi-lag").textContent = s.lag ? (s.lag.available ? s.lag.total : t("lagUnavailable")) : "–";
  $("clock").textContent = s.clock ? `${t("clock")} ${fmtTime(s.clock)}` : "";
  renderFlows(s.flows); renderObligationChart(o); renderCampaigns(s.campaigns);
  renderCoverage(s.coverage); renderDead(s.dead_letters); renderThroughput(s);
  if (state.leagueScope === "region") renderLeague(s.scorecards);
  const leagueKey = JSON.stringify(s.scorecards);
  if (state.leagueScope !== "region" && leagueKey !== state.leagueKey) loadLeague();
  state.leagueKey = leagueKey;
  const key = JSON.stringify(o.counts);
  if (key !== state.obligationKey) { state.obligationKey = key; loadObligations(); }
}

async function loadLeague() {
  const { status, body } = await api(`/api/scorecards?scope=${encodeURIComponent(state.leagueScope)}`);
  if (status === 401) return showLogin();
  if (status !== 200) return;
  mergeNames(body.names); renderLeague(body);
}

// --- obligations list and the case drill-down ---
async function loadObligations() {
  const { status, body } = await api(`/api/obligations?state=${encodeURIComponent($("obligation-state").value)}&limit=100`);
  if (status === 401) return showLogin();
  if (status !== 200) return;
  state.obligations = body; renderObligations(body);
}

function renderObligations(body) {
  mergeNames(body.names);
  const tbody = $("obligation-table").querySelector("tbody"); tbody.replaceChildren();
  for (const r of body.items) {
    const row = el("tr", { "data-person": r.person_key, "data-obligation": r.obligation_id },
      el("td", {}, fmtTime(r.due_at)), el("td", {}, r.kind || "?"),
      el("td", {}, countyName(r.responsible_county)), el("td", {}, countyName(r.counterpart_county)),
      el("td", { class: `state-${r.status}` }, v(r.status)),
      el("td", {}, el("code", { class: "key" }, r.person_key)));
    row.addEventListener("click", () => openCase(r.person_key));
    tbody.append(row);
  }
}

async function openCase(personKey) {
  $("case").hidden = false; $("case-key").textContent = personKey;
  const { status, body } = await api(`/api/cases/${personKey}`);
  if (status === 401) return showLogin();
  if (status !== 200) {
    state.openCase = null;
    $("case-body").hidden = true; $("case-error").hidden = false;
    $("case-error").textContent = status === 403 ? t("forbidden") : status === 404 ? t("notFound") : `HTTP ${status}`;
    return;
  }
  state.openCase = body; renderCase(body);
  $("case").scrollIntoView({ behavior: "instant", block: "start" });
}

function describeCause(cause) {
  if (!cause) return "";
  return `${t("causedBy")}: ${cause.event_type || "?"} @ ${fmtTime(cause.occurred_at)}${cause.source_county ? ` (${countyName(cause.source_county)})` : ""}`;
}

function renderCase(body) {
  mergeNames(body.names);
  $("case-error").hidden = true; $("case-body").hidden = false;
  const events = $("case-events"); events.replaceChildren();
  for (const e of body.events) {
    const counties = ["origin_county", "destination_county", "to_county", "from_county", "home_county", "by_county"]
      .filter((k) => e.payload[k]).map((k) => countyName(e.payload[k])).join(" → ");
    events.append(el("li", { "data-event-type": e.event_type },
      `${fmtTime(e.occurred_at)} `, el("strong", {}, e.event_type),
      el("span", { class: e.derived ? "badge derived" : "badge" }, e.derived ? "derived" : countyName(e.source_county)),
      counties ? ` ${counties}` : "", e.cause ? el("div", { class: "cause" }, describeCause(e.cause)) : ""));
  }
  const obligations = $("case-obligations"); obligations.replaceChildren();
  for (const o of body.obligations) {
    const history = el("ul", {});
    for (const h of o.history) history.append(el("li", {}, `${fmtTime(h.occurred_at)} ${h.event_type} `, el("span", { class: "cause" }, describeCause(h.cause))));
    obligations.append(el("li", {}, el("strong", {}, `${o.kind || "?"}`), ` — ${countyName(o.responsible_county)}`,
      ` · ${t("dueAt")} ${fmtTime(o.due_at)} · `, el("span", { class: `state-${o.status}` }, v(o.status)), history));
  }
}

// --- live stream ---
function connect() {
  if (state.source) state.source.close();
  const source = new EventSource("/api/stream");
  state.source = source;
  source.addEventListener("open", () => { state.disconnected = false; updateBanner(); });
  source.addEventListener("summary", (msg) => {
    state.disconnected = false; state.dbDown = false; updateBanner(); render(JSON.parse(msg.data));
  });
  source.addEventListener("status", (msg) => {
    const s = JSON.parse(msg.data); state.dbDown = s.db === "unavailable"; state.dbError = s.error; updateBanner();
  });
  source.addEventListener("signed_out", () => { source.close(); showLogin(); });
  source.addEventListener("error", async () => {
    state.disconnected = true; updateBanner();
    if (source.readyState === EventSource.CLOSED) {   // the server answered, but not 200
      await new Promise((r) => setTimeout(r, 2000));
      const me = await api("/api/me").catch(() => ({ status: 0 }));
      if (me.status === 401) showLogin(); else if (state.source === source) connect();
    }  // otherwise EventSource reconnects by itself (retry: 2000)
  });
}

// --- sign-in ---
function showLogin() {
  if (state.source) { state.source.close(); state.source = null; }
  state.me = null; state.disconnected = false; renderWho(); updateBanner();
  $("board").hidden = true; $("logout").hidden = true; $("login").hidden = false;
}

async function start(me) {
  state.me = me; mergeNames(me.names); renderWho();
  $("login").hidden = true; $("board").hidden = false; $("logout").hidden = false;
  if (!window.echarts) { state.dbError = t("chartsMissing"); state.dbDown = true; updateBanner(); }
  const { status, body } = await api("/api/summary");
  if (status === 200) render(body);
  else if (status === 503) { state.dbDown = true; state.dbError = body && body.message; updateBanner(); }
  connect();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { status, body } = await api("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }) });
  if (status !== 200) { $("login-error").hidden = false; $("login-error").textContent = status === 401 ? t("badLogin") : `HTTP ${status}`; return; }
  $("login-error").hidden = true; $("password").value = "";
  start(body);
});
$("logout").addEventListener("click", async () => { await api("/api/logout", { method: "POST" }); showLogin(); });
$("lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem("liudong.lang", state.lang); applyLanguage(); });
$("obligation-state").addEventListener("change", loadObligations);
$("league-scope").addEventListener("change", () => {
  state.leagueScope = $("league-scope").value;
  if (state.leagueScope === "region" && state.summary) renderLeague(state.summary.scorecards); else loadLeague();
});
$("case-close").addEventListener("click", () => { $("case").hidden = true; state.openCase = null; });
window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));

// First load: signed in (200), not (401), or the server or its database is down: say so, retry.
async function boot() {
  const me = await api("/api/me").catch(() => ({ status: 0, body: null }));
  if (me.status === 200) { state.dbDown = false; state.disconnected = false; updateBanner(); return start(me.body); }
  if (me.status === 401) return showLogin();
  if (me.status === 503) { state.dbDown = true; state.dbError = me.body && me.body.message; } else state.disconnected = true;
  updateBanner(); setTimeout(boot, 3000);
}
applyLanguage();
boot();
