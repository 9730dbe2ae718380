/* "Already reported nearby": before a report is sent, the open cases close by that are likely
   the same problem (POST /api/v1/smart/duplicates, smart/duplicates.py).

   Once the report form knows a place (GPS point, tapped point or standard address) and a class,
   the check runs, debounced, and again whenever they or the words change. The hint is text
   only: class, street and community, distance, time and state (a case the reporter may see also
   its number, the start of its description and a link). It never blocks: the reporter sends
   theirs anyway (the desk merges duplicates and links every reporter) or leaves it, following
   the case already reported. Offline, or when the server does not answer, nothing is shown and
   nothing is said: the hint is a courtesy, not a step of the report. */

import { $, el, fill } from "../lib/dom.js";
import { createLiveCheck } from "./live-check.js";

export const CHECK_DELAY_MS = 700;
export const WATCH_MS = 1000;
export const CHECK_TIMEOUT_MS = 8000;

/**
 * The check's JSON body for the form's fields ({lon, lat, crs, address_code, class_code,
 * description, address}), or null while the place or the class is missing.
 */
export function checkBody(fields) {
  const classCode = (fields.class_code || "").trim();
  if (!classCode) return null;
  const text = [fields.description, fields.address].map((t) => (t || "").trim()).filter(Boolean).join(" ");
  if (fields.address_code) return { address_code: fields.address_code, class_code: classCode, text };
  const lon = Number(fields.lon);
  const lat = Number(fields.lat);
  if (fields.lon === "" || fields.lat === "" || !Number.isFinite(lon) || !Number.isFinite(lat)) return null;
  return { lon, lat, crs: fields.crs || "wgs84", class_code: classCode, text };
}

/** What makes two checks the same: a point moved by less than ~10 m asks nothing new. */
export function bodyKey(body) {
  if (!body) return "";
  const place = body.address_code ? body.address_code : `${body.lon.toFixed(4)},${body.lat.toFixed(4)},${body.crs}`;
  return JSON.stringify([place, body.class_code, body.text]);
}

/** "03-10 09:00" in the phone's clock, from the API's ISO time (Asia/Shanghai offset). */
export function shortTime(iso) {
  const match = /^\d{4}-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(String(iso || ""));
  return match ? `${match[1]}-${match[2]} ${match[3]}:${match[4]}` : "";
}

/** One line per candidate: {text, detail, url} — all plain text, shown with textContent. */
export function hintItems(candidates, T) {
  return (candidates || []).map((c) => {
    const distance = (c.reasons || []).find((r) => r.code === "distance");
    const parts = [
      c.number ? `${c.number} · ${c.class_name}` : c.class_name,
      c.place,
      distance ? distance.text : "",
      shortTime(c.reported_at),
      c.state_label,
    ].filter(Boolean);
    return {
      text: parts.join(" · "),
      detail: c.description || "",
      url: c.url || null,
      open: Boolean(c.open),
    };
  });
}

/**
 * The hint's content for `candidates` (null when there are none): the title, one line each,
 * what happens if the reporter sends anyway, and a button to leave the report unsent.
 */
export function hintNode(candidates, T, doc) {
  const items = hintItems(candidates, T);
  if (!items.length) return null;
  const lines = items.map((item) =>
    el(
      "li",
      {},
      [
        item.text,
        item.detail ? el("div", { className: "muted", text: item.detail }, [], doc) : null,
        item.url ? el("a", { href: item.url, target: "_blank", text: T.view }, [], doc) : null,
      ],
      doc,
    ),
  );
  return el(
    "div",
    {},
    [
      el("p", { className: "hint-title", text: T.title }, [], doc),
      el("ul", {}, lines, doc),
      el("p", { className: "hint", text: T.sendAnyway }, [], doc),
      el("button", { type: "button", className: "link", dataset: { duplicateSkip: "1" }, text: T.skip }, [], doc),
    ],
    doc,
  );
}

/**
 * The check itself, without the page: `poke()` reads the fields and, when they changed, asks
 * the server after `delay` ms of quiet; `show(candidates)` gets what to show ([] to hide).
 * Answers to an older question are dropped; offline or on any failure, `show([])`
 * (field/live-check.js; fetch, url, csrfToken, isOffline, show and timers go to it as given).
 */
export function createDuplicateCheck({ readFields, delay = CHECK_DELAY_MS, timeoutMs = CHECK_TIMEOUT_MS, ...rest }) {
  return createLiveCheck({
    ...rest,
    delay,
    timeoutMs,
    listName: "candidates",
    question: () => {
      const body = checkBody(readFields());
      return body ? { body, key: bodyKey(body) } : null;
    },
  });
}

/**
 * The hint on the report form: a box just above the send button, checked while the form is
 * shown. onSkip(): the reporter leaves theirs unsent (the form is emptied).
 */
export function createDuplicateHint({ form, conf, T, csrfToken, isOffline, onSkip }) {
  const box = el("div", { id: "duplicate-hint", className: "duplicate-hint", role: "status", "aria-live": "polite" });
  box.hidden = true;
  const submit = $("#report-submit", form);
  submit.parentNode.insertBefore(box, submit);

  const check = createDuplicateCheck({
    fetch: (...args) => window.fetch(...args),
    url: conf.duplicatesUrl,
    csrfToken,
    isOffline,
    readFields: () => ({
      lon: $("#report-lon", form).value,
      lat: $("#report-lat", form).value,
      crs: $("#report-crs", form).value,
      address_code: ($("#report-address-code", form) || { value: "" }).value,
      class_code: $("#report-class", form).value,
      description: $("#report-description", form).value,
      address: $("#report-address", form).value,
    }),
    show: (candidates) => {
      const node = hintNode(candidates, T);
      box.hidden = !node;
      fill(box, node ? [node] : []);
    },
  });

  const poke = () => {
    if (!form.hidden && !document.hidden) check.poke();
  };
  // The place arrives from the GPS, a tap or a picked address without an input event: the
  // fields are watched as well as listened to.
  for (const type of ["input", "change", "click"]) form.addEventListener(type, () => setTimeout(poke, 0));
  setInterval(poke, WATCH_MS);
  box.addEventListener("click", (event) => {
    if (!event.target.closest("[data-duplicate-skip]")) return;
    check.clear();
    onSkip();
  });
  return { clear: () => check.clear(), poke };
}
