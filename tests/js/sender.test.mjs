// What an answer from the API means for a queued item (static/web/field/sender.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  classify,
  createSender,
  csrfFromCookie,
  formOf,
  sessionEnded,
} from "../../src/onegrid/web/static/web/field/sender.js";

describe("classify", () => {
  const describeStatus = (status) => `服务器拒绝 (HTTP ${status})`;

  test("2xx is sent, a replay included", () => {
    for (const status of [200, 201, 204]) assert.equal(classify(status, null).outcome, "sent");
    const replay = classify(200, { replayed: true, case: { id: "x" } });
    assert.deepEqual(replay.data, { replayed: true, case: { id: "x" } });
  });

  test("a lost session keeps the item for after the sign-in", () => {
    assert.equal(classify(401, null).outcome, "auth");
    assert.equal(classify(403, null).outcome, "auth", "Django's CSRF failure: a stale token");
    assert.equal(classify(403, { code: "csrf_failed" }).outcome, "auth");
  });

  test("a 403 the API means as a refusal is a refusal, not a sign-in", () => {
    const result = classify(403, { code: "forbidden", message: "无权操作", field: null });
    assert.equal(result.outcome, "refused");
    assert.equal(result.error.message, "无权操作");
  });

  test("busy or broken servers are retried", () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) {
      assert.equal(classify(status, null).outcome, "retry", String(status));
    }
  });

  test("other 4xx are refused with the server's message, field and errors", () => {
    const errors = [{ field: "photos", message: "不是照片" }];
    const result = classify(400, { message: "请检查", field: "photos", errors });
    assert.deepEqual(result, {
      outcome: "refused",
      status: 400,
      error: { message: "请检查", field: "photos", errors },
    });
    assert.equal(classify(413, null, describeStatus).error.message, "服务器拒绝 (HTTP 413)");
    assert.equal(classify(409, "not json", describeStatus).outcome, "refused");
  });

  test("sessionEnded: a redirect (to the sign-in page) also ends it", () => {
    assert.equal(sessionEnded(200, null, true), true);
    assert.equal(sessionEnded(200, { items: [] }, false), false);
    assert.equal(sessionEnded(403, { code: "forbidden" }), false);
  });
});

test("the CSRF token is read from the cookie by name", () => {
  assert.equal(csrfFromCookie("a=1; csrftoken=abc%3D; b=2", "csrftoken"), "abc=");
  assert.equal(csrfFromCookie("xcsrftoken=no", "csrftoken"), "");
  assert.equal(csrfFromCookie("", "csrftoken"), "");
});

test("the form body leaves out empty fields and carries the photos", async () => {
  const photo = { blob: new Blob(["jpeg"], { type: "image/jpeg" }), name: "a.jpg" };
  const body = formOf({ fields: { class_code: "A0102", description: "", address: null, reason: undefined }, photos: [photo] });
  assert.deepEqual([...body.keys()], ["class_code", "photos"]);
  assert.equal(body.get("photos").name, "a.jpg");
});

describe("createSender", () => {
  const queued = { key: "k-1", fields: { class_code: "A0102" }, photos: [] };

  function fakeFetch(answer) {
    const calls = [];
    const fetch = async (url, options) => {
      calls.push({ url, options });
      return answer(options);
    };
    return { fetch, calls };
  }

  const json = (status, body) => ({ status, json: async () => body });

  test("posts with the item's idempotency key and the current CSRF token", async () => {
    const { fetch, calls } = fakeFetch(() => json(201, { case: { id: "c" } }));
    let token = "first";
    const send = createSender({ fetch, csrfToken: () => token });
    assert.equal((await send(queued, "/api/v1/cases")).outcome, "sent");
    token = "second"; // signed in again
    await send(queued, "/api/v1/cases");
    assert.equal(calls[0].options.method, "POST");
    assert.equal(calls[0].options.headers["Idempotency-Key"], "k-1");
    assert.deepEqual(calls.map((c) => c.options.headers["X-CSRFToken"]), ["first", "second"]);
  });

  test("no answer at all is a network failure, retried", async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError("Failed to fetch");
    });
    const send = createSender({ fetch, csrfToken: () => "" });
    assert.deepEqual(await send(queued, "/x"), { outcome: "retry", network: true });
  });

  test("a send that takes too long is given up and retried", async () => {
    const fetch = (url, options) =>
      new Promise((resolve, reject) => {
        options.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    const send = createSender({ fetch, csrfToken: () => "", timeoutMs: 1 });
    assert.deepEqual(await send(queued, "/x"), { outcome: "retry", network: true });
  });

  test("an answer that is not JSON (a proxy's error page) is judged by its status", async () => {
    const { fetch } = fakeFetch(() => ({ status: 502, json: async () => JSON.parse("<html>") }));
    const send = createSender({ fetch, csrfToken: () => "" });
    assert.deepEqual(await send(queued, "/x"), { outcome: "retry", status: 502 });
  });
});
