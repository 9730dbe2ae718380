// The field app's write-ahead queue (static/web/field/outbox.js) on the in-memory store: nothing
// submitted is lost or sent twice, whatever the network, the session or a second tab does.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CLAIM_MS, SENT_KEEP_MS } from "../../src/onegrid/web/static/web/field/outbox.js";
import { memoryStore } from "../../src/onegrid/web/static/web/field/store.js";
import {
  NETWORK_DOWN,
  SERVER_ERROR,
  SIGNED_OUT,
  USER,
  created,
  item,
  queue,
  refused,
  server,
} from "./support/queue.mjs";

const keysOf = (rows) => rows.map((row) => row.key);

async function queued(store, ...items) {
  for (const it of items) await store.put("outbox", it);
  return items;
}

describe("sending", () => {
  test("an item stays queued until the server accepts it, then its case is remembered", async () => {
    const api = server(NETWORK_DOWN, created("case-9", "C-9"));
    const { outbox, store, events } = queue({ send: api.send });
    const report = item();
    const outcome = await outbox.submit(report);
    assert.equal(outcome.outcome, "retry");
    const [kept] = await outbox.items();
    assert.equal(kept.key, report.key);
    assert.equal(kept.status, "waiting");
    assert.equal(kept.attempts, 1);
    assert.equal(kept.claim, null, "a failed send lets go of its claim");

    assert.equal(await outbox.flush(), 1);
    assert.deepEqual(await outbox.items(), []);
    const sent = await store.get("sent", report.key);
    assert.equal(sent.caseId, "case-9");
    assert.equal(sent.number, "C-9");
    assert.equal(sent.user, USER);
    assert.deepEqual(events.flushed, [1]);
    // Every try carried the item's own key: the server creates the case once.
    assert.deepEqual(api.requests.map((r) => r.key), [report.key, report.key]);
  });

  test("a pass goes on after a 5xx and stops where the network fails", async () => {
    const api = server(SERVER_ERROR, created("b", "B"), NETWORK_DOWN);
    const { outbox, store } = queue({ send: api.send });
    const [a, b, c, d] = await queued(store, item(), item(), item(), item());
    assert.equal(await outbox.flush(), 1);
    assert.deepEqual(api.requests.map((r) => r.key), [a.key, b.key, c.key]);
    const left = await outbox.items();
    assert.deepEqual(keysOf(left), [a.key, c.key, d.key]);
    assert.deepEqual(left.map((it) => it.attempts), [1, 1, undefined]);
    assert.ok(left.every((it) => it.status === "waiting"));
  });

  test("items go oldest first, whatever order they were stored in", async () => {
    const api = server();
    const { outbox, store } = queue({ send: api.send });
    const older = item();
    const newer = item();
    await queued(store, newer, older);
    await outbox.flush();
    assert.deepEqual(api.requests.map((r) => r.key), [older.key, newer.key]);
  });

  test("a lost session keeps the item for after the sign-in and says so", async () => {
    const api = server(SIGNED_OUT, created("a", "A"));
    const { outbox, store, events } = queue({ send: api.send });
    const [first, second] = await queued(store, item(), item());
    assert.equal(await outbox.flush(), 0);
    assert.deepEqual(api.requests.map((r) => r.key), [first.key], "the pass stops: every send would fail");
    assert.equal((await store.get("outbox", first.key)).status, "auth");
    assert.deepEqual(events.sessionLost, [true]);

    assert.equal(await outbox.flush(), 2);
    assert.deepEqual(await outbox.items(), []);
    assert.equal(events.sessionLost.at(-1), false);
    assert.ok(await store.get("sent", second.key));
  });

  test("a refused item keeps the server's message and is not sent again by itself", async () => {
    const api = server(refused("位置不在本区", "lon"));
    const { outbox, store } = queue({ send: api.send });
    const [bad] = await queued(store, item());
    await outbox.flush();
    const kept = await store.get("outbox", bad.key);
    assert.equal(kept.status, "refused");
    assert.deepEqual(kept.error, { message: "位置不在本区", field: "lon", errors: null });
    assert.equal(outbox.shownStatus(kept), "refused");
    await outbox.flush();
    assert.equal(api.requests.length, 1);
  });

  test("a replay (the first answer was lost) counts as sent", async () => {
    const api = server(created("case-1", "C-1", true));
    const { outbox, store } = queue({ send: api.send });
    const [it] = await queued(store, item());
    await outbox.flush();
    assert.deepEqual(await outbox.items(), []);
    assert.equal((await store.get("sent", it.key)).replayed, true);
  });

  test("another user's items wait for them", async () => {
    const api = server();
    const { outbox, store } = queue({ send: api.send });
    const [theirs] = await queued(store, item({ user: "user-2" }));
    assert.equal(await outbox.flush(), 0);
    assert.equal(api.requests.length, 0);
    assert.equal(outbox.shownStatus(await store.get("outbox", theirs.key)), "other");
  });

  test("offline, a flush sends nothing and keeps everything", async () => {
    const api = server();
    const { outbox, store, events } = queue({ send: api.send, isOnline: () => false });
    await queued(store, item());
    assert.equal(await outbox.flush(), 0);
    assert.equal(api.requests.length, 0);
    assert.equal((await outbox.items()).length, 1);
    assert.deepEqual(events.flushed, [0]);
    const live = await outbox.submit(item());
    assert.deepEqual(live, { outcome: "retry", network: true });
    assert.equal((await outbox.items()).length, 2, "kept before anything is tried");
  });

  test("a second flush while one runs joins it", async () => {
    const api = server();
    const { outbox, store } = queue({ send: api.send });
    await queued(store, item(), item());
    const [one, two] = [outbox.flush(), outbox.flush()];
    assert.equal(one, two);
    assert.equal(await one, 2);
    assert.equal(api.requests.length, 2);
  });
});

