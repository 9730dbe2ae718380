// The hotspot map layers' pure parts (static/web/hotspots/layers.js): the Gi* class colours
// and their strings, the heat ramp, decoding the server's raster and turning it into pixels.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BIN_ORDER,
  HEAT_FLOOR,
  alertStreetCodes,
  binColour,
  binKey,
  decodeLevels,
  heatBounds,
  heatColour,
  heatPixels,
  heatSwitch,
} from "../../src/onegrid/web/static/web/hotspots/layers.js";

test("each Gi* class has its colour and string key; 0 and nonsense have none", () => {
  assert.deepEqual(BIN_ORDER.map(binKey), ["hot3", "hot2", "hot1", "cold1", "cold2", "cold3"]);
  const colours = BIN_ORDER.map(binColour);
  assert.equal(new Set(colours).size, 6);
  for (const colour of colours) assert.match(colour, /^#[0-9a-f]{6}$/);
  for (const nothing of [0, "0", null, undefined, "x", 7, -4, NaN]) {
    assert.equal(binColour(nothing), null, String(nothing));
    assert.equal(binKey(nothing), "none", String(nothing));
  }
  assert.equal(binColour("3"), binColour(3)); // JSON object keys arrive as text
  assert.equal(binKey(-2), "cold2");
});

test("the heat ramp is clear below the floor and darkens and thickens with density", () => {
  assert.deepEqual(heatColour(0), [0, 0, 0, 0]);
  assert.deepEqual(heatColour(HEAT_FLOOR - 1), [0, 0, 0, 0]);
  const low = heatColour(HEAT_FLOOR);
  const mid = heatColour(128);
  const high = heatColour(255);
  assert.ok(low[3] > 0 && low[3] < mid[3] && mid[3] < high[3]);
  assert.deepEqual(high.slice(0, 3), [189, 0, 38]);
  // Green falls as density rises (yellow → red).
  assert.ok(low[1] > mid[1] && mid[1] > high[1]);
  assert.deepEqual(heatColour(999), high);
  assert.deepEqual(heatColour(-5), [0, 0, 0, 0]);
});

test("the raster decodes to rows × cols bytes and refuses a wrong size", () => {
  const bytes = Uint8Array.from([0, 10, 255, 128, 0, 7]);
  const text = Buffer.from(bytes).toString("base64");
  assert.deepEqual(Array.from(decodeLevels(text, 2, 3)), Array.from(bytes));
  assert.throws(() => decodeLevels(text, 3, 3), /6 bytes for 3×3/);
});

test("pixels are RGBA, row by row as the raster", () => {
  const levels = Uint8Array.from([0, 255, 128, 0]);
  const pixels = heatPixels(levels, 2, 2);
  assert.equal(pixels.length, 16);
  assert.deepEqual(Array.from(pixels.slice(0, 4)), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(pixels.slice(4, 8)), heatColour(255));
  assert.deepEqual(Array.from(pixels.slice(8, 12)), heatColour(128));
});

test("bounds and alert streets", () => {
  assert.deepEqual(heatBounds({ west: 117, south: 39, east: 117.5, north: 39.4 }), [[39, 117], [39.4, 117.5]]);
  const streets = alertStreetCodes([
    { level: "street", area_code: "120113001000" },
    { level: "area", area_code: "" },
    { level: "street", area_code: "120113001000" },
    null,
  ]);
  assert.deepEqual([...streets], ["120113001000"]);
});

test("the heat switch fetches once, then shows and hides; empty and failed answers ask again", async () => {
  const layers = new Set();
  const map = { removeLayer: (l) => layers.delete(l), hasLayer: (l) => layers.has(l) };
  const mapEl = { dataset: {} };
  const overlay = { addTo: () => layers.add(overlay) };
  const answers = [
    () => Promise.reject({ body: { message: "no" } }),
    () => Promise.resolve({ total: 0 }),
    () => Promise.resolve({ total: 9 }),
  ];
  const said = [];
  let wanted = true;
  const heat = heatSwitch({
    map,
    mapEl,
    load: () => answers.shift()(),
    wanted: () => wanted,
    onLoading: () => said.push("loading"),
    onLoaded: (body) => said.push(`loaded ${body.total}`),
    onFailed: (problem) => said.push(problem.body.message),
    make: (body) => Promise.resolve(body.total ? overlay : null),
  });
  await heat.show(true);
  assert.equal(mapEl.dataset.heat, "failed");
  await heat.show(true);
  assert.equal(mapEl.dataset.heat, "empty");
  wanted = false; // switched off while the raster came
  await heat.show(true);
  assert.equal(mapEl.dataset.heat, "off");
  assert.equal(heat.shown(), false);
  assert.deepEqual(said, ["loading", "no", "loading", "loaded 0", "loading", "loaded 9"]);
  heat.show(true);
  assert.equal(heat.shown(), true);
  assert.equal(mapEl.dataset.heat, "on");
  heat.show(false);
  assert.equal(heat.shown(), false);
  assert.equal(heat.show(true), undefined, "the raster is not fetched again");
  assert.equal(answers.length, 0);
});
