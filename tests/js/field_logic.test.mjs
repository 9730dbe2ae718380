// The field app's small pure pieces: class search, which grid a point is in, errors by field,
// photo size, URLs and keys.

import assert from "node:assert/strict";
import { test } from "node:test";

import { matchClasses } from "../../src/onegrid/web/static/web/field/classes.js";
import { serverErrors, slotName } from "../../src/onegrid/web/static/web/field/forms.js";
import { newKey } from "../../src/onegrid/web/static/web/field/outbox.js";
import { tooLarge } from "../../src/onegrid/web/static/web/field/photos.js";
import { gridAt, pointInRing } from "../../src/onegrid/web/static/web/field/report-map.js";
import { actionUrlFor } from "../../src/onegrid/web/static/web/field/tasks.js";

const CLASSES = [
  { code: "A0101", name: "私搭乱建", alt: "Illegal building", major: "城市管理", minor: false },
  { code: "A0102", name: "暴露垃圾", alt: "Exposed rubbish", major: "城市管理", minor: true },
  { code: "C0201", name: "无证摊贩", alt: "Unlicensed stall", major: "食品药品安全", minor: false },
];

test("class search matches codes, both languages' names and the major class", () => {
  const codes = (query) => matchClasses(CLASSES, query).map((c) => c.code);
  assert.deepEqual(codes("垃圾"), ["A0102"]);
  assert.deepEqual(codes("rubbish"), ["A0102"]);
  assert.deepEqual(codes("a01"), ["A0101", "A0102"]);
  assert.deepEqual(codes("食品"), ["C0201"]);
  assert.deepEqual(codes("   "), []);
  assert.equal(matchClasses(CLASSES, "0", 2).length, 2);
});

const square = (x0, y0, x1, y1) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
const GRIDS = [
  { properties: { name: "一号网格" }, geometry: { type: "Polygon", coordinates: [square(0, 0, 10, 10), square(4, 4, 6, 6)] } },
  {
    properties: { name: "二号网格" },
    geometry: { type: "MultiPolygon", coordinates: [[square(20, 0, 30, 10)], [square(40, 0, 50, 10)]] },
  },
];

test("a point's grid, holes and multipolygons included", () => {
  assert.equal(gridAt(GRIDS, 1, 1), "一号网格");
  assert.equal(gridAt(GRIDS, 5, 5), null, "inside the hole");
  assert.equal(gridAt(GRIDS, 45, 5), "二号网格");
  assert.equal(gridAt(GRIDS, 15, 5), null);
  assert.equal(pointInRing(0.5, 0.5, square(0, 0, 1, 1)), true);
  assert.equal(pointInRing(1.5, 0.5, square(0, 0, 1, 1)), false);
});

test("the server's errors land by their fields", () => {
  assert.deepEqual(serverErrors({ message: "坐标不在本区", field: "lon" }), [{ field: "lon", message: "坐标不在本区" }]);
  const errors = [{ field: "photos", message: "a", extra: 1 }, { field: "class_code", message: "b" }];
  assert.deepEqual(serverErrors({ message: "x", errors }), [
    { field: "photos", message: "a" },
    { field: "class_code", message: "b" },
  ]);
  assert.equal(slotName("lat"), "location");
  assert.equal(slotName("address_code"), "location");
  assert.equal(slotName("case_class"), "class_code");
  assert.equal(slotName("reason"), "reason");
  assert.equal(slotName("constructor"), "constructor", "not an inherited property");
});

test("a photo over the limit is named in the message", () => {
  const photos = [{ name: "a.jpg", blob: { size: 10 } }, { name: "b.jpg", blob: { size: 3 * 1048576 } }];
  assert.equal(tooLarge(photos, 2 * 1048576, "%(name)s 超过 %(mb)s MB"), "b.jpg 超过 2 MB");
  assert.equal(tooLarge(photos, 4 * 1048576, "%(name)s"), "");
});

test("action URLs carry the case and action, escaped", () => {
  const template = "/api/v1/cases/CASE/actions/ACTION";
  assert.equal(actionUrlFor(template, "0190-ab", "pass_check"), "/api/v1/cases/0190-ab/actions/pass_check");
  assert.equal(actionUrlFor(template, "a/b?c", "x"), "/api/v1/cases/a%2Fb%3Fc/actions/x");
});

test("keys are random version-4 UUIDs", () => {
  const keys = new Set(Array.from({ length: 200 }, () => newKey()));
  assert.equal(keys.size, 200);
  for (const key of keys) assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