describe("submitting from a form", () => {
  test("a refusal drops the item: nothing was created and the form shows why", async () => {
    const api = server(refused("照片无法识别", "photos"));
    const { outbox } = queue({ send: api.send });
    const outcome = await outbox.submit(item());
    assert.equal(outcome.outcome, "refused");
    assert.equal(outcome.error.field, "photos");
    assert.deepEqual(await outbox.items(), []);
  });

  test("a slow send goes on in the background and is never sent twice", async () => {
    const api = server();
    const { outbox } = queue({ send: api.send });
    api.hold();
    const it = item();
    const outcome = await outbox.submit(it, 0);
    assert.equal(outcome.outcome, "slow");
    // The periodic flush comes round while the first send is still out.
    const flushing = outbox.flush();
    assert.equal(outbox.shownStatus((await outbox.items())[0]), "sending");
    api.release();
    assert.equal((await outcome.later).outcome, "sent");
    await flushing;
    assert.deepEqual(api.requests.map((r) => r.key), [it.key]);
    assert.deepEqual(await outbox.items(), []);
  });

  test("an item discarded while it is being sent does not come back with a late answer", async () => {
    const api = server(NETWORK_DOWN);
    const { outbox } = queue({ send: api.send });
    api.hold();
    const it = item();
    const outcome = await outbox.submit(it, 0);
    await outbox.discard(it.key);
    api.release();
    assert.equal((await outcome.later).outcome, "retry");
    assert.deepEqual(await outbox.items(), []);
  });
});

describe("two tabs on one phone", () => {
  test("both flushing at once send each item once", async () => {
    const store = memoryStore();
    const api = server();
    const first = queue({ store, send: api.send, tab: "tab-1" }).outbox;
    const second = queue({ store, send: api.send, tab: "tab-2" }).outbox;
    const items = await queued(store, item(), item(), item(), item({ kind: "action", action: "pass_check" }));
    const [a, b] = await Promise.all([first.flush(), second.flush()]);
    assert.equal(a + b, items.length);
    const sentKeys = api.requests.map((r) => r.key).sort();
    assert.deepEqual(sentKeys, keysOf(items).sort(), "each key left the phone once");
    assert.deepEqual(await store.getAll("outbox"), []);
  });

  test("only one tab wins a claim; the other sees the item as held", async () => {
    const store = memoryStore();
    const first = queue({ store, send: server().send, tab: "tab-1" }).outbox;
    const second = queue({ store, send: server().send, tab: "tab-2" }).outbox;
    const [it] = await queued(store, item());
    const claims = await Promise.all([first.claim(it.key), second.claim(it.key)]);
    assert.equal(claims.filter((c) => c.item).length, 1);
    assert.deepEqual(claims.find((c) => !c.item), { held: true });
    assert.deepEqual(await second.claim("no-such-key"), { held: false });
  });

  test("the claim of a tab closed mid-send lapses, and then another tab sends the item", async () => {
    const store = memoryStore();
    const clock = { now: 1000 };
    const closed = queue({ store, send: server().send, tab: "closed", clock }).outbox;
    const api = server();
    const { outbox: open } = queue({ store, send: api.send, tab: "open", clock });
    const [it] = await queued(store, item());
    assert.ok((await closed.claim(it.key)).item); // the tab closes before the answer
    assert.equal(open.shownStatus(await store.get("outbox", it.key)), "sending");
    assert.equal(await open.flush(), 0);
    assert.equal(api.requests.length, 0);
    clock.now += CLAIM_MS + 1;
    assert.equal(await open.flush(), 1);
    assert.deepEqual(api.requests.map((r) => r.key), [it.key]);
  });
});

