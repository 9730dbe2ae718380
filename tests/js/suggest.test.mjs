// The field app's suggested classes (field/suggest.js): when it asks, what it shows, that it
// pre-selects the top class only while the reporter has not chosen one, and that offline and
// failures show nothing and never throw.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  askable,
  createSuggester,
  percent,
  preselection,
  suggestionNode,
} from "../../src/onegrid/web/static/web/field/suggest.js";
import { elements, fakeDocument } from "./support/fake_dom.mjs";
import { liveBench } from "./support/live_check.mjs";

const T = { title: "根据描述推荐：", confidence: "把握 %(p)s", goesTo: "派往 %(name)s" };
const MANHOLE = {
  label: "A0201",
  class_code: "A0201",
  class_name: "井盖缺失",
  major: "城市管理",
  confidence: 0.87,
  department: { code: "city_management", name: "城管委" },
  police: false,
  urgency: "red",
  urgency_label: "紧急",
};
const RUBBISH = { ...MANHOLE, label: "A0102", class_code: "A0102", class_name: "暴露垃圾", confidence: 0.08 };
const UNKNOWN = { ...MANHOLE, label: "城乡建设", class_code: null, class_name: "城乡建设", confidence: 0.03 };

test("short texts are not asked about; percentages are whole and bounded", () => {
  assert.equal(askable("  井盖 "), "");
  assert.equal(askable("井盖丢了"), "井盖丢了");
  assert.equal(askable(" 井盖丢了 "), "井盖丢了");
  assert.equal(percent(0.874), "87%");
  assert.equal(percent(1.2), ">99%");
  assert.equal(percent(0.001), "<1%");
  assert.equal(percent("x"), "");
});

test("the top class is pre-selected only while the reporter has not chosen", () => {
  const list = [MANHOLE, RUBBISH];
  assert.equal(preselection(list, "", null), "A0201", "nothing chosen: the top one");
  assert.equal(preselection(list, "A0102", "A0102"), "A0201", "our own earlier pick follows the text");
  assert.equal(preselection(list, "A0102", null), null, "the reporter's choice is never replaced");
  assert.equal(preselection(list, "A0102", "A0201"), null, "chosen after our pick: theirs");
  assert.equal(preselection(list, "A0201", "A0201"), null, "already selected");
  assert.equal(preselection([UNKNOWN, MANHOLE], "", null), null, "a label outside the catalogue is not chosen");
  assert.equal(preselection([], "", null), null);
});

test("the chips show name and confidence as text; unknown labels are not choosable", () => {
  const node = suggestionNode([MANHOLE, RUBBISH, UNKNOWN], T, "A0201", fakeDocument);
  const text = node.textContent;
  for (const part of [T.title, "井盖缺失", "把握 87%", "暴露垃圾", "把握 8%", "城乡建设"]) {
    assert.ok(text.includes(part), part);
  }
  const buttons = elements(node).filter((e) => e.tagName === "BUTTON");
  assert.deepEqual(
    buttons.map((b) => [b.dataset.code, b.getAttribute("aria-pressed")]),
    [
      ["A0201", "true"],
      ["A0102", "false"],
    ],
  );
  assert.equal(buttons[0].getAttribute("title"), "派往 城管委");
  assert.equal(suggestionNode([], T, "", fakeDocument), null);
});

test("markup in a suggestion stays text", () => {
  const evil = { ...MANHOLE, class_name: "<img src=x onerror=alert(1)>" };
  const node = suggestionNode([evil], T, "", fakeDocument);
  assert.ok(node.textContent.includes("<img src=x onerror=alert(1)>"));
  assert.ok(elements(node).every((e) => e.tagName !== "IMG"));
});

function harness({ offline = false, answer } = {}) {
  const state = { text: "人行道上井盖丢了", offline };
  const bench = liveBench({
    delay: 600,
    state,
    reply: answer || (() => ({ ok: true, json: async () => ({ suggestions: [MANHOLE, RUBBISH] }) })),
    start: (deps) => createSuggester({ ...deps, url: "/api/v1/smart/suggest", readText: () => state.text }),
  });
  return { ...bench, suggester: bench.check };
}

test("typing within the quiet time makes one request, JSON with the CSRF token", async () => {
  const h = harness();
  h.suggester.poke();
  h.state.text = "人行道上井盖丢了，很危险";
  h.suggester.poke();
  assert.equal(h.calls.length, 0, "nothing before the quiet time");
  await h.elapse();
  assert.equal(h.calls.length, 1);
  const { url, options, body } = h.calls[0];
  assert.equal(url, "/api/v1/smart/suggest");
  assert.equal(options.method, "POST");
  assert.equal(options.headers["X-CSRFToken"], "tok");
  assert.deepEqual(body, { text: "人行道上井盖丢了，很危险" });
  assert.deepEqual(h.shown, [[MANHOLE, RUBBISH]]);
  h.suggester.poke(); // the same text: nothing new
  await h.elapse();
  assert.equal(h.calls.length, 1);
});

test("offline nothing is asked, and shown chips go away without an error", async () => {
  const h = harness();
  h.suggester.poke();
  await h.elapse();
  h.state.offline = true;
  h.state.text = "人行道上井盖丢了又丢了";
  h.suggester.poke();
  await h.elapse();
  assert.equal(h.calls.length, 1);
  assert.deepEqual(h.shown.at(-1), []);
  const quiet = harness({ offline: true });
  quiet.suggester.poke();
  await quiet.elapse();
  assert.equal(quiet.calls.length, 0);
  assert.deepEqual(quiet.shown, []);
});

test("a failure, a refusal, no model or nonsense shows nothing and never throws", async () => {
  for (const answer of [
    () => Promise.reject(new TypeError("Failed to fetch")),
    () => ({ ok: false, status: 403, json: async () => ({}) }),
    () => ({ ok: true, json: async () => { throw new SyntaxError("not JSON"); } }),
    () => ({ ok: true, json: async () => ({ model_version: null, suggestions: [] }) }),
    () => ({ ok: true, json: async () => ({ suggestions: "nonsense" }) }),
  ]) {
    const h = harness({ answer });
    h.suggester.poke();
    await h.elapse();
    assert.equal(h.calls.length, 1);
    assert.ok(h.shown.every((s) => Array.isArray(s) && s.length === 0), JSON.stringify(h.shown));
  }
});

test("an answer to an older text is dropped; clearing hides", async () => {
  let release;
  const h = harness({
    answer: (n) =>
      n === 1
        ? new Promise((resolve) => (release = () => resolve({ ok: true, json: async () => ({ suggestions: [RUBBISH] }) })))
        : { ok: true, json: async () => ({ suggestions: [MANHOLE] }) },
  });
  h.suggester.poke();
  await h.elapse();
  h.state.text = "人行道上井盖丢了很多天";
  h.suggester.poke();
  await h.elapse();
  release();
  await h.elapse();
  assert.deepEqual(h.shown, [[MANHOLE]], "the stale answer never showed");
  h.suggester.clear();
  assert.deepEqual(h.shown.at(-1), []);
  h.state.text = "井";
  h.suggester.poke();
  await h.elapse();
  assert.equal(h.calls.length, 2, "too short: not asked");
});
