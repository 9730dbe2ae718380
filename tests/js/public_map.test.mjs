// The public map's data (web/public/features.js): the view frames the reports' public points,
// each grid is outlined once, popups are text and link only to the site's own pages.

import assert from "node:assert/strict";
import { test } from "node:test";

import { extent, groups, markerStyle, outlines, popupLines } from "../../src/onegrid/web/static/web/public/features.js";

const square = { type: "Polygon", coordinates: [[[117.1, 39.2], [117.11, 39.2], [117.11, 39.21], [117.1, 39.2]]] };

test("extent frames the points, and is null without any", () => {
  assert.equal(extent([]), null);
  assert.equal(extent(undefined), null);
  const box = extent([
    { lon: 117.1, lat: 39.2 },
    { lon: 117.3, lat: 39.1 },
    { lon: Number.NaN, lat: 40 },
  ]);
  assert.deepEqual(box, [[39.1, 117.1], [39.2, 117.3]]);
});

test("each grid is outlined once; 100 m squares have no outline", () => {
  const features = [
    { kind: "grid", outline: square },
    { kind: "grid", outline: JSON.parse(JSON.stringify(square)) },
    { kind: "100m", outline: null },
  ];
  assert.equal(outlines(features).length, 1);
  assert.deepEqual(outlines([{ kind: "100m", outline: square }]), []);
});

test("popup lines are strings and links stay on the site", () => {
  const lines = popupLines({ title: "<b>暴露垃圾</b>", state: "已受理", number: "120113-1", url: "/public/cases/120113-1/" });
  assert.equal(lines.title, "<b>暴露垃圾</b>");
  assert.equal(lines.url, "/public/cases/120113-1/");
  assert.equal(popupLines({ url: "javascript:alert(1)" }).url, null);
  assert.equal(popupLines({ url: "https://evil.example/" }).url, null);
  assert.equal(popupLines({ url: "//evil.example/" }).url, null);
  assert.equal(popupLines({ url: "/\\evil.example/" }).url, null);
  assert.equal(popupLines({}).title, "");
});

test("reports at one public point share a marker, in page order", () => {
  const found = groups([
    { number: "1", lon: 117.1, lat: 39.2 },
    { number: "2", lon: 117.2, lat: 39.2 },
    { number: "3", lon: 117.1, lat: 39.2 },
    { number: "4", lon: Number.NaN, lat: 39.2 },
  ]);
  assert.deepEqual(found.map((g) => g.features.map((f) => f.number)), [["1", "3"], ["2"]]);
  assert.deepEqual([found[0].lon, found[0].lat], [117.1, 39.2]);
});

test("a marker is green only when all its reports are fixed, larger for more", () => {
  const one = markerStyle({ features: [{ fixed: true }] });
  const mixed = markerStyle({ features: [{ fixed: true }, { fixed: false }] });
  assert.equal(one.fillColor, "#1e6b34");
  assert.equal(mixed.fillColor, "#b3261e");
  assert.ok(mixed.radius > one.radius);
  assert.equal(markerStyle({ features: Array(50).fill({ fixed: false }) }).radius, 14);
});
