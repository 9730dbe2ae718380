/* The field app (templates/web/field/home.html): the page's entry module, which reads the page's
   data and wires the parts together.

   field/store.js     IndexedDB (or memory) behind one small interface
   field/outbox.js    the write-ahead queue: claims per tab, sending, refusals, self-close order
   field/sender.js    one POST with its idempotency key, and what its answer means
   field/photos.js    shrinking, thumbnails, size check
   field/forms.js     errors next to the fields they are about
   field/classes.js   the problem-class picker
   field/report-map.js  the location: GPS or a tap on the map of the worker's grids
   field/addresses.js the standard address picker
   field/report.js    the Report tab; field/tasks.js the Tasks tab; field/queue-view.js the Queue
   field/status.js    toast, sign-in banner, offline line

   Every report and action is kept in IndexedDB before it is sent and leaves it only after a
   2xx, so a lost network loses nothing; its idempotency key means a retry creates nothing
   twice. Texts come translated from the page (#field-i18n); data from the page and the API
   is shown as text. Nothing is loaded from the internet. */

import { $, fmt, readJson } from "./lib/dom.js";
import { createAddressPicker } from "./field/addresses.js";
import { createClassPicker } from "./field/classes.js";
import { clearBlockError } from "./field/forms.js";
import { createOutbox } from "./field/outbox.js";
import { showThumbs } from "./field/photos.js";
import { createQueueView } from "./field/queue-view.js";
import { createReportForm } from "./field/report.js";
import { createReportMap } from "./field/report-map.js";
import { createSender, csrfFromCookie } from "./field/sender.js";
import { isOffline, setAuthLost, showNetwork, toast } from "./field/status.js";
import { browserStore } from "./field/store.js";
import { createSubmitter } from "./field/submit.js";
import { actionUrlFor, createTasks } from "./field/tasks.js";

const CONF = readJson("field-config");
const T = readJson("field-i18n");
const CLASSES = readJson("field-classes");
const GRIDS = readJson("field-grids");

// ---------------------------------------------------------------- the queue

const store = browserStore({ idb: window.indexedDB, onFallback: () => toast(T.storageFailed, "warn") });
const send = createSender({
  fetch: (...args) => window.fetch(...args),
  csrfToken: () => csrfFromCookie(document.cookie, CONF.csrfCookie),
  describe: (status) => fmt(T.serverError, { status }),
});
const outbox = createOutbox({
  store,
  user: CONF.user,
  send,
  actionUrl: (caseId, action) => actionUrlFor(CONF.actionUrl, caseId, action),
  messages: { reportDiscarded: T.reportDiscarded },
  isOnline: () => !isOffline(),
  changed: () => queueView.renderSoon(),
  sessionLost: (lost) => setAuthLost("send", lost),
  flushed: async (sent) => {
    if (sent) {
      toast(fmt(T.flushed, { n: sent }));
      tasks.refresh(true);
    }
    await queueView.render();
  },
});
const flush = () => outbox.flush();

// ---------------------------------------------------------------- the tabs' parts

const queueView = createQueueView({ outbox, conf: CONF, T });
const submitFromForm = createSubmitter({ outbox, queueView, T });
const tasks = createTasks({ outbox, queueView, submitFromForm, conf: CONF, T });
const reportFormNode = $("#report-form");
const classPicker = createClassPicker({ form: reportFormNode, classes: CLASSES, T });
const reportMap = createReportMap({
  form: reportFormNode,
  conf: CONF,
  grids: GRIDS,
  T,
  // The tapped point is what gets sent: it replaces a chosen standard address.
  onTap: () => {
    if (addressPicker.chosen()) addressPicker.choose(null);
  },
});
const addressPicker = createAddressPicker({ form: reportFormNode, conf: CONF, T, reportMap });
const reportForm = createReportForm({
  conf: CONF,
  T,
  outbox,
  submitFromForm,
  classPicker,
  reportMap,
  addressPicker,
  queueView,
  tasks,
  openTab: (name) => showTab(name, true),
});

