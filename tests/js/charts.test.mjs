// lib/charts.js: the option builders and number helpers of the leaders' charts, on node.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  BLACK_LIST,
  MIDDLE,
  RED_LIST,
  delta,
  leagueOption,
  listMark,
  localeFor,
  percentText,
  toNumber,
  trendOption,
} from "../../src/onegrid/web/static/web/lib/charts.js";
import { elements, fakeDocument } from "./support/fake_dom.mjs";

const PAYLOAD = "<img src=x onerror=window.__xss=1>";

before(() => {
  globalThis.document = fakeDocument; // tooltips are built with lib/dom.js
});

describe("numbers", () => {
  test("decimals come as strings from the server and stay exact", () => {
    assert.equal(toNumber("93.72"), 93.72);
    assert.equal(toNumber(0), 0);
    assert.equal(toNumber(null), null);
    assert.equal(toNumber(""), null);
    assert.equal(toNumber("abc"), null);
    assert.equal(percentText("93.72"), "93.72%");
    assert.equal(percentText(75.8), "75.80%");
    assert.equal(percentText(null), "—");
  });

  test("a change is in percentage points with its sign, none without both sides", () => {
    assert.deepEqual(delta("93.72", "90.00"), { points: 3.72, text: "+3.72", direction: "up" });
    assert.deepEqual(delta("75.82", "80.5"), { points: -4.68, text: "−4.68", direction: "down" });
    assert.equal(delta("50", "50.00").direction, "same");
    assert.deepEqual(delta(null, "50"), { points: null, text: "—", direction: null });
    assert.deepEqual(delta("50", undefined), { points: null, text: "—", direction: null });
  });

  test("the locale follows the page's language", () => {
    assert.equal(localeFor("zh-hans"), "ZH");
    assert.equal(localeFor("en"), "EN");
    assert.equal(localeFor(""), "ZH");
  });
});

describe("trend", () => {
  const data = {
    labels: ["2026-03-01", "2026-03-02", "2026-03-03"],
    rates: [
      { key: "closure_rate", name: "结案率", values: ["90.00", null, "100.00"] },
      { key: "on_time_closure_rate", name: "按期结案率", values: ["80.00", null, "50.00"] },
    ],
    counts: [{ key: "n_due", name: "应结案件", values: [10, 0, 2] }],
  };

  test("rates are lines on a 0–100% axis, counts bars on a second axis; gaps stay gaps", () => {
    const option = trendOption(data, { percent: "%", count: "件" });
    assert.deepEqual(option.xAxis.data, data.labels);
    assert.equal(option.yAxis.length, 2);
    assert.equal(option.yAxis[0].max, 100);
    const lines = option.series.filter((s) => s.type === "line");
    const bars = option.series.filter((s) => s.type === "bar");
    assert.deepEqual(lines.map((s) => s.id), ["rate-closure_rate", "rate-on_time_closure_rate"]);
    assert.deepEqual(lines[0].data, [90, null, 100]);
    assert.equal(lines[0].connectNulls, false);
    assert.deepEqual(bars.map((s) => [s.id, s.yAxisIndex, s.data]), [["count-n_due", 1, [10, 0, 2]]]);
    assert.equal(option.animation, false);
  });

  test("without counts there is one axis; the labels are copied, not shared", () => {
    const option = trendOption({ labels: data.labels, rates: data.rates });
    assert.equal(option.yAxis.length, 1);
    assert.notEqual(option.xAxis.data, data.labels);
  });

  test("the same data gives the same series ids (a refresh replaces, never adds)", () => {
    const ids = (o) => o.series.map((s) => s.id);
    assert.deepEqual(ids(trendOption(data)), ids(trendOption({ ...data, labels: ["a", "b", "c"] })));
  });

  test("the tooltip is built as nodes, names as text", () => {
    const option = trendOption({ labels: ["d"], rates: [{ key: "k", name: PAYLOAD, values: ["1"] }] });
    const node = option.tooltip.formatter([
      { axisValueLabel: PAYLOAD, seriesName: PAYLOAD, seriesType: "line", value: 12.5, color: "#b3261e" },
    ]);
    assert.equal(node.nodeType, 1);
    assert.ok(node.textContent.includes(`${PAYLOAD}: 12.50%`));
    assert.ok(elements(node).every((n) => n.tagName !== "IMG"));
    const swatch = elements(node).find((n) => n.className === "chart-swatch");
    assert.equal(swatch.style.background, "#b3261e"); // through the CSSOM, no style attribute
    assert.equal(swatch.getAttribute("style"), null);
  });
});

