// The service centres' map: a centre's colour follows its latest score, and its tooltip is
// built as text nodes, so a centre's name cannot carry markup into the page.

import assert from "node:assert/strict";
import { test } from "node:test";

import { scoreColour } from "../../src/onegrid/web/static/web/centres-map.js";

test("a centre never inspected is grey, then red, amber and green by score", () => {
  assert.equal(scoreColour(null), "#757575");
  assert.equal(scoreColour(undefined), "#757575");
  assert.equal(scoreColour(0), "#b3261e");
  assert.equal(scoreColour(59), "#b3261e");
  assert.equal(scoreColour(60), "#ef6c00");
  assert.equal(scoreColour(84), "#ef6c00");
  assert.equal(scoreColour(85), "#2e7d32");
  assert.equal(scoreColour(100), "#2e7d32");
});
