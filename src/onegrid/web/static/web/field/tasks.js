/* The Tasks tab: the server-rendered cards of cases to verify or check (and my own reports),
   each with the on-site actions the workflow offers; refreshed without a reload. */

import { $, $$, fmt, moveChildren, parseServerHtml } from "../lib/dom.js";
import { clearErrors, showErrors } from "./forms.js";
import { newKey } from "./outbox.js";
import { photosOf, tooLarge } from "./photos.js";
import { isOffline, setAuthLost } from "./status.js";

/** Where a case's action is posted: the config's URL with the case and action in place. */
export function actionUrlFor(template, caseId, action) {
  return template.replace("CASE", encodeURIComponent(caseId)).replace("ACTION", encodeURIComponent(action));
}

/**
 * The tasks of the page. outbox: the queue; queueView: redrawn after each action;
 * submitFromForm: field/submit.js.
 */
export function createTasks({ outbox, queueView, submitFromForm, conf, T }) {
  let loading = false;

  /* A card whose action still waits on the phone says so and offers no second go: a fresh
     list (or the kept page, offline) would otherwise invite the same work twice. */
  function markCard(card, text, warn) {
    card.classList.add("done");
    const sheet = $("details.sheet", card);
    if (sheet) {
      sheet.open = false;
      sheet.hidden = true;
    }
    const line = $(".done-line", card);
    if (line) {
      line.hidden = false;
      line.textContent = text;
      line.classList.toggle("warn", warn);
    }
  }

  async function markQueuedCards() {
    for (const item of await outbox.items()) {
      if (item.kind !== "action" || !item.caseId || item.user !== conf.user) continue;
      for (const card of $$(`.card[data-case-id="${CSS.escape(item.caseId)}"]`)) {
        markCard(card, item.status === "refused" ? T.refused + ": " + item.error.message : T.queued, true);
      }
    }
  }

  async function refresh(force) {
    const body = $("#tasks-body");
    if (loading || isOffline() || document.hidden) return;
    if (!force && $("#tab-tasks").hidden) return;
    // Never throw away what the worker is filling in.
    if ($("details.sheet[open]", body) || $$("textarea, input[type=file]", body).some((i) => i.value)) return;
    loading = true;
    try {
      const response = await fetch(conf.tasksUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.redirected || response.status === 401) {
        setAuthLost("page", true);
        return;
      }
      setAuthLost("page", false);
      if (!response.ok) return;
      const html = await response.text();
      if ($("details.sheet[open]", body)) return;
      // The server's escaped HTML, parsed inert and moved in as nodes (lib/dom.js).
      moveChildren(body, parseServerHtml(html).body);
      $("#tasks-count").textContent = $("#tasks-total", body).dataset.count;
      await markQueuedCards();
    } catch (error) {
      // offline: the list stays as it was
    } finally {
      loading = false;
    }
  }

  async function submitAction(event) {
    const form = event.target;
    event.preventDefault();
    const action = (event.submitter && event.submitter.value) || form.dataset.action;
    if (!action) return;
    clearErrors(form);
    const input = $('input[type="file"]', form);
    const reason = $('textarea[name="reason"]', form).value.trim();
    const chosen = $('input[name="result"]:checked', form);
    const errors = [];
    if (action === "self_close" && !input.files.length) errors.push({ field: "photos", message: T.needAfterPhoto });
    if (action === "verify" && !chosen) errors.push({ field: "result", message: T.needResult });
    if (action === "fail_check" && !reason) errors.push({ field: "reason", message: T.needReason });
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const buttons = $$("button", form);
    buttons.forEach((b) => (b.disabled = true));
    try {
      const photos = await photosOf(input);
      const big = tooLarge(photos, conf.maxPhotoBytes, T.photoTooLarge);
      if (big) {
        showErrors(form, [{ field: "photos", message: big }]);
        return;
      }
      const fields = { reason };
      if (action === "verify") fields.result = chosen.value;
      const actionLabel = T.actions[action] || action;
      const item = {
        key: newKey(),
        user: conf.user,
        kind: "action",
        action,
        caseId: form.dataset.caseId,
        caseNumber: form.dataset.caseNumber,
        label: `${actionLabel} · ${form.dataset.className} ${form.dataset.caseNumber}`,
        url: actionUrlFor(conf.actionUrl, form.dataset.caseId, action),
        fields,
        photos,
        createdAt: Date.now(),
        status: "waiting",
      };
      const outcome = await submitFromForm(form, item);
      if (!outcome) return;
      const card = form.closest(".card");
      if (outcome.outcome === "sent") {
        const found = outcome.data.case;
        markCard(card, fmt(T.sentAction, { action: actionLabel, number: found.number, state: found.state_label }), false);
        const state = $(".state", card);
        state.textContent = found.state_label;
        state.className = "state state-" + found.state;
      } else {
        markCard(card, outcome.outcome === "auth" ? T.queuedAuth : T.queued, true);
      }
      queueView.render();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  return { refresh, markQueuedCards, submitAction };
}
