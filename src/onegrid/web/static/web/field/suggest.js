/* Suggested class while the reporter types (POST /api/v1/smart/suggest, smart/suggestions.py).

   Once the description has a few characters, the text is sent, debounced, and the top three
   classes come back with their confidence; they show as chips under the description, and the
   top one is pre-selected in the class picker when the reporter has not chosen a class. A
   class the reporter chose (a chip, a search result, an edited report's class) is never
   replaced; a pre-selected class follows the text until the reporter chooses. Offline, without
   a trained model, or when the server does not answer, nothing is shown and nothing is said:
   the suggestion is a help, not a step of the report. Everything is text (lib/dom.js). */

import { $, el, fill, fmt } from "../lib/dom.js";
import { createLiveCheck } from "./live-check.js";

export const SUGGEST_DELAY_MS = 600;
export const SUGGEST_TIMEOUT_MS = 6000;
export const MIN_CHARS = 4;

/** The text worth asking about, or "" when it is too short. */
export function askable(text) {
  const trimmed = String(text || "").trim();
  return Array.from(trimmed).length >= MIN_CHARS ? trimmed : "";
}

/** "87%" from a probability; "<1%" and ">99%" at the ends (a calibrated model is never sure). */
export function percent(confidence) {
  const value = Number(confidence);
  if (!Number.isFinite(value)) return "";
  if (value < 0.005) return "<1%";
  if (value >= 0.995) return ">99%";
  return `${Math.round(value * 100)}%`;
}

/**
 * Which class to pre-select: the top suggestion's code when nothing is chosen, or when what is
 * chosen is the earlier pre-selection (the reporter has not chosen); otherwise null.
 */
export function preselection(suggestions, chosen, auto) {
  const top = (suggestions || [])[0];
  if (!top || !top.class_code) return null;
  if (chosen && chosen !== auto) return null;
  return top.class_code === chosen ? null : top.class_code;
}

/** The chips for the suggestions (null when there are none): text only. */
export function suggestionNode(suggestions, T, chosen, doc) {
  const items = (suggestions || []).filter((s) => s && (s.class_name || s.label));
  if (!items.length) return null;
  const chips = items.map((s) => {
    const words = fmt(T.confidence, { p: percent(s.confidence) });
    if (!s.class_code) {
      // A label the catalogue does not know: shown, not chosen.
      return el("span", { className: "chip muted", text: `${s.class_name || s.label} · ${words}` }, [], doc);
    }
    return el(
      "button",
      {
        type: "button",
        className: "chip suggested",
        dataset: { code: s.class_code, suggested: "1" },
        "aria-pressed": String(s.class_code === chosen),
        title: s.department ? fmt(T.goesTo, { name: s.department.name }) : null,
      },
      [s.class_name, el("span", { className: "confidence", text: ` · ${words}` }, [], doc)],
      doc,
    );
  });
  return el(
    "div",
    {},
    [el("p", { className: "hint-title", text: T.title }, [], doc), el("div", { className: "chips" }, chips, doc)],
    doc,
  );
}

/**
 * The asking itself, without the page: `poke()` reads the text and, when it changed, asks after
 * `delay` ms of quiet; `show(suggestions)` gets the answer ([] to hide). Answers to an older
 * text are dropped; offline or on any failure, `show([])` (field/live-check.js; fetch, url,
 * csrfToken, isOffline, show and timers go to it as given).
 */
export function createSuggester({ readText, delay = SUGGEST_DELAY_MS, timeoutMs = SUGGEST_TIMEOUT_MS, ...rest }) {
  return createLiveCheck({
    ...rest,
    delay,
    timeoutMs,
    listName: "suggestions",
    question: () => {
      const text = askable(readText());
      return text ? { body: { text }, key: text } : null;
    },
  });
}

/**
 * The suggestions on the report form: chips under the description, the top class pre-selected
 * in `classPicker` ({select, chosen}) unless the reporter chose one. T: {title, confidence,
 * goesTo}.
 */
export function createClassSuggestions({ form, conf, T, classPicker, csrfToken, isOffline }) {
  const description = $("#report-description", form);
  const box = el("div", { id: "class-suggestions", className: "class-suggestions", "aria-live": "polite" });
  box.hidden = true;
  description.parentNode.insertBefore(box, description.nextSibling);
  let auto = null; // the class this module pre-selected, while the reporter has not chosen

  const suggester = createSuggester({
    fetch: (...args) => window.fetch(...args),
    url: conf.suggestUrl,
    csrfToken,
    isOffline,
    readText: () => description.value,
    show: (suggestions) => {
      const code = preselection(suggestions, classPicker.chosen(), auto);
      if (code) {
        classPicker.select(code);
        auto = code;
      }
      const node = suggestionNode(suggestions, T, classPicker.chosen());
      box.hidden = !node;
      fill(box, node ? [node] : []);
    },
  });

  description.addEventListener("input", () => suggester.poke());
  // Any class chip the reporter presses (a suggestion, a frequent class, a search result) is
  // their choice from then on.
  form.addEventListener("click", (event) => {
    if (event.target.closest(".chip[data-code]")) auto = null;
  });
  return {
    clear() {
      auto = null;
      suggester.clear();
    },
    poke: () => suggester.poke(),
  };
}
