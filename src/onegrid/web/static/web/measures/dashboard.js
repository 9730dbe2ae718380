/* The measures dashboard's charts: the trend (rates as lines, counts as bars) and one bar
   chart per league table, red list on top and black list at the bottom; a bar opens its row's
   own figures. The numbers, formulas and tables are the server's HTML; this only draws what
   the page carries in its json_script tags (#trend-data, #league-data, #chart-strings), and
   opens the formulas and tables for printing. */

import "./picker.js";
import { $$, readJson, safeUrl } from "../lib/dom.js";
import { leagueOption, localeFor, mount, trendOption } from "../lib/charts.js";
import { leagueHeight } from "./shape.js";

const strings = readJson("chart-strings");
const locale = localeFor(document.documentElement.lang);

function drawTrend() {
  const node = document.getElementById("trend-chart");
  const data = readJson("trend-data");
  if (!node) return;
  if (!data.labels.length) {
    node.hidden = true;
    return;
  }
  mount(node, trendOption(data, strings), { locale });
}

function drawLeagues() {
  for (const league of readJson("league-data")) {
    const node = document.getElementById(`league-${league.kind}-chart`);
    if (!node) continue;
    if (!league.rows.length) {
      node.hidden = true;
      continue;
    }
    node.style.height = `${leagueHeight(league.rows.length)}px`;
    mount(node, leagueOption(league.rows, strings, { rate: league.rate }), {
      locale,
      onClick: (params) => {
        const row = params && params.data && params.data.row;
        const url = row && row.url && safeUrl(row.url);
        if (url) window.location.assign(url);
      },
    });
  }
}

// Printed, every formula and the trend's table are shown open.
function openForPrint() {
  for (const details of $$("details.formula, details.chart-table")) details.open = true;
}

function wirePrint() {
  const button = document.getElementById("print-page");
  window.addEventListener("beforeprint", openForPrint);
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    openForPrint();
    window.print();
  });
}

drawTrend();
drawLeagues();
wirePrint();
document.body.dataset.charts = "ready";
