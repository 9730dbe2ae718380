/* The field app's notices: a toast, the sign-in banner and the offline line. */

import { $ } from "../lib/dom.js";

let toastTimer = null;

/** A short message at the foot of the screen (`kind`: "warn" for a problem). */
export function toast(text, kind) {
  const box = $("#toast");
  box.textContent = text;
  box.className = "toast" + (kind ? " " + kind : "");
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), 10000);
}

// The banner shows while anything says the session is gone: a send answered 401/403, an item
// of mine still waiting for a sign-in, the task list redirected to the sign-in page, or the
// address search answered 401/403.
const authLost = { send: false, queue: false, page: false, address: false };

/** Records whether `source` ("send", "queue", "page", "address") says the session is gone. */
export function setAuthLost(source, lost) {
  authLost[source] = lost;
  $("#auth-banner").hidden = !Object.values(authLost).some(Boolean);
}

export const isOffline = () => navigator.onLine === false;

export function showNetwork() {
  $("#net-status").hidden = !isOffline();
}
