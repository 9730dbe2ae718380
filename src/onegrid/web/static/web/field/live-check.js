/* A question the report form asks the server while the reporter fills it in: the suggested
   classes (field/suggest.js) and "already reported nearby" (field/duplicates.js). Debounced;
   an answer to an older question is dropped; offline, or when the server refuses or does not
   answer, nothing is shown and nothing is said: a help, never a step of the report. */

/**
 * `question()` gives {body, key} (body POSTed as JSON; key: what makes two questions the same)
 * or null when there is nothing to ask. `poke()` reads it and, when the key changed, asks after
 * `delay` ms of quiet; `show(list)` gets the answer's `listName` array ([] to hide what was
 * shown). Offline or on any failure, `show([])`; a request gives up after `timeoutMs`.
 */
export function createLiveCheck({
  fetch,
  url,
  csrfToken,
  isOffline,
  question,
  listName,
  show,
  delay,
  timeoutMs,
  // Wrapped: a browser refuses setTimeout called as another object's method.
  timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (id) => clearTimeout(id) },
}) {
  let asked = ""; // the key of the latest question (asked or waiting to be)
  let timer = null;
  let shown = false;

  function hide() {
    if (shown) show([]);
    shown = false;
  }

  async function ask(body, key) {
    const abort = typeof AbortController === "function" ? new AbortController() : null;
    const stop = timers.set(() => abort && abort.abort(), timeoutMs);
    try {
      const response = await fetch(url, {
        method: "POST",
        body: JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        signal: abort ? abort.signal : undefined,
      });
      if (key !== asked) return; // the form changed meanwhile: a newer question follows
      if (!response.ok) return hide();
      const data = await response.json();
      if (key !== asked || isOffline()) return;
      const list = (data && Array.isArray(data[listName]) && data[listName]) || [];
      shown = list.length > 0;
      show(list);
    } catch (error) {
      if (key === asked) hide();
    } finally {
      timers.clear(stop);
    }
  }

  function clear() {
    if (timer !== null) timers.clear(timer);
    timer = null;
    asked = "";
    hide();
  }

  function poke() {
    const next = question();
    if (!next || isOffline()) return clear();
    if (next.key === asked) return;
    asked = next.key;
    if (timer !== null) timers.clear(timer);
    timer = timers.set(() => {
      timer = null;
      ask(next.body, next.key);
    }, delay);
  }

  return { poke, clear };
}
