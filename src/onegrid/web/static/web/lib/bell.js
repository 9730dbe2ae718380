/* The bell in the top bar: how many notifications are unread, kept fresh without a reload.

   The count comes from GET /api/v1/notifications/unread ({"unread": n}) every `seconds`
   (60 by default), skipped while the tab is hidden and asked again as soon as it is shown.
   A 401 or 403 (the session ended or was signed out elsewhere) stops the polling: the page
   keeps what it showed, and the next page the person opens asks them to sign in. Anything
   else that goes wrong (offline, a 5xx, an answer that is not a count) leaves the bell as it
   was until the next round. Everything reaches the page as text (textContent, attributes). */

// Above this the bell shows "99+": the list page says the exact number.
export const MAX_SHOWN = 99;

/** The number as the bell's badge shows it. */
export function countText(n) {
  return n > MAX_SHOWN ? `${MAX_SHOWN}+` : String(n);
}

/** The unread count of an answer's JSON body, or null when it holds none. */
export function readUnread(body) {
  const n = body && typeof body === "object" ? body.unread : undefined;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Fills Django-style %(n)s in a label. */
function withCount(text, n) {
  return String(text).replace(/%\(n\)s/g, String(n));
}

/**
 * The bell's accessible name for `n`: labels.none, labels.one or labels.other (each may
 * hold %(n)s), as the page's template gave them in its language.
 */
export function bellLabel(n, labels) {
  if (n === 0) return labels.none;
  return withCount(n === 1 ? labels.one : labels.other, n);
}

/** Shows `n` on the bell (the link) and its badge (hidden at 0). */
export function renderBell(bell, badge, n, labels) {
  badge.textContent = countText(n);
  badge.hidden = n === 0;
  bell.setAttribute("aria-label", bellLabel(n, labels));
  bell.setAttribute("title", bellLabel(n, labels));
  bell.dataset.unread = String(n);
}

/**
 * The polling loop, with its world passed in (the browser's, or a test's):
 * fetch(url, options) → Response-like; timers.every(fn, ms) → id and timers.cancel(id);
 * isHidden() → whether the tab is hidden; show(n) → put n on the page.
 * Returns {poll, start, stop, visible, running}.
 */
export function createBell({ fetch, url, seconds = 60, timers, isHidden = () => false, show }) {
  let interval = null;
  let inFlight = false;
  let stopped = false;
  let last = null;

  async function poll() {
    if (stopped || inFlight || isHidden()) return;
    inFlight = true;
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401 || response.status === 403 || response.redirected) {
        stop();
        return;
      }
      if (!response.ok) return;
      const n = readUnread(await response.json());
      if (n !== null && n !== last) {
        last = n;
        show(n);
      }
    } catch (error) {
      // Offline for a moment, or a body that is not JSON: the next round tries again.
    } finally {
      inFlight = false;
    }
  }

  function start(initial) {
    if (Number.isSafeInteger(initial)) last = initial;
    if (interval === null && !stopped) interval = timers.every(poll, Math.max(5, seconds) * 1000);
  }

  function stop() {
    stopped = true;
    if (interval !== null) timers.cancel(interval);
    interval = null;
  }

  // The tab was shown again: ask at once rather than wait for the next round.
  function visible() {
    if (!isHidden()) return poll();
    return Promise.resolve();
  }

  return { poll, start, stop, visible, running: () => interval !== null };
}
