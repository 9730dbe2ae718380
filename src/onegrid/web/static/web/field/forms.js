/* Errors next to the fields they are about, in the field app's forms: the phone's own checks
   and the server's refusals (its messages shown as text). */

import { $, $$ } from "../lib/dom.js";

// Where a server error about a field is shown in the forms.
export const SLOT = {
  lon: "location",
  lat: "location",
  crs: "location",
  location: "location",
  address_code: "location",
  photos: "photos",
  class_code: "class_code",
  case_class: "class_code",
  description: "description",
  address: "address",
  reason: "reason",
  result: "result",
};

/** A server refusal as a list of {field, message}: its per-field errors, else the one message. */
export function serverErrors(error) {
  if (error.errors && error.errors.length) {
    return error.errors.map((e) => ({ field: e.field, message: e.message }));
  }
  return [{ field: error.field, message: error.message }];
}

/** The error slot of a form that shows errors about `field`. */
export function slotName(field) {
  return Object.prototype.hasOwnProperty.call(SLOT, field) ? SLOT[field] : field;
}

export function clearErrors(form) {
  for (const slot of $$("[data-error-for]", form)) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const block of $$("[data-invalid]", form)) delete block.dataset.invalid;
  for (const input of $$("[aria-invalid]", form)) input.removeAttribute("aria-invalid");
}

export function showError(form, field, message) {
  const name = slotName(field || "_form");
  const slot =
    $(`[data-error-for="${CSS.escape(String(name))}"]`, form) || $('[data-error-for="_form"]', form);
  slot.textContent = slot.hidden || !slot.textContent ? message : slot.textContent + " " + message;
  slot.hidden = false;
  const block = slot.closest(".field-block");
  if (block) {
    block.dataset.invalid = "";
    for (const input of $$("input:not([type=hidden]), textarea, select", block)) {
      input.setAttribute("aria-invalid", "true");
    }
  }
  return slot;
}

export function showErrors(form, errors) {
  let first = null;
  for (const { field, message } of errors) {
    const slot = showError(form, field, message);
    first = first || slot;
  }
  if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
}

/** Hides the error of the block holding `input` (and of nothing else). */
export function hideBlockError(block) {
  if (!block) return;
  for (const slot of $$("[data-error-for]", block)) slot.hidden = true;
  delete block.dataset.invalid;
}

// Once the worker changes a field, its old error goes (the server's word stays elsewhere).
export function clearBlockError(input) {
  const block = input.closest && input.closest(".field-block[data-invalid]");
  if (!block || input.type === "search") return;
  hideBlockError(block);
  for (const node of $$("[aria-invalid]", block)) node.removeAttribute("aria-invalid");
}
