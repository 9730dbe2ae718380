// The top bar's bell (lib/bell.js): the count shown as text, polled every minute, skipped while
// the tab is hidden, stopped when the session ends, unchanged by anything that is not a count.

import assert from "node:assert/strict";
import { test } from "node:test";

import { bellLabel, countText, createBell, readUnread, renderBell } from "../../src/onegrid/web/static/web/lib/bell.js";
import { fakeDocument } from "./support/fake_dom.mjs";

const LABELS = { none: "没有未读通知", one: "%(n)s unread notification", other: "%(n)s unread notifications" };

function reply(status, body, extra = {}) {
  return { status, ok: status >= 200 && status < 300, redirected: false, json: async () => body, ...extra };
}

function bench(answers, { hidden = false, seconds = 60 } = {}) {
  const state = { hidden, calls: [], shown: [], intervals: new Map(), next: 1 };
  const queue = [...answers];
  const bell = createBell({
    fetch: async (url, options) => {
      state.calls.push({ url, options });
      const answer = queue.length > 1 ? queue.shift() : queue[0];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    url: "/api/v1/notifications/unread",
    seconds,
    timers: {
      every(fn, ms) {
        const id = state.next++;
        state.intervals.set(id, { fn, ms });
        return id;
      },
      cancel(id) {
        state.intervals.delete(id);
      },
    },
    isHidden: () => state.hidden,
    show: (n) => state.shown.push(n),
  });
  const tick = async () => {
    for (const { fn } of [...state.intervals.values()]) await fn();
  };
  return { bell, state, tick };
}

test("the badge shows the count as text, 99+ above 99, and the label says it", () => {
  assert.equal(countText(0), "0");
  assert.equal(countText(99), "99");
  assert.equal(countText(100), "99+");
  assert.equal(bellLabel(0, LABELS), "没有未读通知");
  assert.equal(bellLabel(1, LABELS), "1 unread notification");
  assert.equal(bellLabel(250, LABELS), "250 unread notifications");

  const link = fakeDocument.createElement("a");
  const badge = fakeDocument.createElement("span");
  renderBell(link, badge, 3, LABELS);
  assert.equal(badge.textContent, "3");
  assert.equal(badge.hidden, false);
  assert.equal(link.getAttribute("aria-label"), "3 unread notifications");
  assert.equal(link.dataset.unread, "3");
  renderBell(link, badge, 0, LABELS);
  assert.equal(badge.hidden, true);
  assert.equal(link.getAttribute("aria-label"), "没有未读通知");
});

test("only a whole, non-negative count is read from an answer", () => {
  assert.equal(readUnread({ unread: 4 }), 4);
  assert.equal(readUnread({ unread: 0 }), 0);
  for (const bad of [null, "4", [], {}, { unread: "4" }, { unread: -1 }, { unread: 1.5 }, { unread: 2 ** 60 }]) {
    assert.equal(readUnread(bad), null, JSON.stringify(bad));
  }
});

test("it polls every minute with the session's cookies and shows changes only", async () => {
  const { bell, state, tick } = bench([reply(200, { unread: 2 }), reply(200, { unread: 2 }), reply(200, { unread: 5 })]);
  bell.start(2);
  assert.deepEqual([...state.intervals.values()].map((t) => t.ms), [60000]);
  await tick();
  assert.equal(state.calls.length, 1);
  assert.equal(state.calls[0].url, "/api/v1/notifications/unread");
  assert.equal(state.calls[0].options.credentials, "same-origin");
  assert.deepEqual(state.shown, [], "the count the page was made with is not shown again");
  await tick();
  await tick();
  assert.deepEqual(state.shown, [5]);
  bell.start(5);
  assert.equal(state.intervals.size, 1, "starting twice keeps one timer");
});

test("a hidden tab is not polled; shown again, it asks at once", async () => {
  const { bell, state, tick } = bench([reply(200, { unread: 7 })], { hidden: true });
  bell.start(0);
  await tick();
  assert.equal(state.calls.length, 0);
  await bell.visible();
  assert.equal(state.calls.length, 0, "still hidden");
  state.hidden = false;
  await bell.visible();
  assert.equal(state.calls.length, 1);
  assert.deepEqual(state.shown, [7]);
});

test("a signed-out session stops the polling and leaves the bell as it was", async () => {
  for (const ended of [reply(401, { code: "unauthenticated" }), reply(403, {}), reply(200, {}, { redirected: true })]) {
    const { bell, state, tick } = bench([ended, reply(200, { unread: 9 })]);
    bell.start(1);
    await tick();
    assert.equal(bell.running(), false);
    assert.equal(state.intervals.size, 0);
    await bell.poll();
    assert.equal(state.calls.length, 1, "no further request");
    assert.deepEqual(state.shown, []);
  }
});

test("errors, offline and odd answers change nothing and the next round tries again", async () => {
  const { bell, state, tick } = bench([
    reply(500, { unread: 40 }),
    new TypeError("Failed to fetch"),
    reply(200, { unread: "lots" }),
    { status: 200, ok: true, redirected: false, json: async () => { throw new SyntaxError("not JSON"); } },
    reply(200, { unread: 3 }),
  ]);
  bell.start(1);
  for (let i = 0; i < 4; i++) await tick();
  assert.deepEqual(state.shown, []);
  assert.equal(bell.running(), true);
  await tick();
  assert.deepEqual(state.shown, [3]);
});

test("a slow answer is not asked for twice at once", async () => {
  let release;
  const { bell, state } = bench([new Promise((resolve) => (release = resolve))]);
  bell.start(0);
  const first = bell.poll();
  await bell.poll();
  assert.equal(state.calls.length, 1);
  release(reply(200, { unread: 1 }));
  await first;
  assert.deepEqual(state.shown, [1]);
});
