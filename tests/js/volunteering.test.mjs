// What the volunteer's phone sends and how it reads the answers (static/web/volunteering/logic.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  actionKey,
  distanceText,
  forgetKey,
  locationBody,
  meaning,
  newKey,
  shortTime,
} from "../../src/onegrid/web/static/web/volunteering/logic.js";

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
    size: () => items.size,
  };
}

const strings = { signIn: "请重新登录", retry: "网络不通，请重试" };

describe("idempotency keys", () => {
  test("a retried tap sends the key of the unanswered try", () => {
    const storage = memoryStorage();
    let n = 0;
    const make = () => `k${++n}`;
    const first = actionKey(storage, 7, "check-in", make);
    assert.equal(actionKey(storage, 7, "check-in", make), first);
    assert.notEqual(actionKey(storage, 7, "check-out", make), first, "each action its own");
    assert.notEqual(actionKey(storage, 8, "check-in", make), first, "each activity its own");
    forgetKey(storage, 7, "check-in");
    assert.notEqual(actionKey(storage, 7, "check-in", make), first, "answered: a new key");
  });

  test("a phone whose storage refuses still gets a key", () => {
    const broken = {
      getItem() {
        throw new Error("denied");
      },
      setItem() {
        throw new Error("denied");
      },
      removeItem() {
        throw new Error("denied");
      },
    };
    assert.equal(actionKey(broken, 1, "sign-up", () => "only"), "only");
    forgetKey(broken, 1, "sign-up");
  });

  test("new keys are random and fit the server's 64 characters", () => {
    const a = newKey();
    assert.notEqual(a, newKey());
    assert.ok(a.length <= 64);
    const fallback = newKey({ getRandomValues: (b) => b.fill(171) });
    assert.equal(fallback, "ab".repeat(16));
  });
});

describe("locationBody", () => {
  test("the GPS fix with its accuracy in whole metres", () => {
    const body = locationBody({ coords: { longitude: 117.1, latitude: 39.2, accuracy: 12.6 } }, "k");
    assert.deepEqual(body, { lon: 117.1, lat: 39.2, accuracy: 13, idempotency_key: "k" });
  });

  test("no accuracy is left out rather than sent as null", () => {
    const body = locationBody({ coords: { longitude: 1, latitude: 2, accuracy: null } }, "k");
    assert.equal("accuracy" in body, false);
  });
});

describe("meaning", () => {
  test("2xx is done, a replay included", () => {
    assert.equal(meaning(200, { replayed: true }, strings).outcome, "done");
  });

  test("a far check-in keeps the server's message and field", () => {
    const body = { code: "too_far", message: "你距离活动地点 556 米", field: "location" };
    assert.deepEqual(meaning(422, body, strings), {
      outcome: "refused",
      message: "你距离活动地点 556 米",
      field: "location",
    });
  });

  test("a lost session or a stale CSRF token asks for a sign-in", () => {
    assert.equal(meaning(401, null, strings).outcome, "auth");
    assert.equal(meaning(403, { code: "csrf_failed", message: "x" }, strings).outcome, "auth");
    assert.equal(meaning(403, { code: "forbidden", message: "无权" }, strings).outcome, "refused");
  });

  test("no network or a server error may be tried again", () => {
    assert.equal(meaning(0, null, strings).outcome, "retry");
    assert.equal(meaning(502, null, strings).outcome, "retry");
  });
});

test("distances and times for people", () => {
  assert.equal(distanceText(349.6), "350 m");
  assert.equal(distanceText(1234), "1.2 km");
  assert.equal(distanceText(Number.NaN), "");
  assert.equal(shortTime("2026-03-10T10:00:00+08:00"), "03-10 10:00");
  assert.equal(shortTime(null), "");
});
