/* The Queue tab: what waits on the phone (with the server's word on refused items, and buttons
   to edit or discard them), and what this worker sent from it. Labels are shown as text. */

import { $, el, fill, fmt } from "../lib/dom.js";
import { setAuthLost } from "./status.js";

/** MM-DD HH:MM of a time in ms, in the phone's zone. */
export function timeOf(ms) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** The queue view of `outbox`. conf: the page's config (caseUrl); T: its texts. */
export function createQueueView({ outbox, conf, T }) {
  let timer = null;

  function statusText(item, status, waitingKeys) {
    const texts = { sending: T.sendingItem, auth: T.authItem, refused: T.refused, other: T.otherUser };
    if (texts[status]) return texts[status];
    return item.after && waitingKeys.has(item.after) ? T.waitsForReport : T.waiting;
  }

  function row(item, waitingKeys) {
    const status = outbox.shownStatus(item);
    const buttons = [];
    if (status === "refused" && item.kind === "report") {
      buttons.push(el("button", { type: "button", className: "primary", dataset: { edit: item.key }, text: T.edit }));
    }
    if (status === "refused" || status === "other") {
      buttons.push(el("button", { type: "button", dataset: { discard: item.key }, text: T.discard }));
    }
    return el("li", { className: "queue-item", dataset: { key: item.key, status } }, [
      el("p", { className: "what", text: item.label }),
      el("p", { className: "muted", text: `${timeOf(item.createdAt)} · ${fmt(T.photos, { n: item.photos.length })}` }),
      el("p", { className: "status", text: statusText(item, status, waitingKeys) }),
      status === "refused" && item.error
        ? el("p", { className: "error", role: "alert", text: item.error.message })
        : null,
      buttons.length ? el("p", { className: "buttons" }, buttons) : null,
    ]);
  }

  async function render() {
    const items = await outbox.items();
    const waitingKeys = new Set(items.map((i) => i.key));
    const mineWaitingSignIn = items.some((i) => i.user === outbox.user && i.status === "auth");
    setAuthLost("queue", mineWaitingSignIn);
    if (!mineWaitingSignIn) setAuthLost("send", false);
    const count = $("#queue-count");
    count.textContent = String(items.length);
    count.hidden = items.length === 0;
    $("#queue-summary").textContent = items.length ? fmt(T.queueCount, { n: items.length }) : T.queueEmpty;
    fill($("#queue-list"), items.map((item) => row(item, waitingKeys)));
    await renderSent();
  }

  async function renderSent() {
    const rows = (await outbox.sentRows()).slice(0, 10);
    fill(
      $("#sent-list"),
      rows.map((r) =>
        el("li", {}, [
          `${timeOf(r.at)} · ${r.label}${r.stateLabel ? " · " + r.stateLabel : ""} · `,
          el("a", { href: conf.caseUrl.replace("NUMBER", encodeURIComponent(r.number)), text: r.number }),
        ]),
      ),
    );
  }

  /* Soon, once: several changes in a row draw the queue once. */
  function renderSoon() {
    clearTimeout(timer);
    timer = setTimeout(render, 50);
  }

  return { render, renderSoon };
}
