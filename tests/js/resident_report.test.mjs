// The residents' report form's place logic (web/resident/report.js): what counts as a point,
// inside the district's bounds, and the text written to the fields and the status line.

import assert from "node:assert/strict";
import { test } from "node:test";

import { fieldValues, inside, parsePoint, statusFor } from "../../src/onegrid/web/static/web/resident/report.js";

const BOUNDS = [117.0, 39.1, 117.3, 39.3];
const STRINGS = { set: "Place set: %(lon)s, %(lat)s", outside: "Outside the district" };

test("a point needs two finite numbers within the globe", () => {
  assert.deepEqual(parsePoint("117.1", " 39.2 "), { lon: 117.1, lat: 39.2 });
  assert.equal(parsePoint("", "39.2"), null);
  assert.equal(parsePoint("117.1", ""), null);
  assert.equal(parsePoint("abc", "39.2"), null);
  assert.equal(parsePoint("Infinity", "39.2"), null);
  assert.equal(parsePoint("1e400", "39.2"), null);
  assert.equal(parsePoint("200", "39.2"), null);
  assert.equal(parsePoint("117.1", "-91"), null);
});

test("inside the bounds, edges included; no bounds: anywhere", () => {
  assert.equal(inside({ lon: 117.1, lat: 39.2 }, BOUNDS), true);
  assert.equal(inside({ lon: 117.0, lat: 39.3 }, BOUNDS), true);
  assert.equal(inside({ lon: 116.9, lat: 39.2 }, BOUNDS), false);
  assert.equal(inside({ lon: 116.9, lat: 39.2 }, null), true);
  assert.equal(inside(null, BOUNDS), false);
});

test("fields get six decimals", () => {
  assert.deepEqual(fieldValues({ lon: 117.123456789, lat: 39.1 }), { lon: "117.123457", lat: "39.100000" });
});

test("the status line says where, or that the point is outside, as plain text", () => {
  assert.deepEqual(statusFor({ lon: 117.1, lat: 39.2 }, BOUNDS, STRINGS), {
    text: "Place set: 117.100000, 39.200000",
    problem: false,
  });
  assert.deepEqual(statusFor({ lon: 116, lat: 39 }, BOUNDS, STRINGS), { text: "Outside the district", problem: true });
  assert.deepEqual(statusFor(null, BOUNDS, STRINGS), { text: "", problem: false });
});
