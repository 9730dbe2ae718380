/* Starts the top bar's bell (lib/bell.js) on every signed-in page: the template renders the
   count the page was made with; this keeps it fresh. */
import { createBell, renderBell } from "./lib/bell.js";

const bell = document.getElementById("bell");
const badge = document.getElementById("bell-count");

if (bell && badge && bell.dataset.unreadUrl) {
  const labels = {
    none: bell.dataset.labelNone,
    one: bell.dataset.labelOne,
    other: bell.dataset.labelOther,
  };
  const loop = createBell({
    fetch: (url, options) => window.fetch(url, options),
    url: bell.dataset.unreadUrl,
    seconds: Number(bell.dataset.seconds) || 60,
    timers: {
      every: (fn, ms) => window.setInterval(fn, ms),
      cancel: (id) => window.clearInterval(id),
    },
    isHidden: () => document.hidden,
    show: (n) => renderBell(bell, badge, n, labels),
  });
  loop.start(Number(bell.dataset.unread));
  document.addEventListener("visibilitychange", () => loop.visible());
}
