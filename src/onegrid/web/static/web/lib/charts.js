/* The charts of the leaders' pages, drawn by Apache ECharts (vendored and pinned under
   vendor/echarts/, see package.json; no CDN).

   - Canvas renderer: every label, name and number is drawn into a canvas, never parsed as
     HTML. Tooltips are DOM nodes built by lib/dom.js (text only): ECharts' own tooltip markup
     would carry inline style attributes, which the pages' Content-Security-Policy refuses.
   - One chart per element, kept: `mount` reuses the element's chart and only sets the new
     option (the big screen refreshes every few seconds without growing), a ResizeObserver
     fits it to its box (phones, rotating, the side panel), and printing redraws it at the
     width of an A4 page (`PRINT_WIDTH_PX`), then back.
   - The option builders (`trendOption`, `leagueOption`) and the number helpers
     are pure functions of data and texts, so tests/js run them on node without a browser. */

import * as echarts from "../vendor/echarts/echarts.esm.min.js";
import { el, fmt } from "./dom.js";

export const ECHARTS_VERSION = echarts.version;

// An A4 page less 15 mm margins is 180 mm wide: 680 CSS pixels at 96 per inch.
export const PRINT_WIDTH_PX = 680;
export const PRINT_HEIGHT_PX = 300;

// Colours: the site's red for the leading series, then a palette that stays apart in print.
export const PALETTE = ["#b3261e", "#0b57d0", "#1b7f3b", "#b8860b", "#6a1b9a", "#00838f", "#5d4037"];
// 红榜 (the top of a league table, honoured) and 黑榜 (its bottom, named for improvement).
export const RED_LIST = "#c62828";
export const BLACK_LIST = "#263238";
export const MIDDLE = "#90a4ae";

const THEMES = {
  light: { text: "#1f1f1f", muted: "#5f6368", line: "#d0d4d9", background: "transparent" },
  dark: { text: "#e8eef7", muted: "#9fb0c8", line: "#2c3e5c", background: "transparent" },
};

// --- numbers ----------------------------------------------------------------------------------

