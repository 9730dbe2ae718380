// The field app's "already reported nearby" (field/duplicates.js): what it asks, when, and
// what it shows; offline and failures show nothing and never throw.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bodyKey,
  checkBody,
  createDuplicateCheck,
  hintItems,
  hintNode,
  shortTime,
} from "../../src/onegrid/web/static/web/field/duplicates.js";
import { elements, fakeDocument } from "./support/fake_dom.mjs";
import { liveBench } from "./support/live_check.mjs";

const T = {
  title: "附近已有人上报",
  sendAnyway: "仍可上报",
  skip: "不上报了",
  view: "查看案件",
};
const FIELDS = {
  lon: "117.1050000",
  lat: "39.2050000",
  crs: "wgs84",
  address_code: "",
  class_code: "A0102",
  description: " 3号楼东侧垃圾 ",
  address: "佳园里",
};
const HINT = {
  score: 0.93,
  number: null,
  url: null,
  class_code: "A0102",
  class_name: "暴露垃圾",
  state: "dispatched",
  state_label: "已派遣",
  open: true,
  place: "果园新村街道 第1社区",
  distance_m: 50,
  reported_at: "2026-03-10T09:00:00+08:00",
  description: null,
  reasons: [
    { code: "same_class", text: "同一小类" },
    { code: "distance", text: "50 米以内" },
  ],
};

test("the check asks only once place and class are known, with the words joined", () => {
  assert.deepEqual(checkBody(FIELDS), {
    lon: 117.105,
    lat: 39.205,
    crs: "wgs84",
    class_code: "A0102",
    text: "3号楼东侧垃圾 佳园里",
  });
  assert.equal(checkBody({ ...FIELDS, class_code: "" }), null);
  assert.equal(checkBody({ ...FIELDS, lon: "", lat: "" }), null);
  assert.equal(checkBody({ ...FIELDS, lon: "abc" }), null);
  assert.deepEqual(checkBody({ ...FIELDS, lon: "", lat: "", address_code: "120113-1", description: "", address: "" }), {
    address_code: "120113-1",
    class_code: "A0102",
    text: "",
  });
});

test("a point moved by a few metres asks nothing new; other words or class do", () => {
  const key = bodyKey(checkBody(FIELDS));
  assert.equal(bodyKey(checkBody({ ...FIELDS, lon: "117.1050200" })), key);
  assert.notEqual(bodyKey(checkBody({ ...FIELDS, lon: "117.1060000" })), key);
  assert.notEqual(bodyKey(checkBody({ ...FIELDS, description: "井盖" })), key);
  assert.notEqual(bodyKey(checkBody({ ...FIELDS, class_code: "A0101" })), key);
  assert.equal(bodyKey(null), "");
});

function harness({ offline = false, answer } = {}) {
  const state = { fields: { ...FIELDS }, offline };
  return liveBench({
    delay: 700,
    state,
    reply: answer || (() => ({ ok: true, json: async () => ({ candidates: [HINT] }) })),
    start: (bench) => createDuplicateCheck({ ...bench, url: "/api/v1/smart/duplicates", readFields: () => state.fields }),
  });
}

test("pokes within the quiet time make one request, posted as JSON with the CSRF token", async () => {
  const h = harness();
  h.check.poke();
  h.state.fields = { ...FIELDS, description: "3号楼东侧垃圾很多" };
  h.check.poke();
  h.check.poke();
  assert.equal(h.calls.length, 0, "nothing before the quiet time");
  await h.elapse();
  assert.equal(h.calls.length, 1);
  const { url, options, body } = h.calls[0];
  assert.equal(url, "/api/v1/smart/duplicates");
  assert.equal(options.method, "POST");
  assert.equal(options.headers["X-CSRFToken"], "tok");
  assert.equal(options.headers["Content-Type"], "application/json");
  assert.equal(body.text, "3号楼东侧垃圾很多 佳园里");
  assert.deepEqual(h.shown, [[HINT]]);
  // The same fields again: no second request.
  h.check.poke();
  await h.elapse();
  assert.equal(h.calls.length, 1);
});

