// The dashboard page: a plain ES module; charts by Apache ECharts (served from /vendor,
// drawn as SVG). Long lists (flows, coverage by county, worklists) are HTML, paged by the
// server, so they stay legible whatever the number of counties.
import { LABELS } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const state = {
  lang: localStorage.getItem("liudong.lang") || "zh",
  names: {}, me: null, summary: null, source: null, charts: {}, chartKeys: {}, words: null,
  dbDown: false, disconnected: false, openCase: null, vocabulary: {},
  flow: { level: null, origin: null, destination: null, stack: [], body: null },
  work: { offset: 0, limit: 50, body: null },
  cover: { which: "region", sort: "worst", offset: 0, limit: 15, body: null },
  league: { scope: "region", period: "", offset: 0, limit: 20, body: null },
  dead: { reason: "", offset: 0, limit: 20, body: null, record: null },
  campaign: { id: null, county: null, offset: 0, limit: 20, body: null },
  agreement: { state: "pending", offset: 0, limit: 20, body: null },
  keys: {},
};

function t(key, vars) {
  let text = LABELS[state.lang][key] ?? key;
  for (const [k, v] of Object.entries(vars || {})) text = text.replaceAll(`{${k}}`, String(v));
  return text;
}
// An obligation count's label (contracts/obligation_vocabulary.py, via the server).
const v = (name) => (state.vocabulary[name] || {})[state.lang] ?? name;
// A code's word (contracts/words/, via /api/words); the code itself if unknown.
function w(table, code) {
  const entry = state.words && state.words[table] && state.words[table][code];
  return entry ? entry[state.lang] : (code ?? "–");
}
function countyName(code) {
  if (!code) return "–";
  if (code === "region") return t("regionScope");
  const entry = state.names[code];
  return entry ? entry[state.lang] : code;
}
function mergeNames(names) { Object.assign(state.names, names || {}); }
const nf = () => new Intl.NumberFormat(state.lang === "zh" ? "zh-CN" : "en-US");
const num = (x) => (x === null || x === undefined ? "–" : nf().format(x));
// Times for people: Beijing time, with the zone shown.
const BEIJING = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric",
  month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const BEIJING_DATE = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });
