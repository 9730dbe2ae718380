/* The field app's write-ahead queue.

   Every report and on-site action is an item — its fields, its photos as Blobs, a random
   idempotency key, the user who made it — put in the "outbox" store before anything is sent.
   An item leaves the outbox only after a 2xx (a replay included), and then a row in "sent"
   remembers its case. A network failure, a timeout or a 5xx keeps it for the next try; 401/403
   keeps it until the worker signs in again; any other refusal keeps it as "refused" with the
   server's message. The key travels with every try, so the server creates each case or action
   once whatever is retried.

   Tabs share the store. Before sending, a tab claims the item in one read-write transaction;
   only one tab wins, and a claim lapses after `claimMs` so a tab closed mid-send holds nothing
   for ever. A self-close made with its report (`after`: the report's key) waits until the
   report has a case.

   Nothing here touches the page: what to show is the caller's, through the hooks. */

import { SEND_TIMEOUT_MS } from "./sender.js";

export const CLAIM_MS = SEND_TIMEOUT_MS + 5000;
export const SENT_KEEP_MS = 7 * 24 * 3600 * 1000;
export const LIVE_WAIT_MS = 12000; // after this, a live submit goes on in the background

const byCreated = (a, b) => a.createdAt - b.createdAt;

/** A random UUID (v4); crypto.randomUUID exists only in secure contexts, plain http needs this. */
export function newKey(random = globalThis.crypto) {
  const bytes = new Uint8Array(16);
  random.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

/**
 * The queue of one tab for one signed-in user.
 *
 * store: field/store.js's interface. send(item, url): field/sender.js's outcome. actionUrl(caseId,
 * action): where a waiting self-close goes once its report has a case. messages.reportDiscarded:
 * the refusal of a self-close whose report is gone. isOnline(): false skips a flush. Hooks:
 * changed() after anything the queue view shows changed; sessionLost(lost) when a send says the
 * session ended (true) or worked (false); flushed(sent) at the end of each flush pass.
 */
export function createOutbox({
  store,
  user,
  send,
  actionUrl,
  messages = {},
  tab = newKey(),
  now = Date.now,
  claimMs = CLAIM_MS,
  sentKeepMs = SENT_KEEP_MS,
  isOnline = () => true,
  changed = () => {},
  sessionLost = () => {},
  flushed = () => {},
}) {
  const inflight = new Set(); // keys this tab is sending now
  const discarded = new Set(); // keys dropped here: a late outcome must not bring them back
  let flushing = null;

  /* Claim an item for this tab: {item} (the stored copy, now claimed) or {held} (whether it is
     still there, being sent elsewhere). Any live claim counts, this tab's own included: a live
     submit and a flush must not both send it. */
  async function claim(key) {
    const at = now();
    let claimed = { held: false };
    await store.update("outbox", key, (item) => {
      if (!item || (item.claim && item.claim.until > at)) {
        claimed = { held: Boolean(item) };
        return null;
      }
      item.claim = { tab, until: at + claimMs };
      claimed = { item };
      return item;
    });
    return claimed;
  }

  const claimedElsewhere = (item) =>
    Boolean(item.claim && item.claim.tab !== tab && item.claim.until > now());

  async function keep(item, changes) {
    if (discarded.has(item.key)) return;
    Object.assign(item, changes, { claim: null });
    await store.put("outbox", item);
  }

  /* Send one stored item; resolves to its outcome once the store reflects it. `busy`: gone or
     being sent by another tab; `wait`: a self-close whose report is still queued. */
  async function sendItem(queued) {
    // The stored copy, claimed: another tab may have sent, refused or changed it meanwhile.
    const claimed = await claim(queued.key);
    const item = claimed.item;
    if (!item) return { outcome: "busy", held: claimed.held };
    if (item.status === "refused" && queued.status !== "refused") {
      await keep(item, {});
      return { outcome: "busy" };
    }
    let url = item.url;
    if (item.after) {
      // A self-close saved with its report: it needs the case the report created.
      if (await store.get("outbox", item.after)) {
        await keep(item, {});
        return { outcome: "wait" };
      }
      const parent = await store.get("sent", item.after);
      if (!parent) {
        const error = { message: messages.reportDiscarded || "", field: null };
        await keep(item, { status: "refused", error });
        return { outcome: "refused", error };
      }
      url = actionUrl(parent.caseId, item.action);
    }
    inflight.add(item.key);
    changed();
    let result;
    try {
      result = await send(item, url);
    } finally {
      inflight.delete(item.key);
    }
    if (result.outcome === "sent") {
      const found = (result.data && result.data.case) || {};
      // Record the case before dropping the item: a self-close waiting for this report must
      // never find neither (a crash in between only means one harmless replay).
      await store.put("sent", {
        key: item.key,
        user: item.user,
        kind: item.kind,
        action: item.action || "",
        label: item.label,
        caseId: found.id || item.caseId || "",
        number: found.number || item.caseNumber || "",
        stateLabel: found.state_label || "",
        replayed: Boolean(result.data && result.data.replayed),
        at: now(),
      });
      await store.delete("outbox", item.key);
      sessionLost(false);
    } else if (result.outcome === "auth") {
      await keep(item, { status: "auth" });
      sessionLost(true);
    } else if (result.outcome === "refused") {
      await keep(item, { status: "refused", error: result.error });
    } else {
      await keep(item, { status: "waiting", attempts: (item.attempts || 0) + 1 });
    }
    changed();
    return result;
  }

  /* One pass over the queue, oldest first; a second call while one runs joins it. */
  function flush() {
    if (!flushing) {
      flushing = flushAll().finally(() => {
        flushing = null;
      });
    }
    return flushing;
  }

  async function flushAll() {
    let sent = 0;
    if (isOnline()) {
      for (const item of await items()) {
        if (item.user !== user || item.status === "refused" || inflight.has(item.key)) continue;
        const result = await sendItem(item);
        if (result.outcome === "sent") sent += 1;
        // Stop where another tab is sending: it goes on in order, so reports arrive as made.
        if (result.outcome === "busy" && result.held) break;
        if (result.outcome === "auth" || (result.outcome === "retry" && result.network)) break;
      }
    }
    await flushed(sent);
    return sent;
  }

  /* Keep a new item, then try it at once, giving the form back after `waitMs`: `slow` then
     carries the send going on in the background. A refusal means nothing was created: the
     item is dropped (the form shows the errors and keeps what was typed). */
  async function submit(item, waitMs = LIVE_WAIT_MS) {
    await store.put("outbox", item);
    let outcome;
    if (!isOnline()) {
      outcome = { outcome: "retry", network: true };
    } else {
      const sending = sendItem(item);
      let timer;
      const slow = new Promise((resolve) => {
        timer = setTimeout(() => resolve({ outcome: "slow", later: sending }), waitMs);
      });
      outcome = await Promise.race([sending, slow]);
      clearTimeout(timer);
    }
    if (outcome.outcome === "refused") await drop(item.key);
    return outcome;
  }

  async function drop(key) {
    discarded.add(key);
    await store.delete("outbox", key);
  }

  /* Discard an item and the self-close waiting for it. */
  async function discard(key) {
    const gone = [key];
    for (const other of await store.getAll("outbox")) if (other.after === key) gone.push(other.key);
    for (const k of gone) await drop(k);
    changed();
  }

  /* A refused report sent again after editing: the old copy goes, its waiting self-close now
     follows the new one. */
  async function replaceEdited(oldKey, newKeyValue) {
    await drop(oldKey);
    for (const item of await store.getAll("outbox")) {
      if (item.after === oldKey) {
        item.after = newKeyValue;
        if (item.status === "refused") item.status = "waiting";
        await store.put("outbox", item);
      }
    }
  }

  async function items() {
    return (await store.getAll("outbox")).sort(byCreated);
  }

  /* What the queue shows for an item: "other" (another user's), "sending", or its status. */
  function shownStatus(item) {
    if (item.user !== user) return "other";
    if (inflight.has(item.key) || claimedElsewhere(item)) return "sending";
    return item.status;
  }

  /* What this user sent from this phone, newest first: a shared phone does not show one
     worker's cases to the next. */
  async function sentRows() {
    return (await store.getAll("sent")).filter((row) => row.user === user).sort((a, b) => b.at - a.at);
  }

  async function forgetOldSent() {
    const limit = now() - sentKeepMs;
    for (const row of await store.getAll("sent")) if (row.at < limit) await store.delete("sent", row.key);
  }

  return {
    user,
    tab,
    claim,
    sendItem,
    flush,
    submit,
    discard,
    replaceEdited,
    items,
    get: (key) => store.get("outbox", key),
    shownStatus,
    sentRows,
    forgetOldSent,
  };
}