/* Discard a refused item (or another user's, after asking) and the self-close waiting for it. */
async function discardItem(key) {
  const item = await outbox.get(key);
  if (!item) return;
  if (item.user !== CONF.user && !window.confirm(T.discardOther)) return;
  await outbox.discard(key);
  queueView.render();
}

/* Signing out drops the kept copy of this page (it lists this worker's tasks), so nobody sees
   it offline after them. What waits in the queue stays: it is sent once its owner signs in. */
async function forgetPage(event) {
  if (!window.caches || event.target.dataset.forgotten) return;
  event.preventDefault();
  try {
    for (const name of await caches.keys()) {
      if (name.startsWith("onegrid-field-")) await (await caches.open(name)).delete(CONF.scope);
    }
  } catch (error) {
    // the sign-out matters more than the cache
  }
  event.target.dataset.forgotten = "1";
  event.target.submit();
}

// ---------------------------------------------------------------- tabs

function showTab(name, remember, initial) {
  if (!$(`#tab-${CSS.escape(name)}`)) name = "tasks";
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.dataset.tab !== name;
  for (const tab of document.querySelectorAll('.field-tabs [role="tab"]')) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  }
  if (name === "report") {
    reportMap.init();
    reportMap.resize();
    if (!reportMap.manual()) reportMap.startGps();
  } else {
    reportMap.stopGps();
  }
  if (name === "queue") queueView.render();
  if (name === "tasks" && !initial) tasks.refresh();
  if (remember) history.replaceState(null, "", "#" + name);
}

// ---------------------------------------------------------------- wiring

document.addEventListener("click", (event) => {
  const tab = event.target.closest('.field-tabs [role="tab"]');
  if (tab) {
    event.preventDefault();
    showTab(tab.dataset.tab, true);
    return;
  }
  const chip = event.target.closest(".chip[data-code]");
  if (chip) {
    classPicker.select(chip.dataset.code);
    return;
  }
  const submit = event.target.closest('.action-form button[name="action"]');
  if (submit) submit.form.dataset.action = submit.value; // for browsers without event.submitter
  const discard = event.target.closest("[data-discard]");
  if (discard) discardItem(discard.dataset.discard);
  const edit = event.target.closest("[data-edit]");
  if (edit) reportForm.edit(edit.dataset.edit);
});
document.addEventListener("submit", (event) => {
  if (event.target.matches(".action-form")) tasks.submitAction(event);
  else if (new URL(event.target.action, location.href).pathname === CONF.logoutUrl) forgetPage(event);
});
document.addEventListener("change", (event) => {
  if (event.target.matches('input[type="file"]')) showThumbs(event.target);
  else clearBlockError(event.target);
});
document.addEventListener("input", (event) => clearBlockError(event.target));
$("#loc-gps").addEventListener("click", () => reportMap.startGps());
$("#queue-send").addEventListener("click", () => flush());
$("#class-search").addEventListener("input", () => classPicker.search());
$("#class-search").addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  event.preventDefault();
  classPicker.pickOnlyMatch();
});
window.addEventListener("online", () => {
  showNetwork();
  addressPicker.showNetwork();
  flush();
});
window.addEventListener("offline", () => {
  showNetwork();
  addressPicker.showNetwork();
});
window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) {
    flush();
    tasks.refresh();
  }
});

showNetwork();
addressPicker.showNetwork();
showTab(location.hash.slice(1) || (CONF.photoRequired ? "tasks" : "report"), false, true);
outbox.forgetOldSent().catch(() => {});
tasks.markQueuedCards().catch(() => {});
flush();
setInterval(flush, CONF.retrySeconds * 1000);
setInterval(() => tasks.refresh(), CONF.pollSeconds * 1000);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(CONF.swUrl, { scope: CONF.scope }).catch(() => {});
}