function fmtTime(iso) { return iso ? `${BEIJING.format(new Date(iso))} ${t("zone")}` : "–"; }
function fmtDate(iso) { return iso ? BEIJING_DATE.format(new Date(iso)) : "–"; }
function fmtScore(x) { return x === null || x === undefined ? w("league", "not_assessed") : x.toFixed(2); }
function pct(x) { return x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`; }
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, val] of Object.entries(attrs)) {
    if (val === undefined || val === null) continue;
    if (k === "class") node.className = val;
    else if (k === "style") node.setAttribute("style", val);
    else if (k.startsWith("data-")) node.setAttribute(k, val);
    else node[k] = val;
  }
  for (const c of children) if (c !== null && c !== undefined && c !== "") node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// Each list shows the answer to its latest request only: an answer overtaken by a newer
// request (filters changed meanwhile) is dropped.
const latest = {};
async function fresh(list, path) {
  const mine = (latest[list] = (latest[list] || 0) + 1);
  const answer = await api(path);
  return mine === latest[list] ? answer : { status: 0, body: null };
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  let body = null;
  if (response.status !== 204) body = await response.json().catch(() => null);
  if (response.status === 401 && !path.startsWith("/api/login")) showLogin();
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
  for (const node of document.querySelectorAll("[data-count]")) node.textContent = v(node.dataset.count);
  for (const node of document.querySelectorAll("[data-word]")) {
    const [table, code] = node.dataset.word.split(".");
    if (state.words) node.textContent = w(table, code);
  }
  $("lang").textContent = state.lang === "zh" ? "EN" : "中文";
  renderWho(); updateBanner(); fillKinds();
  if (state.summary) render(state.summary, { force: true });
  if (state.flow.body) renderFlows(state.flow.body);
  if (state.work.body) renderWorklist(state.work.body);
  if (state.cover.body) renderCoverageCounties(state.cover.body);
  if (state.league.body) renderLeague(state.league.body);
  if (state.dead.body) renderDeadList(state.dead.body);
  if (state.dead.record) renderDeadRecord(state.dead.record);
  if (state.campaign.body) renderCampaignTasks(state.campaign.body);
  if (state.agreement.body) renderAgreements(state.agreement.body);
  if (state.openCase) renderCase(state.openCase);
  updateCsvLink();
}

function renderWho() {
  if (!state.me) { $("who").textContent = ""; return; }
  const m = state.me;
  $("who").textContent = m.role === "region" ? `${m.username} · ${t("regionOf")}`
    : `${m.username} · ${t("countyOf")} ${countyName(m.county)}`;
}

// --- charts: SVG, made when first drawn, resized with their box, never to nothing ---
// A full-page capture (and some window managers) shrink the window to 1 x 1 for a moment:
// a chart resized to a zero-width box makes ECharts compute a singular view transform and
// throw ("Cannot read properties of null (reading '0')"). So a chart follows its box only
// while the box has an area, and an option set while it has none waits for it.
const pending = {};
const observer = typeof ResizeObserver === "function" ? new ResizeObserver((entries) => {
  for (const entry of entries) {
    const id = entry.target.id;
    if (entry.contentRect.width < 1 || entry.contentRect.height < 1) continue;
    const c = state.charts[id];
    if (c && !c.isDisposed()) c.resize();
    if (pending[id]) { const option = pending[id]; delete pending[id]; setChart(id, option); }
  }
}) : null;
function chart(id) {
  if (!window.echarts) return null;
  const node = $(id);
  if (!state.charts[id] || state.charts[id].isDisposed()) {
    state.charts[id] = window.echarts.init(node, null, { renderer: "svg" });
    if (observer) observer.observe(node);
  }
  return state.charts[id];
}
// A chart is set again only when its option (or the language it is drawn in) changed:
// setting it rebuilds it, restarting animations and clearing any hover or tooltip.
function setChart(id, option) {
  const node = $(id);
  if (!node) return;
  if (node.offsetParent === null || node.clientWidth < 1 || node.clientHeight < 1) {
    pending[id] = option; delete state.chartKeys[id];
    if (observer) observer.observe(node);
    return;
  }
  const key = `${state.lang}|${JSON.stringify(option)}`;
  if (state.chartKeys[id] === key) return;
  const c = chart(id); if (!c) return;
  state.chartKeys[id] = key;
  c.setOption({ animation: false, textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif" }, ...option }, { notMerge: true });
}
const axisName = (name, gap) => ({ name, nameLocation: "middle", nameGap: gap, nameTextStyle: { color: "#5b6b7d" } });

// --- bars: HTML rows (label, bar, value), never overlapping, any number of them ---
function bars(list, rows) {
  list.replaceChildren();
  for (const r of rows) {
    const width = r.max > 0 ? Math.max(0, Math.min(100, (100 * r.value) / r.max)) : 0;
    const track = el("span", { class: "bar-track" }, el("span", { class: `bar-fill ${r.cls || ""}`, style: `width:${width.toFixed(1)}%` }));
    if (r.target !== undefined) track.append(el("span", { class: "bar-target", style: `left:${(100 * r.target).toFixed(1)}%` }));
    const li = el("li", { class: "bar-row", ...(r.attrs || {}) }, el("span", { class: "bar-label" }, r.label), track,
      el("span", { class: "bar-value" }, r.valueText));
    if (r.sub) li.append(el("span", { class: "bar-sub" }, r.sub));
    if (r.onOpen) { li.dataset.open = "1"; li.tabIndex = 0; li.addEventListener("click", r.onOpen); }
    list.append(li);
  }
}

function pager(id, offset, limit, total, go) {
  const box = $(id);
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.floor(offset / limit) + 1;
  box.hidden = total <= limit;
  box.querySelector("span").textContent = t("pageOf", { page, pages });
  const [prev, next] = box.querySelectorAll("button");
  prev.disabled = offset <= 0; next.disabled = offset + limit >= total;
  prev.onclick = () => go(Math.max(0, offset - limit));
  next.onclick = () => go(offset + limit);
}

// --- tiles ---
function renderTiles(s) {
  const o = s.obligations.counts;
  $("kpi-county-events").textContent = num(s.totals.county_events);
  $("kpi-county-events-note").textContent = t("countyEventsNote", { derived: num(s.totals.derived) });
  for (const name of ["open", "overdue", "breached", "escalated"]) $(`kpi-${name}`).textContent = num(o[name]);
  const cov = s.coverage;
  $("kpi-coverage").textContent = pct(cov.headline ? cov.headline.ratio : null);
  $("kpi-coverage-note").textContent = cov.period_label ? t("coverageMonth", { month: cov.period_label[state.lang], target: pct(cov.target) }) : "";
  $("kpi-dead").textContent = s.dead_letters ? num(s.dead_letters.total) : "–";
  $("kpi-lag").textContent = s.lag ? (s.lag.available ? num(s.lag.total) : t("lagUnavailable")) : "–";
  $("tile-lag").querySelector(".note").hidden = !s.lag;
  $("clock").textContent = s.clock ? `${t("clock")} ${fmtTime(s.clock)}` : "";
  $("archive-note").textContent = t("archiveNote", { archived: num(s.totals.events), county: num(s.totals.county_events),
    derived: num(s.totals.derived), registry: num(s.totals.registry) });
}

function renderObligationChart(o) {
  const keys = Object.keys(state.vocabulary);
  const colors = { open: "#2f6db5", due_soon: "#e0a030", overdue: "#b03a2e", breached: "#d9695a", fulfilled_on_time: "#2e7d4f",
    fulfilled_late: "#b7950b", escalated: "#8e44ad", cancelled: "#95a5a6" };
  setChart("chart-obligations", {
    tooltip: { trigger: "item" }, grid: { left: 8, right: 48, top: 8, bottom: 44, containLabel: true },
    yAxis: { type: "category", inverse: true, data: keys.map(v), axisLabel: { fontSize: 12 }, axisTick: { show: false } },
    xAxis: { type: "value", minInterval: 1, axisLabel: { hideOverlap: true }, ...axisName(t("countAxis"), 26) },
    series: [{ type: "bar", barMaxWidth: 18, data: keys.map((k) => ({ value: o.counts[k] || 0, itemStyle: { color: colors[k] } })),
      label: { show: true, position: "right", fontSize: 12 } }],
  });
}

// --- flows ---
async function loadFlows() {
  const f = state.flow;
  const q = new URLSearchParams();
  if (f.level) q.set("level", f.level);
  if (f.origin) q.set("origin", f.origin);
  if (f.destination) q.set("destination", f.destination);
  const { status, body } = await fresh("flows", `/api/flows?${q}`);
  if (status !== 200) return;
  mergeNames(body.names); f.level = body.level; f.body = body; renderFlows(body);
}

function renderFlows(body) {
  const f = state.flow;
  $("flow-level").value = body.level;
  $("flow-back").hidden = f.stack.length === 0;
  const levelWord = t({ province: "levelProvince", prefecture: "levelPrefecture", county: "levelCounty" }[body.level]);
  const within = [body.origin, body.destination].some(Boolean)
    ? `${body.origin ? countyName(body.origin) : "…"} → ${body.destination ? countyName(body.destination) : "…"}`
    : t("flowsAll");
  $("flow-path").textContent = `${within} · ${t("level")}${state.lang === "zh" ? "" : " "}${levelWord}`;
  const max = body.pairs.length ? body.pairs[0].persons : 0;
  const rows = body.pairs.map((p) => ({
    label: `${countyName(p.origin)} → ${countyName(p.destination)}`, value: p.persons, max,
    valueText: `${num(p.persons)} ${t("persons")}`, attrs: { "data-origin": p.origin, "data-destination": p.destination },
    onOpen: body.finer ? () => { f.stack.push({ level: body.level, origin: body.origin, destination: body.destination });
      f.level = body.finer; f.origin = p.origin; f.destination = p.destination; loadFlows(); } : null,
  }));
  if (body.others.pairs > 0) {
    rows.push({ label: t("flowOthers", { pairs: num(body.others.pairs) }), value: 0, max,
      valueText: `${num(body.others.persons)} ${t("persons")}`, cls: "others", sub: t("flowOthersNote"), attrs: { "data-others": "1" } });
  }
  bars($("flow-bars"), rows);
  if (!rows.length) $("flow-bars").append(el("li", { class: "empty" }, t("noFlows")));
  $("flow-cap").textContent = (body.others.pairs > 0
    ? t("flowCap", { top: body.top, pairs: num(body.total_pairs), persons: num(body.persons) })
    : t("flowCapAll", { pairs: num(body.total_pairs), persons: num(body.persons) }))
    + (body.finer ? ` ${t("flowOpen")}` : "");
}

// --- coverage ---
function renderCoverage(cov) {
  const ratio = cov.headline && cov.headline.ratio !== null ? cov.headline.ratio : null;
  const month = cov.period_label ? cov.period_label[state.lang] : "";
  setChart("chart-coverage", {
    series: [{
      type: "gauge", center: ["50%", "52%"], radius: "86%", min: 0, max: 100, splitNumber: 5, startAngle: 200, endAngle: -20,
      axisLine: { lineStyle: { width: 12, color: [[cov.target, "#d9695a"], [1, "#3ba272"]] } },
      pointer: { width: 4, length: "52%" }, axisTick: { show: false }, splitLine: { length: 8, distance: 0 },
      axisLabel: { distance: 16, fontSize: 10, formatter: "{value}%" },
      title: { offsetCenter: [0, "78%"], fontSize: 12, color: "#5b6b7d" },
      detail: { formatter: () => (ratio === null ? "–" : `${(ratio * 100).toFixed(1)}%`), fontSize: 20, offsetCenter: [0, "44%"] },
      data: [{ value: ratio === null ? 0 : ratio * 100, name: `${countyName(cov.scope)} ${month} · ${t("target")} ${Math.round(cov.target * 100)}%` }],
    }],
  });
  const history = cov.history || [];
  setChart("chart-coverage-history", {
    tooltip: { trigger: "axis", valueFormatter: (x) => (x === null ? "–" : `${x}%`) },
    grid: { left: 56, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: history.map((h) => (h.label ? h.label[state.lang] : h.period)), axisLabel: { hideOverlap: true }, ...axisName(t("monthAxis"), 30) },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, ...axisName(t("coverageAxis"), 42) },
    series: [{ type: "line", data: history.map((h) => (h.ratio === null ? null : +(h.ratio * 100).toFixed(1))), connectNulls: false,
      markLine: { symbol: "none", silent: true, data: [{ yAxis: cov.target * 100 }], lineStyle: { type: "dashed", color: "#333" }, label: { show: false } } }],
  });
}

async function loadCoverage() {
  const c = state.cover;
  const q = new URLSearchParams({ which: c.which, sort: c.sort, offset: c.offset, limit: c.limit });
  const { status, body } = await fresh("coverage", `/api/coverage?${q}`);
  if (status !== 200) return;
  mergeNames(body.names); c.body = body; renderCoverageCounties(body);
}

function renderCoverageCounties(body) {
  const page = body.page;
  $("coverage-which").hidden = !(state.me && state.me.role === "region");
  const rows = page.items.map((r) => ({
    label: countyName(r.scope), value: r.ratio === null ? 0 : r.ratio, max: 1, target: body.target,
    cls: r.ratio === null ? "" : r.ratio >= body.target ? "ok" : "low", valueText: pct(r.ratio),
    sub: `${t("flowsCovered", { covered: num(r.covered), flows: num(r.flows) })}${r.outflows !== null && r.outflows !== undefined
      ? ` · ${t("outIn", { out: pct(r.outflow_ratio), in: pct(r.inflow_ratio) })}` : ""}`,
    attrs: { "data-county": r.scope },
  }));
  bars($("coverage-bars"), rows);
  const from = page.total ? page.offset + 1 : 0;
  $("coverage-cap").textContent = t("coverageCap", { from, to: page.offset + page.items.length,
    total: num(page.total), target: pct(body.target), below: num(page.below_target) });
  pager("coverage-pager", page.offset, page.limit, page.total, (o) => { state.cover.offset = o; loadCoverage(); });
}

// --- league ---
function renderLeague(sc) {
  state.league.body = sc;
  const select = $("league-period");
  select.replaceChildren(...sc.available.map((p) => el("option", { value: p.period }, p.label[state.lang])));
  select.value = sc.period || "";
  const body = $("league").querySelector("tbody"); body.replaceChildren();
  $("league-empty").hidden = sc.total > 0;
  $("league-empty").textContent = t(sc.available.length ? "noScorecardsHere" : "noScorecards");
  $("league-unranked").hidden = sc.total === 0 || sc.ranked;
  for (const r of sc.table) {
    body.append(el("tr", { "data-county": r.county }, el("td", { class: "num" }, r.rank ?? "–"), el("td", {}, countyName(r.county)),
      el("td", { class: "num" }, fmtScore(r.origin_score)), el("td", { class: "num" }, fmtScore(r.destination_score)),
      el("td", { class: "num" }, fmtScore(r.combined_score))));
  }
  if (sc.table.length) {
    const a = sc.average;
    body.append(el("tr", { class: "average" }, el("td", {}, ""), el("td", {}, w("league", "region_average")),
      el("td", { class: "num" }, fmtScore(a.origin)), el("td", { class: "num" }, fmtScore(a.destination)), el("td", { class: "num" }, fmtScore(a.combined))));
  }
  $("league-caption").textContent = sc.period_label && sc.total ? t("leagueCaption", { period: sc.period_label[state.lang], ranked: sc.ranked_count,
    total: sc.total, lines: Math.min(sc.trend_lines, sc.table.length) }) : "";
  pager("league-pager", sc.offset, state.league.limit, sc.total, (o) => { state.league.offset = o; loadLeague(); });
  const lines = sc.table.filter((r) => r.rank !== null).slice(0, sc.trend_lines);
  const labels = sc.period_labels.map((l) => l[state.lang]);
  const series = [
    ...lines.map((r, i) => ({ name: countyName(r.county), color: PALETTE[i % PALETTE.length], data: r.trend, dashed: false })),
    { name: w("league", "region_average"), color: "#333", data: sc.average_trend, dashed: true },
  ];
  // The legend is HTML under the chart: it wraps on a phone instead of scrolling out of view.
  $("trend-legend").replaceChildren(...series.map((x) => el("li", {}, el("span", { class: `swatch${x.dashed ? " dashed" : ""}`,
    style: `border-color:${x.color}` }), x.name)));
  setChart("chart-trend", {
    tooltip: { trigger: "axis", valueFormatter: (x) => (x === null || x === undefined ? w("league", "not_assessed") : x.toFixed(1)) },
    grid: { left: 52, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true }, ...axisName(t("periodAxis"), 30) },
    yAxis: { type: "value", min: 0, max: 100, ...axisName(t("scoreAxis"), 38) },
    series: series.map((x) => ({ name: x.name, type: "line", data: x.data, connectNulls: false,
      itemStyle: { color: x.color }, lineStyle: { color: x.color, type: x.dashed ? "dashed" : "solid", width: 2 } })),
  });
}
const PALETTE = ["#2f6db5", "#3ba272", "#e0a030", "#b03a2e", "#8e44ad"];

async function loadLeague() {
  const l = state.league;
  const q = new URLSearchParams({ scope: l.scope, offset: l.offset, limit: l.limit });
  if (l.period) q.set("period", l.period);
  const { status, body } = await fresh("league", `/api/scorecards?${q}`);
  if (status !== 200) return;
  mergeNames(body.names); renderLeague(body);
}
const leagueIsDefault = () => state.league.scope === "region" && !state.league.period && state.league.offset === 0;

// --- campaigns ---
function renderCampaigns(list) {
  const box = $("campaign-list"); box.replaceChildren();
  $("campaign-empty").hidden = list.length > 0;
  for (const c of list) {
    const done = c.assigned ? (100 * c.answered) / c.assigned : 0;
    const late = c.assigned ? (100 * c.overdue) / c.assigned : 0;
    const button = el("button", { type: "button" }, t("showTasks"));
    button.addEventListener("click", () => { state.campaign.id = c.campaign_id; state.campaign.county = null; state.campaign.offset = 0; loadCampaignTasks(); });
    box.append(el("div", { class: "card", "data-campaign": c.campaign_id },
      el("h3", {}, c.campaign_id, el("span", { class: `badge status-${c.status}`, "data-status": c.status }, w("campaign_states", c.status))),
      el("div", { class: "small" }, `${t("period")} ${fmtDate(c.period_start)} – ${fmtDate(c.period_end)}`),
      el("div", { class: `small ${c.status === "overdue_open" ? "status-overdue_open" : ""}` }, `${t("deadline")} ${fmtTime(c.deadline)}`),
      el("div", { class: "progress", title: `${c.answered}/${c.assigned}` }, el("span", { class: "done", style: `width:${done.toFixed(1)}%` }),
        el("span", { class: "late", style: `width:${late.toFixed(1)}%` })),
      el("div", { class: "small" }, `${t("tasksAssigned")} ${num(c.assigned)} · ${t("tasksAnswered")} ${num(c.answered)} · `,
        el("span", { class: "campaign-overdue" }, `${t("tasksOverdue")} ${num(c.overdue)}`)),
      button));
  }
}

async function loadCampaignTasks() {
  const c = state.campaign;
  const q = new URLSearchParams({ offset: c.offset, limit: c.limit });
  if (c.county) q.set("county", c.county);
  const { status, body } = await fresh("campaign", `/api/campaigns/${encodeURIComponent(c.id)}/tasks?${q}`);
  if (status !== 200) return;
  mergeNames(body.names); c.body = body; renderCampaignTasks(body);
  $("campaign-detail").hidden = false;
}

function renderCampaignTasks(body) {
  const c = state.campaign;
  const camp = body.campaign;
  $("campaign-detail-title").textContent = `${camp.campaign_id} · ${w("campaign_states", camp.status)} · ${t("deadline")} ${fmtTime(camp.deadline)}`;
  const counties = $("campaign-counties").querySelector("tbody"); counties.replaceChildren();
  const all = el("tr", { "data-open": "1", class: c.county ? "" : "selected" }, el("td", {}, t("allCounties")),
    el("td", { class: "num" }, num(camp.assigned)), el("td", { class: "num" }, num(camp.answered)),
    el("td", { class: "num" }, num(camp.unanswered)), el("td", { class: "num" }, num(camp.overdue)));
  all.addEventListener("click", () => { c.county = null; c.offset = 0; loadCampaignTasks(); });
  counties.append(all);
  for (const r of body.counties) {
    const row = el("tr", { "data-open": "1", "data-county": r.county, class: c.county === r.county ? "selected" : "" },
      el("td", {}, countyName(r.county)), el("td", { class: "num" }, num(r.assigned)), el("td", { class: "num" }, num(r.answered)),
      el("td", { class: "num" }, num(r.unanswered)), el("td", { class: "num" }, num(r.overdue)));
    row.addEventListener("click", () => { c.county = r.county; c.offset = 0; loadCampaignTasks(); });
    counties.append(row);
  }
  $("campaign-tasks-title").textContent = t("unansweredOf", { county: c.county ? countyName(c.county) : t("allCounties") });
  const tasks = $("campaign-tasks").querySelector("tbody"); tasks.replaceChildren();
  for (const r of body.items) {
    const row = el("tr", { "data-person": r.person_key, "data-task": r.task_id }, el("td", {}, fmtTime(r.due_at)),
      el("td", {}, countyName(r.assignee)), el("td", {}, w("checks", r.check)),
      el("td", { class: `num ${r.overdue ? "state-overdue" : ""}` }, r.days_overdue ?? "–"),
      el("td", {}, el("code", { class: "key" }, r.person_key)));
    row.addEventListener("click", () => openCase(r.person_key));
    tasks.append(row);
  }
  $("campaign-tasks-empty").hidden = body.items.length > 0;
  pager("campaign-pager", body.offset, body.limit, body.total, (o) => { c.offset = o; loadCampaignTasks(); });
}

// --- agreements: where each stands, and what a pending one waits for ---
async function loadAgreements() {
  const a = state.agreement;
  const q = new URLSearchParams({ state: a.state, offset: a.offset, limit: a.limit });
  const { status, body } = await fresh("agreements", `/api/agreements?${q}`);
  if (status !== 200) return;
  mergeNames(body.names); a.body = body; renderAgreements(body);
}

const party = (code) => (code === "region" ? t("region") : countyName(code));
const and = (codes) => codes.map(party).join(state.lang === "zh" ? "、" : " and ");
function agreementReason(r) {
  if (r.state === "pending") {
    if (r.differing.length) return t("differing", { signed: and(r.signed_by), fields: r.differing.map((f) => w("agreement_fields", f)).join(state.lang === "zh" ? "、" : ", ") });
    return t("awaiting", { signed: and(r.signed_by), awaiting: and(r.awaiting) });
  }
  if (r.state === "ended" || r.state === "revoked") return w("agreement_states", r.state);
  return t({ in_force: "inForce", not_yet: "notYet" }[r.state] || r.state);
}

function renderAgreements(body) {
  const chips = $("agreement-states"); chips.replaceChildren();
  for (const [name, n] of Object.entries(body.counts)) {
    const b = el("button", { type: "button", class: state.agreement.state === name ? "active" : "", "data-state": name },
      `${w("agreement_states", name)} ${num(n)}`);
    b.addEventListener("click", () => { state.agreement.state = name; state.agreement.offset = 0; loadAgreements(); });
    chips.append(el("li", {}, b));
  }
  const tbody = $("agreement-table").querySelector("tbody"); tbody.replaceChildren();
  for (const r of body.items) {
    tbody.append(el("tr", { "data-agreement": r.agreement_id }, el("td", {}, `${countyName(r.origin)} → ${countyName(r.destination)}`),
      el("td", { class: r.state === "pending" ? "state-overdue" : "" }, w("agreement_states", r.state)),
      el("td", { title: r.reason }, agreementReason(r))));
  }
  $("agreement-empty").hidden = body.items.length > 0;
  $("agreement-empty").textContent = t("noAgreements", { state: w("agreement_states", body.state || "") });
  pager("agreement-pager", body.offset, body.limit, body.total, (o) => { state.agreement.offset = o; loadAgreements(); });
}

// --- dead letters ---
function renderDeadReasons(dead) {
  const chips = $("dead-reasons"); chips.replaceChildren();
  const all = el("button", { type: "button", class: state.dead.reason ? "" : "active" }, `${t("allReasons")} ${num(dead.total)}`);
  all.addEventListener("click", () => { state.dead.reason = ""; state.dead.offset = 0; loadDead(); });
  chips.append(el("li", {}, all));
  for (const r of dead.by_reason) {
    const b = el("button", { type: "button", class: state.dead.reason === r.reason_code ? "active" : "", "data-reason": r.reason_code },
      `${w("reasons", r.reason_code)} · ${w("detected_by", r.detected_by)} ${num(r.n)}`);
    b.addEventListener("click", () => { state.dead.reason = r.reason_code; state.dead.offset = 0; loadDead(); });
    chips.append(el("li", {}, b));
  }
}

async function loadDead() {
  const d = state.dead;
  const q = new URLSearchParams({ offset: d.offset, limit: d.limit });
  if (d.reason) q.set("reason", d.reason);
  const { status, body } = await fresh("dead", `/api/dead-letters?${q}`);
  if (status !== 200) return;
  mergeNames(body.names); d.body = body; renderDeadList(body);
}

const sourceAt = (r) => t("sourceAt", { topic: r.source_topic, partition: r.source_partition, offset: r.source_offset });
function renderDeadList(body) {
  renderDeadReasons(body);
  const tbody = $("dead-table").querySelector("tbody"); tbody.replaceChildren();
  for (const r of body.page.items) {
    const row = el("tr", { "data-open": "1", "data-dead": r.event_id }, el("td", {}, fmtTime(r.occurred_at)),
      el("td", {}, w("reasons", r.reason_code)), el("td", {}, r.claimed.county ? countyName(r.claimed.county) : "–"),
      el("td", {}, sourceAt(r)), el("td", {}, w("detected_by", r.detected_by)));
    row.addEventListener("click", () => openDead(r.event_id));
    tbody.append(row);
  }
  $("dead-empty").hidden = body.page.items.length > 0;
  pager("dead-pager", body.page.offset, body.page.limit, body.page.total, (o) => { state.dead.offset = o; loadDead(); });
}

async function openDead(id) {
  const { status, body } = await api(`/api/dead-letters/${id}`);
  if (status !== 200) return;
  state.dead.record = body; renderDeadRecord(body);
  $("dead-detail").hidden = false;
  $("dead-detail").scrollIntoView({ behavior: "instant", block: "nearest" });
}

function renderDeadRecord(r) {
  $("dead-detail-id").textContent = r.event_id;
  const facts = $("dead-facts"); facts.replaceChildren();
  const fact = (k, val) => facts.append(el("dt", {}, k), el("dd", {}, val));
  fact(t("reason"), `${w("reasons", r.reason_code)} (${r.reason_code})`);
  fact(t("detail"), r.reason);
  fact(t("receivedAt"), fmtTime(r.occurred_at));
  fact(t("source"), sourceAt(r));
  fact(t("detectedBy"), w("detected_by", r.detected_by));
  fact(t("claimedCounty"), r.claimed.county ? `${countyName(r.claimed.county)} (${r.claimed.county})` : "–");
  fact(t("keptBytes"), num(r.kept_length));
  fact(t("keptSha"), r.kept_sha256);
  if (r.raw_length !== undefined && r.raw_length !== null) fact(t("receivedBytes"), num(r.raw_length));
  if (r.raw_sha256) fact(t("receivedSha"), r.raw_sha256);
  if (r.ids_masked) fact(t("idsMasked"), num(r.ids_masked));
  const cut = r.raw_length !== undefined && r.raw_length !== null && r.raw_length > r.kept_length;
  $("dead-raw").textContent = r.text + (cut ? `\n${t("cutNote", { kept: num(r.kept_length) })}` : "");
  $("dead-hex").textContent = r.hex + (r.hex_cut ? " …" : "");
}

function renderDead(dead) {
  const region = dead !== null;
  $("dead-region-only").hidden = region;
  $("dead-body").hidden = !region;
  if (!region) return;
  const key = JSON.stringify(dead);
  if (state.keys.dead !== key) { state.keys.dead = key; loadDead(); }
}

function renderThroughput(s) {
  const live = s.throughput;
  $("throughput-region-only").hidden = live !== null && live !== undefined;
  $("chart-throughput").hidden = !live;
  if (!live) { $("lag-detail").textContent = ""; return; }
  const series = live.series || [];
  setChart("chart-throughput", {
    tooltip: { trigger: "axis" }, grid: { left: 56, right: 16, top: 12, bottom: 48 },
    xAxis: { type: "value", min: -10 * Math.max(1, Math.ceil(series.length / 10)), max: 0, axisLabel: { hideOverlap: true, margin: 12 }, ...axisName(t("secondsAxis"), 30) },
    yAxis: { type: "value", minInterval: 1, ...axisName(t("perSecondAxis"), 42) },
    series: [{ type: "line", showSymbol: false, areaStyle: { opacity: 0.15 }, data: series.map((y, i) => [i - series.length + 1, y]) }],
  });
  const lag = s.lag;
  $("lag-detail").textContent = lag && lag.available
    ? `${t("lagDetail")} ${Object.entries(lag.by_topic || {}).map(([k, n]) => `${w("topics", k.slice(k.indexOf(".") + 1))} ${num(n)}`).join(" · ")}` : "";
}

function render(s, { force = false } = {}) {
  state.summary = s;
  mergeNames(s.names);
  state.vocabulary = s.vocabulary || state.vocabulary;
  for (const node of document.querySelectorAll("[data-count]")) node.textContent = v(node.dataset.count);
  for (const node of document.querySelectorAll("[data-word]")) {
    const [table, code] = node.dataset.word.split(".");
    if (state.words) node.textContent = w(table, code);
  }
  fillStates(s.obligations.counts);
  renderTiles(s);
  renderObligationChart(s.obligations);
  renderCoverage(s.coverage);
  renderCampaigns(s.campaigns);
  renderDead(s.dead_letters);
  renderThroughput(s);
  if (leagueIsDefault()) renderLeague(s.scorecards);
  // Lists read pages of their own: read them again when the figures behind them change.
  const figures = JSON.stringify([s.obligations.counts, s.coverage.headline, s.totals.county_events, s.campaigns]);
  if (force) return;
  if (state.keys.figures !== figures) {
    state.keys.figures = figures;
    loadFlows(); loadWorklist(); loadCoverage(); loadAgreements();
    if (!leagueIsDefault()) loadLeague();
    if (state.campaign.id) loadCampaignTasks();
  }
}

// --- worklist and the case drill-down ---
function fillStates(counts) {
  const select = $("obligation-state");
  const current = select.value || "open";
  select.replaceChildren(...Object.keys(state.vocabulary).map((name) => el("option", { value: name }, `${v(name)} (${num(counts[name])})`)));
  select.value = current;
}
function fillKinds() {
  const select = $("obligation-kind");
  const current = select.value;
  const kinds = state.words ? Object.keys(state.words.obligation_kinds) : [];
  select.replaceChildren(el("option", { value: "" }, t("allKinds")), ...kinds.map((k) => el("option", { value: k }, w("obligation_kinds", k))));
  select.value = current;
}
function worklistQuery() {
  const q = new URLSearchParams({ state: $("obligation-state").value || "open" });
  const county = $("obligation-county").value.trim();
  if (/^[0-9]{6}$/.test(county)) q.set("county", county);
  if ($("obligation-kind").value) q.set("kind", $("obligation-kind").value);
  const days = $("obligation-days").value.trim();
  if (/^[0-9]+$/.test(days)) q.set("min_days_overdue", days);
  return q;
}
function updateCsvLink() { const q = worklistQuery(); q.set("lang", state.lang); $("obligation-csv").href = `/api/obligations.csv?${q}`; }

async function loadWorklist() {
  const q = worklistQuery();
  q.set("limit", state.work.limit); q.set("offset", state.work.offset);
  updateCsvLink();
  const { status, body } = await fresh("work", `/api/obligations?${q}`);
  if (status !== 200) return;
  state.work.body = body; renderWorklist(body);
}

function renderWorklist(body) {
  mergeNames(body.names);
  const counties = $("county-list");
  counties.replaceChildren(...Object.keys(state.names).filter((c) => /^[0-9]{4}(?!00)[0-9]{2}$/.test(c))
    .map((c) => el("option", { value: c }, countyName(c))));
  const tbody = $("obligation-table").querySelector("tbody"); tbody.replaceChildren();
  for (const r of body.items) {
    const flags = [r.escalated ? v("escalated") : null].filter(Boolean).join(" ");
    const row = el("tr", { "data-person": r.person_key, "data-obligation": r.obligation_id },
      el("td", {}, fmtTime(r.due_at)), el("td", {}, w("obligation_kinds", r.kind)),
      el("td", {}, countyName(r.responsible_county)), el("td", {}, countyName(r.counterpart_county)),
      el("td", { class: `state-${r.status}` }, v(r.status), flags ? el("span", { class: "badge" }, flags) : null),
      el("td", { class: "num" }, r.days_overdue ?? "–"),
      el("td", {}, el("code", { class: "key" }, r.person_key)));
    row.addEventListener("click", () => openCase(r.person_key));
    tbody.append(row);
  }
  $("obligation-empty").hidden = body.items.length > 0;
  $("obligation-total").textContent = body.total
    ? t("totalOf", { total: num(body.total), from: body.offset + 1, to: body.offset + body.items.length }) : t("totalNone");
  pager("obligation-pager", body.offset, body.limit, body.total, (o) => { state.work.offset = o; loadWorklist(); });
}

async function openCase(personKey) {
  $("case").hidden = false; $("case-key").textContent = personKey;
  const { status, body } = await api(`/api/cases/${personKey}`);
  if (status === 401) return;
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
  return `${t("causedBy")}: ${w("event_types", cause.event_type)} @ ${fmtTime(cause.occurred_at)}${cause.source_county ? ` (${countyName(cause.source_county)})` : ""}`;
}

function renderCase(body) {
  mergeNames(body.names);
  $("case-error").hidden = true; $("case-body").hidden = false;
  const events = $("case-events"); events.replaceChildren();
  for (const e of body.events) {
    const counties = ["origin_county", "destination_county", "from_county", "to_county", "home_county", "by_county"]
      .filter((k) => e.payload[k]).map((k) => countyName(e.payload[k])).join(" → ");
    events.append(el("li", { "data-event-type": e.event_type },
      `${fmtTime(e.occurred_at)} `, el("strong", {}, w("event_types", e.event_type)),
      el("span", { class: e.derived ? "badge derived" : "badge" }, e.derived ? t("derived") : countyName(e.source_county)),
      counties ? ` ${counties}` : "", e.cause ? el("div", { class: "cause" }, describeCause(e.cause)) : ""));
  }
  const obligations = $("case-obligations"); obligations.replaceChildren();
  for (const o of body.obligations) {
    const history = el("ul", {});
    for (const h of o.history) history.append(el("li", {}, `${fmtTime(h.occurred_at)} ${w("event_types", h.event_type)} `, el("span", { class: "cause" }, describeCause(h.cause))));
    obligations.append(el("li", { "data-kind": o.kind }, el("strong", {}, w("obligation_kinds", o.kind)), ` — ${countyName(o.responsible_county)}`,
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
      const r = await fetch("/api/session", { credentials: "same-origin" }).then((x) => x.json()).catch(() => null);
      if (r && !r.signed_in) showLogin(); else if (state.source === source) connect();
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
  const words = await api("/api/words");
  if (words.status === 200) { state.words = words.body; state.vocabulary = words.body.counts; }
  fillKinds();
  applyLanguage();
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
for (const id of ["obligation-state", "obligation-kind", "obligation-county", "obligation-days"]) {
  $(id).addEventListener("change", () => { state.work.offset = 0; loadWorklist(); });
}
$("worklist-filters").addEventListener("submit", (e) => { e.preventDefault(); state.work.offset = 0; loadWorklist(); });
for (const tile of document.querySelectorAll(".kpi[data-state]")) {
  tile.addEventListener("click", () => {
    $("obligation-state").value = tile.dataset.state; state.work.offset = 0; loadWorklist();
    $("worklist-panel").scrollIntoView({ behavior: "instant", block: "start" });
  });
}
$("tile-coverage").addEventListener("click", () => $("coverage-panel").scrollIntoView({ behavior: "instant", block: "start" }));
$("tile-dead").addEventListener("click", () => $("dead-panel").scrollIntoView({ behavior: "instant", block: "start" }));
$("tile-lag").addEventListener("click", () => $("throughput-panel").scrollIntoView({ behavior: "instant", block: "start" }));
$("tile-county-events").addEventListener("click", () => $("flows-panel").scrollIntoView({ behavior: "instant", block: "start" }));
$("flow-level").addEventListener("change", () => {
  Object.assign(state.flow, { level: $("flow-level").value, origin: null, destination: null, stack: [] }); loadFlows();
});
$("flow-back").addEventListener("click", () => { const up = state.flow.stack.pop(); if (up) { Object.assign(state.flow, up); loadFlows(); } });
$("coverage-which").addEventListener("change", () => { state.cover.which = $("coverage-which").value; state.cover.offset = 0; loadCoverage(); });
$("coverage-sort").addEventListener("change", () => { state.cover.sort = $("coverage-sort").value; state.cover.offset = 0; loadCoverage(); });
$("league-scope").addEventListener("change", () => { state.league.scope = $("league-scope").value; state.league.offset = 0; refreshLeague(); });
$("league-period").addEventListener("change", () => { state.league.period = $("league-period").value; state.league.offset = 0; refreshLeague(); });
function refreshLeague() { if (leagueIsDefault() && state.summary) renderLeague(state.summary.scorecards); else loadLeague(); }
$("case-close").addEventListener("click", () => { $("case").hidden = true; state.openCase = null; });
$("campaign-close").addEventListener("click", () => { $("campaign-detail").hidden = true; state.campaign.id = null; state.campaign.body = null; });
$("dead-close").addEventListener("click", () => { $("dead-detail").hidden = true; state.dead.record = null; });

// First load: signed in, or not, or the server or its database is down: say so, retry.
async function boot() {
  const r = await fetch("/api/session", { credentials: "same-origin" })
    .then(async (x) => ({ status: x.status, body: await x.json().catch(() => null) })).catch(() => ({ status: 0, body: null }));
  if (r.status === 200 && r.body.signed_in) { state.dbDown = false; state.disconnected = false; updateBanner(); return start(r.body); }
  if (r.status === 200) return showLogin();
  if (r.status === 503) { state.dbDown = true; state.dbError = r.body && r.body.message; } else state.disconnected = true;
  updateBanner(); setTimeout(boot, 3000);
}
applyLanguage();
boot();
