// The counter's redeem form is sent once (static/web/points/submit_once.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { submitOnce } from "../../src/onegrid/web/static/web/points/submit_once.js";

function fakeForm() {
  const listeners = [];
  const buttons = [0, 1].map(() => {
    const attributes = new Map();
    return {
      disabled: false,
      attributes,
      setAttribute: (name, value) => attributes.set(name, String(value)),
      removeAttribute: (name) => attributes.delete(name),
    };
  });
  return {
    buttons,
    addEventListener: (type, listener) => {
      if (type === "submit") listeners.push(listener);
    },
    querySelectorAll: (selector) => {
      assert.equal(selector, "button[type=submit]");
      return buttons;
    },
    submit() {
      const event = {
        prevented: false,
        preventDefault() {
          this.prevented = true;
        },
      };
      for (const listener of listeners) listener(event);
      return !event.prevented;
    },
  };
}

test("the first submit goes and disables the buttons; later ones are stopped", () => {
  const form = fakeForm();
  submitOnce(form);
  assert.equal(form.submit(), true);
  assert.ok(form.buttons.every((b) => b.disabled && b.attributes.get("aria-busy") === "true"));
  assert.equal(form.submit(), false, "a double click sends nothing more");
  assert.equal(form.submit(), false);
});

test("after a reset (back to a cached page) the form may be sent again", () => {
  const form = fakeForm();
  const reset = submitOnce(form);
  form.submit();
  reset();
  assert.ok(form.buttons.every((b) => !b.disabled && !b.attributes.has("aria-busy")));
  assert.equal(form.submit(), true);
  assert.equal(form.submit(), false);
});
