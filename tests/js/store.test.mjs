// field/store.js: the memory store behaves like IndexedDB where the queue relies on it.

import assert from "node:assert/strict";
import { test } from "node:test";

import { browserStore, memoryStore } from "../../src/onegrid/web/static/web/field/store.js";

test("rows are copies: changing one read changes nothing until it is put back", async () => {
  const store = memoryStore();
  const row = { key: "a", status: "waiting", photos: [{ name: "p.jpg" }] };
  await store.put("outbox", row);
  row.status = "changed after put";
  const read = await store.get("outbox", "a");
  assert.equal(read.status, "waiting");
  read.photos.push({ name: "q.jpg" });
  assert.equal((await store.get("outbox", "a")).photos.length, 1);
  assert.deepEqual(await store.getAll("sent"), []);
  assert.equal(await store.get("outbox", "missing"), undefined);
});

test("update writes what the change returns, or nothing on null", async () => {
  const store = memoryStore();
  await store.put("outbox", { key: "a", n: 1 });
  await store.update("outbox", "a", (row) => ({ ...row, n: row.n + 1 }));
  await store.update("outbox", "a", () => null);
  await store.update("outbox", "b", (row) => (row ? row : null));
  assert.deepEqual(await store.getAll("outbox"), [{ key: "a", n: 2 }]);
  await store.delete("outbox", "a");
  assert.deepEqual(await store.getAll("outbox"), []);
});

test("an unknown store is an error, not a silent new one", async () => {
  await assert.rejects(memoryStore().put("outbx", { key: "a" }), /no store outbx/);
});

test("without IndexedDB the app keeps its queue in memory and says so once", async () => {
  let warned = 0;
  const store = browserStore({ idb: undefined, onFallback: () => (warned += 1) });
  await store.put("outbox", { key: "a" });
  await store.put("sent", { key: "b" });
  assert.deepEqual(await store.getAll("outbox"), [{ key: "a" }]);
  assert.equal(warned, 1);
});

test("a database that fails to open falls back the same way", async () => {
  let warned = 0;
  const failing = {
    open() {
      const request = {};
      queueMicrotask(() => {
        request.error = new Error("quota");
        request.onerror();
      });
      return request;
    },
  };
  const store = browserStore({ idb: failing, onFallback: () => (warned += 1) });
  await store.put("outbox", { key: "a" });
  assert.equal((await store.get("outbox", "a")).key, "a");
  assert.equal(warned, 1);
});
