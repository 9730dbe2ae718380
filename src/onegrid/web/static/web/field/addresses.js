/* The standard address picker of the report form. Online only: a search on the address API
   (near the GPS point when there is one). A chosen address is sent alone (address_code, no
   lon/lat): the server takes its point and grid. Names and codes are shown as text. */

import { $, el, fill, fmt } from "../lib/dom.js";
import { hideBlockError } from "./forms.js";
import { sessionEnded } from "./sender.js";
import { isOffline, setAuthLost } from "./status.js";

/**
 * The picker, or a stand-in that does nothing where the page has none (people who see no
 * addresses). reportMap: where the chosen address is drawn.
 */
export function createAddressPicker({ form, conf, T, reportMap }) {
  const picker = $("#address-picker");
  let chosen = null; // {code, name, lon?, lat?}
  let timer = null;
  let seq = 0;

  if (!picker) {
    return { present: false, chosen: () => null, code: () => "", choose: () => {}, showNetwork: () => {} };
  }

  const results = $("#address-results");
  const searchInput = $("#address-search");

  function showNetwork() {
    const offline = isOffline();
    $("#address-offline").hidden = !offline;
    searchInput.disabled = offline;
    if (offline) results.textContent = "";
  }

  function note(text) {
    fill(results, [el("p", { className: "muted", text })]);
  }

  function option(item) {
    const parts = [item.code, item.grid_name || ""];
    if (item.distance_m !== null && item.distance_m !== undefined) {
      parts.push(fmt(T.addressDistance, { m: Math.round(item.distance_m) }));
    }
    const button = el("button", { type: "button", className: "address-option", dataset: { address: item.code }, text: item.name }, [
      el("span", { className: "where", text: parts.filter(Boolean).join(" · ") }),
    ]);
    button.addEventListener("click", () => choose(item));
    return button;
  }

  async function search() {
    const query = searchInput.value.trim();
    const mine = ++seq;
    if (!query) {
      results.textContent = "";
      return;
    }
    if (isOffline()) {
      showNetwork();
      return;
    }
    const params = new URLSearchParams({ q: query, limit: "10" });
    const point = reportMap.point();
    if (point && point.source === "gps") {
      params.set("near_lon", point.lon.toFixed(7));
      params.set("near_lat", point.lat.toFixed(7));
    }
    let response;
    let data = null;
    try {
      response = await fetch(`${conf.addressesUrl}?${params}`, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    } catch (error) {
      if (mine === seq) note(T.addressNeedsNetwork);
      return;
    }
    if (mine !== seq) return; // a newer search is on its way
    const status = response.status;
    // As for the queue: a lost session asks for a sign-in; another 4xx shows the server's
    // message; a 5xx is the network's fault.
    const lost = sessionEnded(status, data, response.redirected);
    setAuthLost("address", lost);
    if (lost) {
      note(T.addressSignIn);
      return;
    }
    if (status >= 400 && status < 500) {
      note((data && data.message) || fmt(T.serverError, { status }));
      return;
    }
    if (status < 200 || status >= 300 || !data) {
      note(T.addressNeedsNetwork);
      return;
    }
    const items = data.items || [];
    if (!items.length) note(T.addressNone);
    else fill(results, items.map(option));
  }

  function choose(entry) {
    chosen = entry || null;
    $("#report-address-code").value = entry ? entry.code : "";
    const shown = $("#address-selected");
    shown.hidden = !entry;
    $("span", shown).textContent = entry ? fmt(T.addressChosen, { name: entry.name, code: entry.code }) : "";
    results.textContent = "";
    searchInput.value = "";
    if (entry) hideBlockError($('[data-field="location"]', form));
    reportMap.showAddress(chosen);
  }

  searchInput.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  searchInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // not a submit of the report
  });
  $("#address-clear").addEventListener("click", () => choose(null));

  return {
    present: true,
    chosen: () => chosen,
    code: () => $("#report-address-code").value,
    choose,
    showNetwork,
  };
}