describe("a self-close made with its report", () => {
  function reportAndFix() {
    const report = item({ minor: true });
    const fix = item({ kind: "action", action: "self_close", after: report.key, url: "" });
    return [report, fix];
  }

  test("goes to the case its report created, after the report", async () => {
    const api = server(created("case-7", "C-7"), created("case-7", "C-7"));
    const { outbox, store } = queue({ send: api.send });
    const [report, fix] = await queued(store, ...reportAndFix());
    assert.equal(await outbox.flush(), 2);
    assert.deepEqual(api.requests.map((r) => r.key), [report.key, fix.key]);
    assert.equal(api.requests[1].url, "/api/v1/cases/case-7/actions/self_close");
  });

  test("waits while its report is still queued", async () => {
    const api = server(refused("类别错误", "class_code"));
    const { outbox, store } = queue({ send: api.send });
    const [report, fix] = await queued(store, ...reportAndFix());
    await outbox.flush();
    assert.deepEqual(api.requests.map((r) => r.key), [report.key]);
    assert.equal((await store.get("outbox", fix.key)).status, "waiting");
    assert.deepEqual(await outbox.sendItem(fix), { outcome: "wait" });
  });

  test("is discarded with its report", async () => {
    const { outbox, store } = queue({ send: server().send });
    const [report] = await queued(store, ...reportAndFix(), item());
    await outbox.discard(report.key);
    assert.equal((await outbox.items()).length, 1);
    assert.ok((await outbox.items()).every((it) => it.after !== report.key && it.key !== report.key));
  });

  test("is refused when its report was discarded and never sent", async () => {
    const api = server();
    const { outbox, store } = queue({ send: api.send });
    const [, fix] = reportAndFix();
    await queued(store, fix);
    await outbox.flush();
    assert.equal(api.requests.length, 0);
    const kept = await store.get("outbox", fix.key);
    assert.equal(kept.status, "refused");
    assert.equal(kept.error.message, "报告已丢弃");
  });

  test("follows its report when the refused report is edited and sent again", async () => {
    const { outbox, store } = queue({ send: server().send });
    const [report, fix] = reportAndFix();
    await queued(store, { ...report, status: "refused" }, { ...fix, status: "refused" });
    const edited = item();
    await outbox.replaceEdited(report.key, edited.key);
    assert.equal(await store.get("outbox", report.key), undefined);
    const moved = await store.get("outbox", fix.key);
    assert.equal(moved.after, edited.key);
    assert.equal(moved.status, "waiting");
  });
});

describe("what the queue remembers", () => {
  test("sent rows are this user's, newest first, and go after a week", async () => {
    const clock = { now: SENT_KEEP_MS * 3 };
    const { outbox, store } = queue({ send: server().send, clock });
    const row = (key, user, at) => ({ key, user, label: key, number: key, at });
    await store.put("sent", row("old", USER, clock.now - SENT_KEEP_MS - 1));
    await store.put("sent", row("recent", USER, clock.now - 10));
    await store.put("sent", row("newest", USER, clock.now));
    await store.put("sent", row("theirs", "user-2", clock.now));
    assert.deepEqual(keysOf(await outbox.sentRows()), ["newest", "recent", "old"]);
    await outbox.forgetOldSent();
    assert.deepEqual(keysOf(await outbox.sentRows()), ["newest", "recent"]);
    assert.ok(await store.get("sent", "theirs"));
  });
});
