/* The volunteer's phone pages: activities near me (the phone's position), and on an activity's
   page the sign-up, check-in and check-out buttons, which send the phone's GPS to the JSON API.
   Rules and messages come from the server; logic.js holds what the buttons send. */

import { $, $$, el, fill, fmt, readJson } from "../lib/dom.js";
import { csrfFromCookie } from "../field/sender.js";
import { actionKey, distanceText, forgetKey, locationBody, meaning, shortTime } from "./logic.js";

const config = readJson("volunteering-config");
const strings = config.strings;

function status(text, field) {
  const node = $("#volunteering-status");
  if (!node) return;
  node.textContent = text;
  node.hidden = !text;
  node.dataset.field = field || "";
}

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error("no geolocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(resolve, reject, {
      enableHighAccuracy: true,
      timeout: 20000,
      maximumAge: 30000,
    });
  });
}

async function post(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfFromCookie(document.cookie, config.csrfCookie),
      },
      body: JSON.stringify(body),
    });
  } catch {
    return meaning(0, null, strings);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return meaning(response.status, data, strings);
}

// --- activities near me ---

async function showNear(root) {
  const list = $("#near-list", root);
  status(strings.locating);
  let where;
  try {
    where = await position();
  } catch {
    status(strings.noPosition);
    return;
  }
  const query = new URLSearchParams({
    lon: String(where.coords.longitude),
    lat: String(where.coords.latitude),
  });
  let items;
  try {
    const response = await fetch(`${config.nearUrl}?${query}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    items = await response.json();
  } catch {
    status(strings.retry);
    return;
  }
  status("");
  if (!items.length) {
    fill(list, [el("li", { className: "muted", text: strings.noneNear })]);
    return;
  }
  fill(
    list,
    items.map((a) =>
      el("li", { className: "near-item", dataset: { activity: String(a.id) } }, [
        el("a", { href: config.activityUrl.replace("0", String(a.id)), text: a.title }),
        " ",
        el("span", { className: "muted", text: distanceText(a.distance_m) }),
        el("br"),
        el("span", {
          text: fmt(strings.when, {
            start: shortTime(a.starts_at),
            place: a.place || a.community,
            left: a.places_left,
          }),
        }),
      ]),
    ),
  );
}

// --- one activity's buttons ---

async function act(button) {
  const action = button.dataset.action;
  const activityId = config.activityId;
  const key = actionKey(localStorage, activityId, action);
  let body = { idempotency_key: key };
  if (action === "check-in" || action === "check-out") {
    status(strings.locating);
    try {
      body = locationBody(await position(), key);
    } catch {
      status(strings.noPosition, "location");
      return;
    }
  }
  button.disabled = true;
  status(strings.sending);
  const result = await post(config.actionUrls[action], body);
  button.disabled = false;
  if (result.outcome === "done" || result.outcome === "refused") forgetKey(localStorage, activityId, action);
  if (result.outcome === "done") {
    status(strings.done);
    window.location.reload();
    return;
  }
  status(result.message, result.field);
}

function start() {
  const near = $("#near-activities");
  if (near) {
    showNear(near);
    const again = $("#near-refresh");
    if (again) again.addEventListener("click", () => showNear(near));
  }
  for (const button of $$("button[data-action]")) {
    button.addEventListener("click", () => act(button));
  }
}

start();
