// measures/shape.js: the pure helpers of the measures pages and the big screen, on node.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  OPEN_SCALE,
  alertLines,
  colourFor,
  countText,
  gridCounts,
  leagueHeight,
  legendItems,
  verdict,
} from "../../src/onegrid/web/static/web/measures/shape.js";

describe("the grids' colours", () => {
  test("none for no case, then the class each count falls in", () => {
    assert.equal(colourFor(0), OPEN_SCALE.none);
    assert.equal(colourFor(undefined), OPEN_SCALE.none);
    assert.equal(colourFor(-3), OPEN_SCALE.none);
    assert.equal(colourFor(1), OPEN_SCALE.colours[0]);
    assert.equal(colourFor(2), OPEN_SCALE.colours[0]);
    assert.equal(colourFor(3), OPEN_SCALE.colours[1]);
    assert.equal(colourFor(9), OPEN_SCALE.colours[2]);
    assert.equal(colourFor(10), OPEN_SCALE.colours[3]);
    assert.equal(colourFor(500), OPEN_SCALE.colours[4]);
  });

  test("the legend names each class's range, none first", () => {
    assert.deepEqual(
      legendItems(OPEN_SCALE, "无案件").map((i) => i.label),
      ["无案件", "1–2", "3–5", "6–9", "10–19", "20+"],
    );
    const single = { none: "#000", breaks: [1, 2], colours: ["#111", "#222"] };
    assert.deepEqual(legendItems(single).map((i) => i.label), ["0", "1", "2+"]);
  });

  test("a grid's counts, zero when the poll did not name it", () => {
    const grids = { "120113001001001": { open: 4, overdue: 1 } };
    assert.deepEqual(gridCounts(grids, "120113001001001"), { open: 4, overdue: 1 });
    assert.deepEqual(gridCounts(grids, "nope"), { open: 0, overdue: 0 });
    assert.deepEqual(gridCounts(grids, "__proto__"), { open: 0, overdue: 0 });
    assert.deepEqual(gridCounts(null, "x"), { open: 0, overdue: 0 });
  });
});

test("counts are grouped by thousands; none is —", () => {
  assert.equal(countText(1234567), "1,234,567");
  assert.equal(countText("12"), "12");
  assert.equal(countText(0), "0");
  assert.equal(countText(null), "—");
  assert.equal(countText("x"), "—");
});

test("a league chart grows with its rows, within bounds", () => {
  assert.equal(leagueHeight(0), 140);
  assert.equal(leagueHeight(10), 308);
  assert.equal(leagueHeight(1000), leagueHeight(60));
});

test("a change is better or worse by the measure's direction", () => {
  assert.equal(verdict("1.25", false), "better");
  assert.equal(verdict("-1.25", false), "worse");
  assert.equal(verdict("1.25", true), "worse"); // the overdue rate went up
  assert.equal(verdict("-0.50", true), "better");
  assert.equal(verdict("0.00", true), "same");
  assert.equal(verdict(null, false), "");
  assert.equal(verdict(undefined, true), "");
});

test("surge alerts become lines, most significant first, names as given", () => {
  const strings = { alertLine: "%(area)s · %(class)s: %(observed)s cases, about %(expected)s expected" };
  const summary = {
    alerts: [
      { level: "street", area_code: "1", area_name: "街道<b>", class_code: "A", class_name: "城市管理", observed: 9, expected: 2.04, p: 0.004 },
      { level: "area", area_code: "", area_name: "", class_code: "A0102", class_name: "暴露垃圾", observed: 12, expected: 3, p: 0.0001 },
    ],
  };
  const lines = alertLines(summary, strings);
  assert.deepEqual(lines.map((l) => l.key), ["area::A0102", "street:1:A"]);
  assert.equal(lines[1].text, "街道<b> · 城市管理: 9 cases, about 2.0 expected");
  assert.deepEqual(alertLines(null, strings), []);
  assert.deepEqual(alertLines({}, strings), []);
});
