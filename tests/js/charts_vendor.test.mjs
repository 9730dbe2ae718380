// The vendored ECharts is the version package.json pins, with its licence and notice beside it,
// and it is the module lib/charts.js loads.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VENDOR = join(ROOT, "src/onegrid/web/static/web/vendor/echarts");
const FILE = join(VENDOR, "echarts.esm.min.js");
const pinned = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies.echarts;

test("package.json pins an exact ECharts version", () => {
  assert.match(pinned, /^\d+\.\d+\.\d+$/, `not an exact version: ${pinned}`);
});

test("the vendored file is the pinned version (its own version export and its banner)", async () => {
  const echarts = await import(FILE);
  assert.equal(echarts.version, pinned);
  const text = readFileSync(FILE, "utf8");
  // The build's version constant, next to the zrender it was built with.
  const banner = /"(\d+\.\d+\.\d+)",\w+=\{zrender:"/.exec(text);
  assert.ok(banner, "no version constant found in the vendored file");
  assert.equal(banner[1], pinned);
  assert.match(text.slice(0, 400), /Licensed to the Apache Software Foundation/);
});

test("the licence and notice travel with it", () => {
  for (const name of ["LICENSE", "NOTICE", "LICENSE-d3"]) assert.ok(existsSync(join(VENDOR, name)), name);
  assert.match(readFileSync(join(VENDOR, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
  assert.match(readFileSync(join(VENDOR, "NOTICE"), "utf8"), /Apache ECharts/);
});

test("lib/charts.js loads the vendored module and reports its version", async () => {
  const source = readFileSync(join(ROOT, "src/onegrid/web/static/web/lib/charts.js"), "utf8");
  assert.match(source, /from "\.\.\/vendor\/echarts\/echarts\.esm\.min\.js"/);
  const charts = await import("../../src/onegrid/web/static/web/lib/charts.js");
  assert.equal(charts.ECHARTS_VERSION, pinned);
});