/** A number that may come as a string ("93.72", as the server sends decimals), or null. */
export function toNumber(value) {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** "93.72%" for 93.72 or "93.72"; "—" when there is no value (0 ÷ 0). */
export function percentText(value, digits = 2) {
  const n = toNumber(value);
  return n === null ? "—" : `${n.toFixed(digits)}%`;
}

/**
 * A change between two rates, in percentage points: {points, text, direction}; direction is
 * "up", "down" or "same", null (and text "—") when either side has no value.
 */
export function delta(current, before, digits = 2) {
  const a = toNumber(current);
  const b = toNumber(before);
  if (a === null || b === null) return { points: null, text: "—", direction: null };
  const points = Math.round((a - b) * 10 ** digits) / 10 ** digits;
  const direction = points > 0 ? "up" : points < 0 ? "down" : "same";
  const sign = points > 0 ? "+" : points < 0 ? "−" : "±";
  return { points, text: `${sign}${Math.abs(points).toFixed(digits)}`, direction };
}

// --- tooltips: nodes, never HTML ---------------------------------------------------------------

function swatch(colour) {
  return el("span", { className: "chart-swatch", style: { background: String(colour || "") } });
}

/** A tooltip formatter for axis tooltips: the axis label, then one line per series. */
export function axisTooltip(valueText) {
  return (params) => {
    const items = Array.isArray(params) ? params : [params];
    const head = items.length ? items[0].axisValueLabel ?? items[0].name : "";
    return el("div", { className: "chart-tooltip" }, [
      el("strong", { text: head }),
      ...items.map((p) =>
        el("div", {}, [swatch(p.color), `${p.seriesName}: ${valueText(p)}`]),
      ),
    ]);
  };
}

/** A tooltip formatter for a league table's bars: rank, name, value and its fraction. */
export function leagueTooltip(strings, valueText = percentText) {
  return (params) => {
    const item = Array.isArray(params) ? params[0] : params; // an axis tooltip hands a list
    const row = (item && item.data && item.data.row) || {};
    const hasFraction = row.denominator !== null && row.denominator !== undefined;
    return el("div", { className: "chart-tooltip" }, [
      el("strong", { text: `${row.rank ?? ""}. ${row.name ?? ""}` }),
      el("div", { text: `${strings.value ?? ""}: ${valueText(row.value)}` }),
      hasFraction
        ? el("div", {
            text: fmt(strings.fraction ?? "%(numerator)s / %(denominator)s", {
              numerator: row.numerator ?? 0,
              denominator: row.denominator,
            }),
          })
        : null,
    ]);
  };
}

// --- options ----------------------------------------------------------------------------------

function base(theme) {
  const t = THEMES[theme] || THEMES.light;
  return {
    t,
    option: {
      backgroundColor: t.background,
      color: PALETTE,
      animation: false, // printing and the big screen's refreshes draw at once
      textStyle: { color: t.text, fontFamily: "inherit" },
      aria: { enabled: true },
    },
  };
}

/**
 * The trend: one line per rate (left axis, percent) and bars of a count (right axis).
 *
 * data: {labels: [..], rates: [{key, name, values: [..]}], counts: [{key, name, values: [..]}]}
 * (values may be null where a bucket has no denominator). texts: {percent, count}.
 */
export function trendOption(data, texts = {}, { theme = "light", compact = false } = {}) {
  const { t, option } = base(theme);
  const rates = data.rates || [];
  const counts = data.counts || [];
  const axisLine = { lineStyle: { color: t.line } };
  const splitLine = { lineStyle: { color: t.line, type: "dashed" } };
  const yAxis = [
    {
      type: "value",
      name: compact ? "" : texts.percent || "%",
      min: 0,
      max: 100,
      axisLabel: { formatter: "{value}%", color: t.muted },
      axisLine,
      splitLine,
    },
  ];
  if (counts.length) {
    yAxis.push({
      type: "value",
      name: compact ? "" : texts.count || "",
      minInterval: 1,
      axisLabel: { color: t.muted },
      axisLine,
      splitLine: { show: false },
    });
  }
  const series = [
    ...counts.map((s, i) => ({
      id: `count-${s.key}`,
      name: s.name,
      type: "bar",
      yAxisIndex: 1,
      barMaxWidth: 18,
      itemStyle: { color: i === 0 ? (theme === "dark" ? "#3d5a80" : "#c5d3e8") : PALETTE[(i + 3) % PALETTE.length] },
      data: s.values.map(toNumber),
    })),
    ...rates.map((s, i) => ({
      id: `rate-${s.key}`,
      name: s.name,
      type: "line",
      yAxisIndex: 0,
      connectNulls: false,
      showSymbol: data.labels.length <= 40,
      symbolSize: 6,
      lineStyle: { width: 2 },
      itemStyle: { color: PALETTE[i % PALETTE.length] },
      data: s.values.map(toNumber),
    })),
  ];
  return {
    ...option,
    grid: { left: 8, right: 8, top: compact ? 36 : 56, bottom: 8, containLabel: true },
    legend: {
      type: "scroll",
      top: 0,
      textStyle: { color: t.text },
      pageTextStyle: { color: t.muted },
      // Rates marked `shown: false` start hidden; the legend turns them on.
      selected: Object.fromEntries(rates.map((s) => [s.name, s.shown !== false])),
    },
    tooltip: {
      trigger: "axis",
      confine: true,
      formatter: axisTooltip((p) =>
        p.seriesType === "line" ? percentText(p.value) : p.value === null ? "—" : String(p.value),
      ),
    },
    xAxis: {
      type: "category",
      data: data.labels.slice(),
      axisLabel: { color: t.muted, hideOverlap: true },
      axisLine,
    },
    yAxis,
    series,
  };
}

/**
 * Which rows of a league table are on the red list (the first `marked`) and the black list
 * (the last `marked`, never overlapping the red): "red", "black" or "".
 */
export function listMark(index, total, marked) {
  const n = Math.max(0, Math.min(marked, Math.floor(total / 2)));
  if (index < n) return "red";
  if (index >= total - n) return "black";
  return "";
}

/** The colour of a league row: its mark from the server ("top", "bottom", ""), else its place. */
function markOf(row, index, total, marked) {
  if (row && typeof row.mark === "string") return row.mark === "top" ? "red" : row.mark === "bottom" ? "black" : "";
  return listMark(index, total, marked);
}

/**
 * A league table as horizontal bars, the first rank at the top, coloured as the red and black
 * lists: by each row's `mark` ("top", "bottom", "") as the server ranked them (ties share a
 * mark), else the first and last `marked` rows. rows: [{rank, name, value, numerator,
 * denominator, mark, url}] in rank order; value a percent (or a count with `rate: false`),
 * null when there is nothing to measure.
 */
export function leagueOption(rows, texts = {}, { theme = "light", marked = 3, rate = true } = {}) {
  const { t, option } = base(theme);
  const ordered = rows.slice().reverse(); // ECharts draws a category axis from the bottom
  const total = rows.length;
  const valueText = (value) => (rate ? percentText(value) : toNumber(value) === null ? "—" : String(toNumber(value)));
  return {
    ...option,
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    // The whole row answers the pointer, so a short bar (or none: 0 %) still shows its figures.
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      confine: true,
      formatter: leagueTooltip(texts, valueText),
    },
    xAxis: {
      type: "value",
      min: 0,
      max: rate ? 100 : null,
      minInterval: rate ? 0 : 1,
      axisLabel: { formatter: rate ? "{value}%" : "{value}", color: t.muted },
      splitLine: { lineStyle: { color: t.line, type: "dashed" } },
    },
    yAxis: {
      type: "category",
      data: ordered.map((r) => `${r.rank}. ${r.name}`),
      axisLabel: { color: t.text, width: 140, overflow: "truncate" },
      axisLine: { lineStyle: { color: t.line } },
    },
    series: [
      {
        id: "league",
        type: "bar",
        barMaxWidth: 16,
        label: {
          show: true,
          position: "right",
          color: t.text,
          formatter: (p) => valueText(p.data.row.value),
        },
        data: ordered.map((row, i) => {
          const mark = markOf(row, total - 1 - i, total, marked);
          const colour = mark === "red" ? RED_LIST : mark === "black" ? (theme === "dark" ? "#78909c" : BLACK_LIST) : MIDDLE;
          return { value: toNumber(row.value) ?? 0, row, itemStyle: { color: colour } };
        }),
      },
    ],
  };
}

