/* The problem-class picker: frequent classes as chips, a search over the whole catalogue (both
   languages' names, codes and major classes), the chosen class in a hidden input. */

import { $, $$, el, fill, fmt } from "../lib/dom.js";
import { hideBlockError } from "./forms.js";

/** Up to `limit` classes whose code, name, other-language name or major class holds `query`. */
export function matchClasses(classes, query, limit = 12) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  return classes
    .filter((c) => [c.code, c.name, c.alt || "", c.major].some((text) => text.toLowerCase().includes(q)))
    .slice(0, limit);
}

/**
 * The picker of the report form. classes: the catalogue ({code, name, alt, major, minor});
 * T: the page's texts (noMatch, selected).
 */
export function createClassPicker({ form, classes, T }) {
  const byCode = new Map(classes.map((c) => [c.code, c]));
  const chosenInput = $("#report-class");

  function chip(entry, withCode) {
    return el(
      "button",
      {
        type: "button",
        className: "chip",
        dataset: { code: entry.code },
        "aria-pressed": String(entry.code === chosenInput.value),
        text: entry.name,
      },
      [
        withCode ? el("span", { className: "code", text: " " + entry.code }) : null,
        entry.minor ? el("span", { className: "minor", text: " ✓" }) : null,
      ],
    );
  }

  function search() {
    const box = $("#class-results");
    const query = $("#class-search").value;
    if (!query.trim()) {
      box.textContent = "";
      return;
    }
    const found = matchClasses(classes, query);
    fill(box, found.length ? found.map((entry) => chip(entry, true)) : [el("p", { className: "muted", text: T.noMatch })]);
  }

  function select(code) {
    chosenInput.value = code || "";
    for (const node of $$(".chip", form)) node.setAttribute("aria-pressed", String(node.dataset.code === code));
    const entry = byCode.get(code);
    const shown = $("#class-selected");
    shown.hidden = !entry;
    shown.textContent = entry ? fmt(T.selected, { name: `${entry.name} (${entry.code})` }) : "";
    if (entry) hideBlockError($('[data-field="class_code"]', form));
  }

  /* Enter in the search picks the only match. */
  function pickOnlyMatch() {
    const found = matchClasses(classes, $("#class-search").value);
    if (found.length === 1) select(found[0].code);
  }

  return { search, select, pickOnlyMatch, get: (code) => byCode.get(code), chosen: () => chosenInput.value };
}
