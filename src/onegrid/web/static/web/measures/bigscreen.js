/* The big screen (大屏): figures, charts, map and alerts, refreshed in place every
   `pollSeconds` from /bigscreen/data.json — no reload. Each refresh sets texts, hands the same
   chart instances a new option (lib/charts.js: mount) and restyles the same grid layers, so a
   screen left on for weeks does not grow. Polls never overlap (each is scheduled when the last
   has ended). Every text is set as text (lib/dom.js); the grid names as tooltips through
   bindText. */

import { el, fill, fmt, readJson } from "../lib/dom.js";
import { localeFor, mount, percentText, trendOption } from "../lib/charts.js";
import { bindText, createMap, fitTo } from "../lib/leaflet-map.js";
import { alertLines, colourFor, countText, gridCounts, legendItems, verdict } from "./shape.js";

const config = readJson("bigscreen-config");
const T = readJson("bigscreen-strings");
const locale = localeFor(document.documentElement.lang);
const body = document.body;
const statusEl = document.getElementById("bs-status");

let grids = {}; // grid code → {open, overdue}, from the last poll
const layers = new Map(); // grid code → Leaflet layer
let polls = 0;

function setStatus(text, problem) {
  statusEl.textContent = text;
  statusEl.classList.toggle("problem", Boolean(problem));
}

// --- figures --------------------------------------------------------------------------------

function figureList(node, items, format) {
  // The same items in the same order: only texts change; otherwise the list is rebuilt.
  const keys = items.map((i) => i.key).join(" ");
  if (node.dataset.keys !== keys) {
    fill(
      node,
      items.map((item) =>
        el("div", { className: "bs-figure", dataset: { key: item.key } }, [
          el("dt", { text: item.label }),
          el("dd", { className: "bs-value" }),
          el("dd", { className: "bs-detail" }),
        ]),
      ),
    );
    node.dataset.keys = keys;
  }
  items.forEach((item, i) => {
    const row = node.children[i];
    const [value, detail] = format(item);
    row.querySelector(".bs-value").textContent = value;
    row.querySelector(".bs-detail").textContent = detail;
    const judged = verdict(item.change, item.lower_is_better);
    row.className = judged ? `bs-figure ${judged}` : "bs-figure";
  });
}

function drawFigures(data) {
  figureList(document.getElementById("bs-today-figures"), data.today.counts, (c) => [countText(c.value), ""]);
  figureList(document.getElementById("bs-month-counts"), data.month.counts, (c) => [countText(c.value), ""]);
  figureList(document.getElementById("bs-month-rates"), data.month.rates, (r) => [
    percentText(r.value),
    `${countText(r.numerator)} / ${countText(r.denominator)}`,
  ]);
  document.getElementById("bs-open").textContent = countText(data.live.open);
  document.getElementById("bs-overdue").textContent = countText(data.live.overdue);
  document.getElementById("bs-month-label").textContent = data.month.label;
  document.getElementById("bs-today-label").textContent = data.today.label;
}

// --- charts ---------------------------------------------------------------------------------

function drawCharts(data) {
  // The screen draws the rates the dashboard shows first, and the counts: a legend to read
  // from across the room, not to click.
  const trend = { ...data.trend, rates: data.trend.rates.filter((r) => r.shown) };
  mount(document.getElementById("bs-trend-chart"), trendOption(trend, T, { theme: "dark", compact: true }), {
    locale,
    theme: "dark",
  });
}

// A row is coloured as the server marked it (ties share a mark; a short table marks none).
const MARK_CLASS = { top: "red", bottom: "black" };

function leagueItem(row) {
  const mark = MARK_CLASS[row.mark] || "";
  return el("li", { className: `bs-league-row ${mark}`.trim(), dataset: { code: row.code } }, [
    el("span", { className: "bs-rank", text: String(row.rank) }),
    el("span", { className: "bs-name", text: row.name }),
    el("span", { className: "bs-score", text: percentText(row.value) }),
  ]);
}

function drawLeague(league) {
  const section = document.getElementById("bs-league");
  if (!league) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  document.getElementById("bs-league-title").textContent = `${league.title} · ${league.label}`;
  const none = () => [el("li", { className: "bs-empty", text: T.nothingRanked })];
  const top = league.top.map(leagueItem);
  const bottom = league.bottom.map(leagueItem);
  fill(document.getElementById("bs-league-top"), top.length ? top : none());
  fill(document.getElementById("bs-league-bottom"), bottom.length ? bottom : none());
}

// --- map ------------------------------------------------------------------------------------

const mapEl = document.getElementById("bs-map");
let map = null;

function gridStyle(code) {
  const open = gridCounts(grids, code).open;
  return { color: "#5a6f8f", weight: 0.6, opacity: 1, fillColor: colourFor(open), fillOpacity: 0.85 };
}

