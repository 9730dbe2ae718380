// Test helpers for the field app's queue: a scripted server and items like the app makes.

import { createOutbox } from "../../../src/onegrid/web/static/web/field/outbox.js";
import { memoryStore } from "../../../src/onegrid/web/static/web/field/store.js";

export const USER = "user-1";

let made = 0;

/** A report or action item as the field app stores it. */
export function item(overrides = {}) {
  made += 1;
  return {
    key: `key-${made}`,
    user: USER,
    kind: "report",
    action: "",
    label: `Report ${made}`,
    url: "/api/v1/cases",
    fields: { class_code: "A0102", lon: "117.1", lat: "39.2", crs: "wgs84" },
    photos: [],
    createdAt: made,
    status: "waiting",
    ...overrides,
  };
}

/**
 * A fake server: `answers` are outcomes handed out in turn (the last one repeats), each a
 * sender outcome ({outcome: "sent", data}, {outcome: "retry", network: true}, …) or a function
 * of the request returning one. Every request is recorded: {key, url, fields}. A send can be
 * held open with `hold()`; `release()` lets the held ones answer.
 */
export function server(...answers) {
  const requests = [];
  let cases = 0;
  let gate = null;
  let open = () => {};
  const send = async (sentItem, url) => {
    requests.push({ key: sentItem.key, url, fields: { ...sentItem.fields } });
    await Promise.resolve(); // answer asynchronously, as the network does
    if (gate) await gate;
    const next = answers.length > 1 ? answers.shift() : answers[0];
    if (typeof next === "function") return next(sentItem, url);
    if (next) return next;
    cases += 1;
    return created(`case-${cases}`, `C-${cases}`);
  };
  return {
    send,
    requests,
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      gate = null;
      open();
    },
  };
}

/** A 2xx answer naming the case the item created or acted on. */
export function created(id, number, replayed = false) {
  return { outcome: "sent", status: replayed ? 200 : 201, data: { case: { id, number, state_label: "已上报" }, replayed } };
}

export const NETWORK_DOWN = { outcome: "retry", network: true };
export const SERVER_ERROR = { outcome: "retry", status: 503 };
export const SIGNED_OUT = { outcome: "auth", status: 401 };
export const refused = (message, field = null) => ({
  outcome: "refused",
  status: 400,
  error: { message, field, errors: null },
});

/** A queue on `store` with a recording of its hooks; `clock.now` can be moved by tests. */
export function queue({ store = memoryStore(), send, user = USER, tab, clock = { now: 1000 }, ...rest } = {}) {
  const events = { changed: 0, sessionLost: [], flushed: [] };
  const outbox = createOutbox({
    store,
    user,
    send,
    tab,
    now: () => clock.now,
    actionUrl: (caseId, action) => `/api/v1/cases/${caseId}/actions/${action}`,
    messages: { reportDiscarded: "报告已丢弃" },
    changed: () => (events.changed += 1),
    sessionLost: (lost) => events.sessionLost.push(lost),
    flushed: (sent) => events.flushed.push(sent),
    ...rest,
  });
  return { outbox, store, events, clock };
}
