/* A form sent once: after its first submit, later submits (a double click, Enter pressed
   twice) are stopped and its submit buttons disabled while the page goes on to the answer.

   The server does not rely on this: the counter's redeem form carries a key drawn when it was
   shown, so a second request that slips through (no script, a resent page) gets the first
   redemption back and spends nothing. This only spares the clerk the second round trip. */

export function submitOnce(form) {
  let sent = false;
  form.addEventListener("submit", (event) => {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    for (const button of form.querySelectorAll("button[type=submit]")) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
  });
  // Back from the answer page (the browser's page cache keeps this one as it was): send again.
  return () => {
    sent = false;
    for (const button of form.querySelectorAll("button[type=submit]")) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  };
}