describe("league table", () => {
  const rows = [1, 2, 3, 4, 5, 6, 7].map((rank) => ({
    rank,
    name: rank === 1 ? PAYLOAD : `街道${rank}`,
    value: String(100 - rank * 5),
    numerator: 100 - rank * 5,
    denominator: 100,
  }));

  test("the first and last marked rows are the red and black lists, never both", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => listMark(i, 7, 3)), ["red", "red", "red", "", "black", "black", "black"]);
    assert.deepEqual([0, 1, 2, 3].map((i) => listMark(i, 4, 3)), ["red", "red", "black", "black"]);
    assert.deepEqual([0].map((i) => listMark(i, 1, 3)), [""]);
    assert.deepEqual([0, 1].map((i) => listMark(i, 2, 0)), ["", ""]);
  });

  test("rank 1 is drawn at the top, coloured red; the last rank black", () => {
    const option = leagueOption(rows, { value: "值", fraction: "%(numerator)s / %(denominator)s" }, { marked: 2 });
    const labels = option.yAxis.data;
    assert.equal(labels[labels.length - 1], `1. ${PAYLOAD}`); // the category axis runs upwards
    assert.equal(labels[0], "7. 街道7");
    const colours = option.series[0].data.map((d) => d.itemStyle.color).reverse();
    assert.deepEqual(colours, [RED_LIST, RED_LIST, MIDDLE, MIDDLE, MIDDLE, BLACK_LIST, BLACK_LIST]);
    assert.deepEqual(option.series[0].data.map((d) => d.value).reverse(), [95, 90, 85, 80, 75, 70, 65]);
  });

  test("its tooltip and labels show the figure and its fraction as text", () => {
    const option = leagueOption(rows, { value: "值", fraction: "%(numerator)s / %(denominator)s" });
    const top = option.series[0].data[option.series[0].data.length - 1];
    const node = option.tooltip.formatter([{ data: top }]); // an axis tooltip: the row's one bar
    assert.equal(node.textContent, `1. ${PAYLOAD}值: 95.00%95 / 100`);
    assert.equal(option.tooltip.trigger, "axis");
    assert.equal(option.series[0].label.formatter({ data: top }), "95.00%");
  });

  test("a row without a value is drawn at zero and labelled —", () => {
    const option = leagueOption([{ rank: 1, name: "x", value: null, numerator: 0, denominator: 0 }]);
    assert.equal(option.series[0].data[0].value, 0);
    assert.equal(option.series[0].label.formatter({ data: option.series[0].data[0] }), "—");
  });
});

test("league colours follow the server's marks (ties share one), counts are not percents", () => {
  const rows = [
    { rank: 1, name: "a", value: "5", numerator: 5, denominator: null, mark: "top" },
    { rank: 1, name: "b", value: "5", numerator: 5, denominator: null, mark: "top" },
    { rank: 3, name: "c", value: "2", numerator: 2, denominator: null, mark: "" },
    { rank: 4, name: "d", value: "0", numerator: 0, denominator: null, mark: "bottom" },
  ];
  const option = leagueOption(rows, { value: "上报量" }, { rate: false });
  assert.deepEqual(option.series[0].data.map((d) => d.itemStyle.color).reverse(), [RED_LIST, RED_LIST, MIDDLE, BLACK_LIST]);
  assert.equal(option.xAxis.max, null);
  assert.equal(option.series[0].label.formatter({ data: option.series[0].data[3] }), "5");
  const tip = option.tooltip.formatter({ data: option.series[0].data[3] });
  assert.equal(tip.textContent, "1. a上报量: 5"); // no fraction for a plain count
});

test("the trend's legend starts with the rates marked shown", () => {
  const option = trendOption({
    labels: ["x"],
    rates: [
      { key: "a", name: "甲", shown: true, values: ["1"] },
      { key: "b", name: "乙", shown: false, values: ["2"] },
    ],
  });
  assert.deepEqual(option.legend.selected, { 甲: true, 乙: false });
  const compact = trendOption({ labels: ["x"], rates: [], counts: [{ key: "n", name: "n", values: [1] }] }, { percent: "%" }, { compact: true });
  assert.equal(compact.yAxis[0].name, "");
});
