/* Keeps a desk's queue fresh without a reload: every few seconds, while the person is not typing
   in a form, fetch the same page again and swap in the parts marked data-refresh.

   The fresh parts are the server's own escaped HTML: they are parsed into an inert document and
   their nodes moved into the page (lib/dom.js: moveChildren), never re-serialised. */
import { moveChildren, parseServerHtml } from "./lib/dom.js";

const marked = Array.from(document.querySelectorAll("[data-refresh]"));
const seconds = Number(document.body.dataset.refreshSeconds) || 30;

function busy() {
  const active = document.activeElement;
  return active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
}

async function refresh() {
  if (document.hidden || busy()) return;
  let html;
  try {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    // A redirect to the login page means the session ended: leave the page as it is.
    if (!response.ok || response.redirected) return;
    html = await response.text();
  } catch (error) {
    return; // offline for a moment: the next round tries again
  }
  if (busy()) return; // the person started typing while the page was on its way
  const fresh = parseServerHtml(html);
  for (const old of marked) {
    const replacement = fresh.getElementById(old.id);
    if (replacement && !replacement.isEqualNode(old)) moveChildren(old, replacement);
  }
}

if (marked.length) window.setInterval(refresh, seconds * 1000);