test("offline, nothing is asked and a shown hint goes away without an error", async () => {
  const h = harness();
  h.check.poke();
  await h.elapse();
  assert.deepEqual(h.shown, [[HINT]]);
  h.state.offline = true;
  h.state.fields = { ...FIELDS, class_code: "A0101" };
  h.check.poke();
  await h.elapse();
  assert.equal(h.calls.length, 1);
  assert.deepEqual(h.shown.at(-1), []);
  const quiet = harness({ offline: true });
  quiet.check.poke();
  await quiet.elapse();
  assert.equal(quiet.calls.length, 0);
  assert.deepEqual(quiet.shown, [], "nothing was shown, so nothing to hide");
});

test("a failed or refused check shows nothing and never throws", async () => {
  for (const answer of [
    () => Promise.reject(new TypeError("Failed to fetch")),
    () => ({ ok: false, status: 500, json: async () => ({}) }),
    () => ({ ok: true, json: async () => { throw new SyntaxError("not JSON"); } }),
    () => ({ ok: true, json: async () => ({ candidates: "nonsense" }) }),
  ]) {
    const h = harness({ answer });
    h.check.poke();
    await h.elapse();
    assert.equal(h.calls.length, 1);
    assert.ok(h.shown.every((c) => Array.isArray(c) && c.length === 0), JSON.stringify(h.shown));
  }
});

test("an answer to an older question is dropped", async () => {
  let release;
  const h = harness({
    answer: (n) =>
      n === 1
        ? new Promise((resolve) => (release = () => resolve({ ok: true, json: async () => ({ candidates: [HINT] }) })))
        : { ok: true, json: async () => ({ candidates: [] }) },
  });
  h.check.poke();
  await h.elapse(); // the first question is in flight
  h.state.fields = { ...FIELDS, class_code: "A0101" };
  h.check.poke();
  await h.elapse(); // the second one is answered: nothing to show
  release();
  await h.elapse();
  assert.equal(h.calls.length, 2);
  assert.ok(h.shown.every((c) => c.length === 0), "the stale hint never showed");
});

test("losing the place or the class, or clearing, takes the hint away", async () => {
  const h = harness();
  h.check.poke();
  await h.elapse();
  h.state.fields = { ...FIELDS, lon: "", lat: "" };
  h.check.poke();
  assert.deepEqual(h.shown.at(-1), []);
  h.state.fields = FIELDS;
  h.check.poke();
  await h.elapse();
  assert.equal(h.shown.at(-1).length, 1);
  h.check.clear();
  assert.deepEqual(h.shown.at(-1), []);
});

test("the hint says class, place, distance, hour and state as text, and links a case one may see", () => {
  assert.equal(shortTime("2026-03-10T09:00:00+08:00"), "03-10 09:00");
  assert.equal(shortTime("garbage"), "");
  const [line] = hintItems([HINT], T);
  assert.equal(line.text, "暴露垃圾 · 果园新村街道 第1社区 · 50 米以内 · 03-10 09:00 · 已派遣");
  assert.equal(line.url, null);
  const seen = { ...HINT, number: "120113-20260310-00001", url: "/cases/120113-20260310-00001/", description: "3号楼东侧" };
  const node = hintNode([HINT, seen], T, fakeDocument);
  const text = node.textContent;
  for (const part of [T.title, "暴露垃圾", "已派遣", "120113-20260310-00001", "3号楼东侧", T.sendAnyway, T.skip]) {
    assert.ok(text.includes(part), part);
  }
  const links = elements(node).filter((e) => e.tagName === "A");
  assert.deepEqual(
    links.map((a) => a.getAttribute("href")),
    ["/cases/120113-20260310-00001/"],
  );
  const skip = elements(node).find((e) => e.tagName === "BUTTON");
  assert.equal(skip.dataset.duplicateSkip, "1");
  assert.equal(hintNode([], T, fakeDocument), null);
});

test("markup in a candidate stays text", () => {
  const evil = { ...HINT, class_name: "<img src=x onerror=alert(1)>", place: "<b>x</b>" };
  const node = hintNode([evil], T, fakeDocument);
  assert.ok(node.textContent.includes("<img src=x onerror=alert(1)>"));
  assert.ok(elements(node).every((e) => e.tagName !== "IMG" && e.tagName !== "B"));
});
