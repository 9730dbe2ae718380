// Keeps a desk's queue fresh without a reload: every few seconds, while the person is not
// typing in a form, fetch the same page again and swap in the parts marked data-refresh.
(function () {
  "use strict";
  var marked = document.querySelectorAll("[data-refresh]");
  if (!marked.length || !window.fetch || !window.DOMParser) return;
  var seconds = Number(document.body.dataset.refreshSeconds) || 30;

  function busy() {
    var active = document.activeElement;
    return active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function refresh() {
    if (document.hidden || busy()) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // A redirect to the login page means the session ended: leave the page as it is.
        if (!response.ok || response.redirected) throw new Error("stale");
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        marked.forEach(function (old) {
          var replacement = fresh.getElementById(old.id);
          if (replacement && replacement.innerHTML !== old.innerHTML) old.innerHTML = replacement.innerHTML;
        });
      })
      .catch(function () {});
  }

  window.setInterval(refresh, seconds * 1000);
})();
