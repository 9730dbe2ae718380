/* Sending one queued item to the JSON API, and what its answer means for the queue.

   Outcomes:
     sent     2xx (a 200 replay of the same idempotency key included): drop it from the queue
     auth     401, or a 403 that is not a refusal (a lost session, a stale CSRF token): keep it
              and ask the worker to sign in again
     retry    no answer (network down, timeout) or 408/425/429/5xx: keep it for the next try
     refused  any other 4xx: keep it, with the server's translated message, to be fixed or
              discarded */

// A photo upload on a weak network may take a while.
export const SEND_TIMEOUT_MS = 90000;

/** Whether an answer says the session is gone rather than refusing the request itself. */
export function sessionEnded(status, data, redirected = false) {
  return (
    status === 401 || Boolean(redirected) || (status === 403 && !(data && data.code === "forbidden"))
  );
}

/** The queue's outcome for an HTTP answer (`data`: its JSON body, or null). */
export function classify(status, data, describe) {
  if (status >= 200 && status < 300) return { outcome: "sent", status, data };
  if (sessionEnded(status, data)) return { outcome: "auth", status };
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return { outcome: "retry", status };
  }
  return {
    outcome: "refused",
    status,
    error: {
      message: (data && data.message) || (describe ? describe(status) : `HTTP ${status}`),
      field: (data && data.field) || null,
      errors: (data && data.errors) || null,
    },
  };
}

/** The CSRF token from the cookie, read at send time: signing in again changes it. */
export function csrfFromCookie(cookies, name) {
  const prefix = name + "=";
  for (const part of String(cookies).split(";")) {
    const cookie = part.trim();
    if (cookie.startsWith(prefix)) return decodeURIComponent(cookie.slice(prefix.length));
  }
  return "";
}

/** The form body of an item: its fields (empty ones left out) and its photos. */
export function formOf(item) {
  const body = new FormData();
  for (const [name, value] of Object.entries(item.fields)) {
    if (value !== "" && value !== null && value !== undefined) body.append(name, value);
  }
  for (const photo of item.photos) body.append("photos", photo.blob, photo.name);
  return body;
}

/**
 * A `send(item, url)` for the queue: POSTs the item with its idempotency key and resolves to
 * an outcome (never rejects).
 */
export function createSender({ fetch, csrfToken, describe, timeoutMs = SEND_TIMEOUT_MS }) {
  return async function send(item, url) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let response;
    let data = null;
    try {
      response = await fetch(url, {
        method: "POST",
        body: formOf(item),
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Idempotency-Key": item.key, "X-CSRFToken": csrfToken(), Accept: "application/json" },
        signal: abort.signal,
      });
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    } catch (error) {
      return { outcome: "retry", network: true };
    } finally {
      clearTimeout(timer);
    }
    return classify(response.status, data, describe);
  };
}
