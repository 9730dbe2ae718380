// The Party map's pure parts (static/web/party-map.js): the marker style of each kind.

import assert from "node:assert/strict";
import { test } from "node:test";

import { KIND_COLOURS, markerStyle } from "../../src/onegrid/web/static/web/party-map.js";

test("every kind of organisation has its colour; an unknown kind is grey", () => {
  for (const kind of Object.keys(KIND_COLOURS)) {
    assert.equal(markerStyle({ kind }).fillColor, KIND_COLOURS[kind]);
  }
  assert.equal(markerStyle({ kind: "<script>" }).fillColor, "#555");
  assert.ok(markerStyle({ kind: "unit" }).radius < markerStyle({ kind: "grid_group" }).radius);
});
