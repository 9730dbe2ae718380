// The form's live question (field/live-check.js), shared by the suggested classes and
// "already reported nearby": the key decides whether to ask again, the named list is shown, and
// a request that does not answer in time is given up and shows nothing.

import assert from "node:assert/strict";
import { test } from "node:test";

import { createLiveCheck } from "../../src/onegrid/web/static/web/field/live-check.js";
import { liveBench } from "./support/live_check.mjs";

function bench({ reply, offline = false } = {}) {
  const state = { question: { body: { q: "a" }, key: "a" }, offline };
  return liveBench({
    delay: 50,
    state,
    reply: reply || (() => ({ ok: true, json: async () => ({ items: ["x"], other: ["y"] }) })),
    start: (deps) => createLiveCheck({ ...deps, url: "/ask", listName: "items", timeoutMs: 900, question: () => state.question }),
  });
}

test("the key, not the body, decides whether to ask again; the named list is shown", async () => {
  const h = bench();
  h.check.poke();
  await h.elapse();
  assert.deepEqual(h.calls.map((c) => c.body), [{ q: "a" }]);
  assert.deepEqual(h.shown, [["x"]]);
  h.state.question = { body: { q: "a, moved a metre" }, key: "a" };
  h.check.poke();
  await h.elapse();
  assert.equal(h.calls.length, 1, "the same key: nothing new asked");
  h.state.question = { body: { q: "b" }, key: "b" };
  h.check.poke();
  await h.elapse();
  assert.deepEqual(h.calls.at(-1).body, { q: "b" });
  h.state.question = null;
  h.check.poke();
  assert.deepEqual(h.shown.at(-1), [], "nothing to ask: what was shown goes");
});

test("a request that does not answer in time is aborted and shows nothing", async () => {
  const h = bench({
    reply: (n, options) =>
      new Promise((resolve, reject) => options.signal.addEventListener("abort", () => reject(new Error("aborted")))),
  });
  h.check.poke();
  await h.elapse();
  const timeouts = [...h.pending].filter(([, t]) => t.ms === 900);
  assert.equal(timeouts.length, 1, "the request's timeout is set");
  timeouts[0][1].fn();
  await h.elapse();
  assert.equal(h.calls[0].options.signal.aborted, true);
  assert.deepEqual(h.shown, [], "nothing was shown, so nothing to hide");
  assert.equal([...h.pending].length, 0, "no timer left behind");
});

test("an answer arriving after going offline is not shown", async () => {
  let release;
  const h = bench({ reply: () => new Promise((resolve) => (release = resolve)) });
  h.check.poke();
  await h.elapse();
  h.state.offline = true;
  release({ ok: true, json: async () => ({ items: ["x"] }) });
  await h.elapse();
  assert.deepEqual(h.shown, []);
});