function recolour() {
  for (const [code, layer] of layers) {
    const fill = colourFor(gridCounts(grids, code).open);
    if (layer.options.fillColor !== fill) layer.setStyle({ fillColor: fill });
  }
}

function drawLegend() {
  const legend = document.getElementById("bs-legend");
  fill(
    legend,
    legendItems(undefined, T.noCases).map((item) =>
      el("li", {}, [el("span", { className: "swatch", style: { background: item.colour } }), item.label]),
    ),
  );
}

async function loadGrids() {
  if (!config.gridsUrl || typeof L === "undefined") {
    mapEl.closest("section").hidden = true;
    return;
  }
  map = createMap(mapEl, config, { canvas: { padding: 0.5 }, zoomControl: false, attribution: "tiles", zoomSnap: 0.25 });
  const response = await fetch(config.gridsUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`grids ${response.status}`);
  const collection = await response.json();
  const renderer = map.options.renderer;
  const layer = L.geoJSON(collection, {
    renderer,
    style: (feature) => gridStyle(feature.properties.code),
    onEachFeature: (feature, item) => {
      layers.set(feature.properties.code, item);
      bindText(item, "tooltip", () => {
        const c = gridCounts(grids, feature.properties.code);
        return el("span", {}, [
          el("strong", { text: feature.properties.name || feature.properties.code }),
          el("br"),
          `${T.openCount} ${c.open} · ${T.overdueCount} ${c.overdue}`,
        ]);
      }, { sticky: true });
    },
  }).addTo(map);
  fitTo(map, layer.getBounds(), { padding: [6, 6] });
  mapEl.dataset.state = "ready";
  mapEl.dataset.gridCount = String(layers.size);
  drawLegend();
}

// --- alerts ---------------------------------------------------------------------------------

async function pollAlerts() {
  const section = document.getElementById("bs-alerts");
  if (!config.alertsUrl) {
    section.hidden = true;
    return;
  }
  try {
    const response = await fetch(config.alertsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 403 || response.status === 404) {
      section.hidden = true; // this viewer reads no alerts, or the feed is not installed
      return;
    }
    if (!response.ok) return;
    const lines = alertLines(await response.json(), T);
    section.hidden = false;
    const list = document.getElementById("bs-alert-list");
    fill(list, lines.length ? lines.map((a) => el("li", { dataset: { key: a.key }, text: a.text })) : [el("li", { className: "muted", text: T.noAlerts })]);
    list.dataset.count = String(lines.length);
  } catch (error) {
    /* the next round tries again */
  }
}

// --- polling --------------------------------------------------------------------------------

function render(data) {
  grids = data.grids || {};
  drawFigures(data);
  drawCharts(data);
  drawLeague(data.league);
  recolour();
  setStatus(fmt(T.updatedAt, { time: String(data.now).slice(11, 19) }));
  body.dataset.updated = data.now;
}

async function poll() {
  try {
    const response = await fetch(config.dataUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const type = response.headers.get("Content-Type") || "";
    if (response.status === 401 || response.status === 403 || response.redirected || !type.includes("json")) {
      setStatus(T.signedOut, true);
      return; // no more polls: the page must be reloaded to sign in again
    }
    if (!response.ok) throw new Error(String(response.status));
    render(await response.json());
  } catch (error) {
    setStatus(T.offline, true);
  }
  polls += 1;
  body.dataset.polls = String(polls);
  if (config.alertsEvery && polls % config.alertsEvery === 0) pollAlerts();
  window.setTimeout(poll, config.pollSeconds * 1000);
}

// --- the clock and full screen ----------------------------------------------------------------

const clockFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const clockEl = document.getElementById("bs-clock");
function tick() {
  clockEl.textContent = clockFormat.format(new Date());
}
tick();
window.setInterval(tick, 1000);

const fullButton = document.getElementById("bs-fullscreen");
if (fullButton && document.fullscreenEnabled) {
  fullButton.hidden = false;
  fullButton.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen();
  });
}

// For tests and the curious, as the live map does (onegridMap): what the screen holds now.
window.onegridScreen = {
  fillOf: (code) => (layers.has(code) ? layers.get(code).options.fillColor : null),
  gridCount: () => layers.size,
  pagePoint: (code) => {
    const point = map.latLngToContainerPoint(layers.get(code).getCenter());
    const box = mapEl.getBoundingClientRect();
    return { x: box.left + point.x, y: box.top + point.y };
  },
  polls: () => polls,
};

render(readJson("bigscreen-data"));
body.dataset.polls = "0";
loadGrids()
  .then(recolour)
  .catch(() => {
    mapEl.dataset.state = "failed";
    setStatus(T.loadFailed, true);
  });
pollAlerts();
window.setTimeout(poll, config.pollSeconds * 1000);