// --- charts on the page --------------------------------------------------------------------------

const charts = new Set();
let observer = null;
let printing = false;

function observe(node, chart) {
  if (typeof ResizeObserver === "undefined") return;
  if (!observer) {
    observer = new ResizeObserver((entries) => {
      if (printing) return;
      for (const entry of entries) {
        const found = echarts.getInstanceByDom(entry.target);
        if (found && !found.isDisposed()) found.resize();
      }
    });
  }
  observer.observe(node);
}

function listenForPrint() {
  if (listenForPrint.done || typeof window === "undefined") return;
  listenForPrint.done = true;
  // Chrome and Firefox fire these around printing; the media query covers Safari.
  const before = () => {
    printing = true;
    for (const chart of charts) {
      if (!chart.isDisposed()) chart.resize({ width: PRINT_WIDTH_PX, height: PRINT_HEIGHT_PX });
    }
  };
  const after = () => {
    printing = false;
    for (const chart of charts) if (!chart.isDisposed()) chart.resize();
  };
  window.addEventListener("beforeprint", before);
  window.addEventListener("afterprint", after);
  const query = window.matchMedia && window.matchMedia("print");
  if (query && query.addEventListener) {
    query.addEventListener("change", (event) => (event.matches ? before() : after()));
  }
}

/**
 * The chart on `node`, made on first use and reused after: the new option replaces the
 * series (by id) and the axes' data; nothing is added per call. Returns the ECharts instance.
 */
export function mount(node, option, { locale = "ZH", theme = "light", onClick } = {}) {
  let chart = echarts.getInstanceByDom(node);
  if (!chart || chart.isDisposed()) {
    chart = echarts.init(node, null, {
      renderer: "canvas",
      locale,
      // Sharp on phones and on paper: at least twice the CSS pixels.
      devicePixelRatio: Math.max(2, (typeof window !== "undefined" && window.devicePixelRatio) || 1),
    });
    charts.add(chart);
    observe(node, chart);
    listenForPrint();
    node.dataset.theme = theme;
    if (onClick) chart.on("click", onClick);
  }
  chart.setOption(option, { replaceMerge: ["series", "xAxis", "yAxis"] });
  node.dataset.chart = "ready";
  return chart;
}

/** The ECharts locale for a page's language code: Chinese unless English. */
export function localeFor(language) {
  return String(language || "").toLowerCase().startsWith("en") ? "EN" : "ZH";
}
