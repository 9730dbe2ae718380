/* Pure helpers of the measures pages and the big screen: data in, data out, no DOM and no
   chart library, so tests/js/measures_shape.test.mjs runs them on node. */

import { fmt } from "../lib/dom.js";

/** The height in CSS pixels of a league chart of `rows` bars: one bar a line, never tiny. */
export function leagueHeight(rows) {
  return Math.max(140, Math.min(rows, 60) * 26 + 48);
}

// Open cases per grid, on the dark screen: a sequential scale (ColorBrewer YlOrRd, 5 classes).
export const OPEN_SCALE = {
  none: "#1c2a3f",
  breaks: [1, 3, 6, 10, 20],
  colours: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
};

/** The fill of a grid with `n` cases on `scale` (the scale's `none` for 0 or no count). */
export function colourFor(n, scale = OPEN_SCALE) {
  const count = Number(n) || 0;
  if (count <= 0) return scale.none;
  let colour = scale.colours[0];
  scale.breaks.forEach((low, i) => {
    if (count >= low) colour = scale.colours[i];
  });
  return colour;
}

/** The legend of `scale`: [{colour, label}], "0" first, then each class's range. */
export function legendItems(scale = OPEN_SCALE, noneLabel = "0") {
  const items = [{ colour: scale.none, label: noneLabel }];
  scale.breaks.forEach((low, i) => {
    const next = scale.breaks[i + 1];
    let label;
    if (next === undefined) label = `${low}+`;
    else if (next - 1 === low) label = String(low);
    else label = `${low}–${next - 1}`;
    items.push({ colour: scale.colours[i], label });
  });
  return items;
}

/** A count as the big screen writes it: digits grouped by thousands (12,345), — for none. */
export function countText(value) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? n.toLocaleString("en-US") : "—";
}

/** The open and overdue cases of one grid from the screen's `grids` map. */
export function gridCounts(grids, code) {
  const found = grids && Object.prototype.hasOwnProperty.call(grids, code) ? grids[code] : null;
  return { open: (found && found.open) || 0, overdue: (found && found.overdue) || 0 };
}

/**
 * The surge alerts of the hotspots summary as lines of text, most significant first:
 * [{key, text, p}]. `summary` may be null (no alerts source) or lack `alerts`.
 */
export function alertLines(summary, strings) {
  const alerts = (summary && Array.isArray(summary.alerts) && summary.alerts) || [];
  return alerts
    .slice()
    .sort((a, b) => (Number(a.p) || 0) - (Number(b.p) || 0))
    .map((a) => ({
      key: `${a.level}:${a.area_code}:${a.class_code}`,
      p: Number(a.p),
      text: fmt(strings.alertLine, {
        area: a.area_name || a.area_code || "",
        class: a.class_name || a.class_code || "",
        observed: a.observed,
        expected: Number(a.expected).toFixed(1),
      }),
    }));
}

/**
 * Whether a change of a rate is for the better: "better", "worse", "same" or "" (none).
 * `change` in percentage points (a string or number); lower is better for some rates.
 */
export function verdict(change, lowerIsBetter) {
  if (change === null || change === undefined || change === "") return "";
  const n = Number(change);
  if (!Number.isFinite(n)) return "";
  if (n === 0) return "same";
  return n > 0 !== Boolean(lowerIsBetter) ? "better" : "worse";
}
