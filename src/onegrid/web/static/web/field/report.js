/* The Report tab: a report (photo, location or standard address, class, optional text), the
   self-close that may follow it on the spot, and editing a refused report from the queue. */

import { $, fmt } from "../lib/dom.js";
import { createDuplicateHint } from "./duplicates.js";
import { clearErrors, serverErrors, showErrors } from "./forms.js";
import { newKey } from "./outbox.js";
import { clearFiles, photosOf, setFiles, tooLarge } from "./photos.js";
import { csrfFromCookie } from "./sender.js";
import { isOffline, toast } from "./status.js";
import { createClassSuggestions } from "./suggest.js";

/**
 * The report form. Its parts: classPicker, reportMap, addressPicker; outbox and submitFromForm
 * (field/submit.js) to keep and send; queueView and tasks to redraw; openTab(name) to show
 * the Report tab when an item is edited.
 */
export function createReportForm(parts) {
  const { conf, T, outbox, submitFromForm, classPicker, reportMap, addressPicker, queueView, tasks, openTab } =
    parts;
  const form = $("#report-form");
  let editingKey = null; // the refused report being edited: replaced once the new one is accepted
  let lastReport = null; // the item just reported, for the self-close that may follow
  // "Already reported nearby" above the send button; leaving the report unsent empties the form.
  const duplicateHint = createDuplicateHint({
    form,
    conf,
    T: T.duplicates,
    csrfToken: () => csrfFromCookie(document.cookie, conf.csrfCookie),
    isOffline,
    onSkip: () => {
      reset();
      toast(T.duplicates.skipped);
    },
  });

  // Suggested classes while the reporter types; the top one pre-selected unless they chose.
  const classSuggestions = createClassSuggestions({
    form,
    conf,
    T: T.suggest,
    classPicker,
    csrfToken: () => csrfFromCookie(document.cookie, conf.csrfCookie),
    isOffline,
  });

  function missing() {
    const errors = [];
    if (conf.photoRequired && !$("#report-photo").files.length) errors.push({ field: "photos", message: T.needPhoto });
    if (!addressPicker.code() && (!$("#report-lon").value || !$("#report-lat").value)) {
      errors.push({ field: "location", message: T.needLocation });
    }
    if (!classPicker.chosen()) errors.push({ field: "class_code", message: T.needClass });
    return errors;
  }

  function itemOf(photos) {
    const addressCode = addressPicker.code();
    const address = addressCode ? addressPicker.chosen() : null;
    const classCode = classPicker.chosen();
    const entry = classPicker.get(classCode);
    return {
      key: newKey(),
      user: conf.user,
      kind: "report",
      action: "",
      label: `${T.report} · ${entry ? entry.name : classCode}${address ? " · " + address.name : ""}`,
      url: conf.reportUrl,
      // At a standard address the address alone is sent: a GPS point a little off, in the
      // next grid, would only make the server refuse the report.
      fields: {
        ...(addressCode
          ? { address_code: addressCode }
          : { lon: $("#report-lon").value, lat: $("#report-lat").value, crs: $("#report-crs").value }),
        class_code: classCode,
        description: $("#report-description").value.trim(),
        address: $("#report-address").value.trim(),
      },
      addressName: address ? address.name : "",
      photos,
      minor: Boolean(entry && entry.minor),
      createdAt: Date.now(),
      status: "waiting",
    };
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors(form);
    const errors = missing();
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const button = $("#report-submit");
    const label = button.textContent;
    button.disabled = true;
    button.textContent = T.sending;
    try {
      const photos = await photosOf($("#report-photo"));
      const big = tooLarge(photos, conf.maxPhotoBytes, T.photoTooLarge);
      if (big) {
        showErrors(form, [{ field: "photos", message: big }]);
        return;
      }
      const item = itemOf(photos);
      // An edited report keeps its old copy in the queue until one is accepted.
      const outcome = await submitFromForm(form, item);
      if (!outcome) return;
      if (editingKey) await outbox.replaceEdited(editingKey, item.key);
      finish(item, outcome);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  function finish(item, outcome) {
    lastReport = item;
    const messages = {
      sent: () => fmt(T.sentReport, { number: outcome.data.case.number }),
      auth: () => T.queuedAuth,
      slow: () => T.queuedSlow,
      wait: () => T.queued,
      retry: () => T.queued,
    };
    const text = (messages[outcome.outcome] || messages.retry)();
    reset();
    form.hidden = true;
    const after = $("#after-report");
    after.hidden = false;
    const line = $("#after-report-text");
    line.textContent = text;
    line.classList.toggle("warn", outcome.outcome !== "sent");
    const fix = $("#fix-form");
    fix.hidden = !(item.minor && conf.photoRequired);
    clearErrors(fix);
    clearFiles($("#fix-photo"));
    $("#fix-reason").value = "";
    $("#fix-submit").disabled = false;
    after.scrollIntoView({ block: "start" });
    queueView.render();
  }

  function reset() {
    duplicateHint.clear();
    classSuggestions.clear();
    clearErrors(form);
    clearFiles($("#report-photo"));
    $("#report-description").value = "";
    $("#report-address").value = "";
    addressPicker.choose(null);
    $("#class-search").value = "";
    $("#class-results").textContent = "";
    classPicker.select("");
    editingKey = null;
    $("#editing-note").hidden = true;
    // The next problem is usually close by: keep a GPS point, follow the GPS again.
    reportMap.forgetMapPoint();
    if (!$("#tab-report").hidden) reportMap.startGps();
  }

  function another() {
    $("#after-report").hidden = true;
    form.hidden = false;
    reportMap.resize();
    lastReport = null;
    $("#report-photo").focus();
  }

  async function submitFix(event) {
    event.preventDefault();
    const fixForm = $("#fix-form");
    clearErrors(fixForm);
    const input = $("#fix-photo");
    if (!input.files.length) {
      showErrors(fixForm, [{ field: "photos", message: T.needAfterPhoto }]);
      return;
    }
    if (!lastReport) return;
    const button = $("#fix-submit");
    button.disabled = true;
    const photos = await photosOf(input);
    const big = tooLarge(photos, conf.maxPhotoBytes, T.photoTooLarge);
    if (big) {
      showErrors(fixForm, [{ field: "photos", message: big }]);
      button.disabled = false;
      return;
    }
    const item = {
      key: newKey(),
      user: conf.user,
      kind: "action",
      action: "self_close",
      after: lastReport.key,
      label: `${T.actions.self_close} · ${lastReport.label.split(" · ").slice(1).join(" · ")}`,
      url: "",
      fields: { reason: $("#fix-reason").value.trim() },
      photos,
      createdAt: Date.now(),
      status: "waiting",
    };
    const outcome = await submitFromForm(fixForm, item);
    if (!outcome) {
      button.disabled = false;
      return;
    }
    fixForm.hidden = true;
    const line = $("#after-report-text");
    if (outcome.outcome === "sent") {
      const found = outcome.data.case;
      line.textContent = fmt(T.sentAction, { action: T.actions.self_close, number: found.number, state: found.state_label });
      line.classList.remove("warn");
      tasks.refresh(true);
    } else {
      line.textContent = outcome.outcome === "wait" ? T.selfCloseQueued : T.queued;
      line.classList.add("warn");
    }
    queueView.render();
  }

  /* A refused report back in the form, with the server's errors by their fields. */
  async function edit(key) {
    const item = await outbox.get(key);
    if (!item || item.kind !== "report") return;
    openTab("report");
    another();
    reset();
    editingKey = key;
    $("#editing-note").hidden = false;
    setFiles($("#report-photo"), item.photos);
    if (item.fields.lon && item.fields.lat) reportMap.setManualPoint(Number(item.fields.lon), Number(item.fields.lat));
    if (item.fields.address_code) {
      addressPicker.choose({ code: item.fields.address_code, name: item.addressName || item.fields.address_code });
    }
    classPicker.select(item.fields.class_code);
    $("#report-description").value = item.fields.description || "";
    $("#report-address").value = item.fields.address || "";
    if (item.error) showErrors(form, serverErrors(item.error));
  }

  form.addEventListener("submit", submit);
  $("#fix-form").addEventListener("submit", submitFix);
  $("#report-another").addEventListener("click", another);

  return { edit };
}
