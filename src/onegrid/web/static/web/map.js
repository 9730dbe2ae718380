/* OneGrid live map: grids as vectors on Leaflet's canvas renderer, coloured by the viewer's open
 * or overdue cases; a grid's team and cases on click; new cases polled from live.json.
 * Every text comes translated from the page (#map-strings); nothing is fetched from the internet.
 * Grid, team and case texts are shown as text (lib/dom.js).
 */
import { el, fmt, readJson } from "./lib/dom.js";
import { DISTRICT_VIEW, bindText, createMap, fitTo } from "./lib/leaflet-map.js";
import { BIN_ORDER, alertStreetCodes, binColour, binKey, heatSwitch } from "./hotspots/layers.js";

var config = readJson("map-config");
var T = readJson("map-strings");

// Sequential scales (ColorBrewer Blues and Reds, 5 classes); no cases stays light.
var EMPTY = "#f5f4f1";
var SCALES = {
  open: { breaks: [1, 3, 6, 10, 20], colours: ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"] },
  overdue: { breaks: [1, 2, 4, 7, 12], colours: ["#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"] },
};
var TIMER_FILL = { green: "#1b7f3b", yellow: "#b8860b", red: "#c62828", none: "#555555" };
var OVERLAP_MS = 60 * 1000; // re-ask for the last minute: a slow report may commit late
var MAX_MARKERS = 500;

var mapEl = document.getElementById("map");
var statusEl = document.getElementById("map-status");
var legendEl = document.getElementById("map-legend");
var noticeEl = document.getElementById("new-cases");
var panelEl = document.getElementById("grid-panel");
var panelBody = document.getElementById("grid-panel-body");

var measure = "open";
var counts = {}; // grid code -> {open, overdue}
var totals = { open: 0, overdue: 0 };
var grids = {}; // grid code -> Leaflet layer
var gridCount = 0;
var selected = null;
var cursor = null; // ms since epoch: the server's "now" of the last poll
var floor = Date.parse(config.now); // cases reported before the page was made are not "new"
var seen = new Set();
var fresh = []; // markers of the cases not yet looked at
var pollTimer = null;
var stopped = false;
var detailRequest = 0;
// Hotspot layers (config.hotspotsUrl, for those who may see hotspots): Gi* classes per grid
// code, streets with a surge alert, the heat overlay; fetched when first shown, again after
// HOTSPOT_STALE_MS.
var hotBins = {};
var alertStreets = new Set();
var hotLoadedAt = 0;
var HOTSPOT_STALE_MS = 5 * 60 * 1000;

// --- helpers --------------------------------------------------------------------------------

function colourFor(n) {
  var scale = SCALES[measure];
  if (!n) return EMPTY;
  var colour = scale.colours[0];
  for (var i = 0; i < scale.breaks.length; i++) if (n >= scale.breaks[i]) colour = scale.colours[i];
  return colour;
}

function fillFor(code) {
  if (measure === "hotspot") return binColour(hotBins[code]) || EMPTY;
  return colourFor(gridValue(code));
}

function hasValue(code) {
  return measure === "hotspot" ? Boolean(binColour(hotBins[code])) : Boolean(gridValue(code));
}

function alerted(code) {
  var layer = grids[code];
  return measure === "hotspot" && Boolean(layer) && alertStreets.has(layer.feature.properties.street_code);
}

function gridValue(code) {
  var c = counts[code];
  return c ? c[measure] : 0;
}

// The server's time of day, in the site time zone (Asia/Shanghai), whatever the browser's zone.
function clockTime(iso) {
  return iso.slice(11, 19);
}

function setStatus(text, problem) {
  statusEl.textContent = text;
  statusEl.classList.toggle("problem", Boolean(problem));
}

function timerBadge(colour) {
  var key = TIMER_FILL[colour] ? colour : "none";
  return el("span", { className: "timer " + key, text: T["timer_" + key] });
}

// --- the map --------------------------------------------------------------------------------

var map = createMap(mapEl, config, {
  canvas: { padding: 0.5, tolerance: 3 },
  zoomSnap: 0.25,
  minZoom: 7,
  maxZoom: 19,
});
var renderer = map.options.renderer;
var markers = L.layerGroup().addTo(map);

// Over base tiles the fills turn see-through, and grids without cases nearly clear.
function fillOpacity(value) {
  if (!config.tileUrl) return 0.85;
  return value ? 0.6 : 0.1;
}

function gridStyle(code) {
  var chosen = code === selected;
  var outlined = alerted(code);
  return {
    color: chosen ? "#111111" : outlined ? "#6a1b9a" : "#7d7d7d",
    weight: chosen ? 3 : outlined ? 2.5 : 0.8,
    opacity: 1,
    fillColor: fillFor(code),
    fillOpacity: fillOpacity(hasValue(code)),
  };
}

function recolour() {
  Object.keys(grids).forEach(function (code) {
    var layer = grids[code];
    var style = gridStyle(code);
    if (layer.options.fillColor !== style.fillColor || layer.options.weight !== style.weight) layer.setStyle(style);
  });
}

function drawLegend() {
  legendEl.textContent = "";
  if (measure === "hotspot") {
    BIN_ORDER.forEach(function (bin) { legendEl.appendChild(legendItem(binColour(bin), T[binKey(bin)])); });
    legendEl.appendChild(legendItem(EMPTY, T.none));
    legendEl.appendChild(legendItem("#ffffff", T.alertStreet, "#6a1b9a"));
    return;
  }
  var scale = SCALES[measure];
  legendEl.appendChild(legendItem(EMPTY, T.noCases));
  scale.breaks.forEach(function (low, i) {
    var next = scale.breaks[i + 1];
    var label = next === undefined ? low + "+" : next - 1 === low ? String(low) : low + "–" + (next - 1);
    legendEl.appendChild(legendItem(scale.colours[i], label));
  });
}

function legendItem(colour, label, outline) {
  var style = { background: colour };
  if (outline) style.borderColor = outline;
  return el("li", {}, [el("span", { className: "swatch", style: style }), label]);
}

function tooltip(feature) {
  var p = feature.properties;
  var c = counts[p.code] || { open: 0, overdue: 0 };
  return el("span", {}, [
    el("strong", { text: p.name }),
    " " + p.code,
    el("br"),
    T.openCount + " " + c.open + " · " + T.overdueCount + " " + c.overdue,
  ]);
}

function drawGrids(collection) {
  var layer = L.geoJSON(collection, {
    renderer: renderer,
    style: function (feature) { return gridStyle(feature.properties.code); },
    onEachFeature: function (feature, gridLayer) {
      var code = feature.properties.code;
      grids[code] = gridLayer;
      bindText(gridLayer, "tooltip", function () { return tooltip(feature); }, { sticky: true });
      gridLayer.on("click", function () { selectGrid(code); });
    },
  });
  gridCount = Object.keys(grids).length;
  fitTo(map, layer.getBounds(), { padding: [12, 12] }, { center: DISTRICT_VIEW.center, zoom: 11 });
  layer.addTo(map);
  mapEl.dataset.gridCount = String(gridCount);
  var names = document.getElementById("grid-names");
  collection.features.forEach(function (f) {
    names.appendChild(el("option", { value: f.properties.name + " " + f.properties.code }));
  });
}

// --- live updates ---------------------------------------------------------------------------

function liveUrl() {
  var last = cursor === null ? floor : Math.max(floor, cursor - OVERLAP_MS);
  return config.liveUrl + "?since=" + encodeURIComponent(new Date(last).toISOString());
}

function getJSON(url, cacheMode) {
  var options = { credentials: "same-origin", cache: cacheMode || "no-store", headers: { Accept: "application/json" } };
  return fetch(url, options)
    .then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected && response.url.indexOf("/login/") !== -1) throw { signedOut: true };
      if (type.indexOf("json") === -1) throw { status: response.status };
      return response.json().then(function (body) {
        if (!response.ok) throw { status: response.status, body: body };
        return body;
      });
    });
}

function applyLive(data) {
  var before = selected && counts[selected] ? counts[selected].open + "/" + counts[selected].overdue : "0/0";
  counts = data.grids || {};
  totals = data.totals || totals;
  cursor = Date.parse(data.now);
  recolour();
  var added = [];
  data.cases.slice().reverse().forEach(function (c) {
    if (seen.has(c.id) || Date.parse(c.reported_at) < floor) return;
    seen.add(c.id);
    added.push(addMarker(c));
  });
  if (added.length) {
    fresh = fresh.concat(added);
    showNotice();
  }
  var after = selected && counts[selected] ? counts[selected].open + "/" + counts[selected].overdue : "0/0";
  if (selected && before !== after) loadGrid(selected, true);
  setStatus(fmt(T.updatedAt, { time: clockTime(data.now) }) + " · " + fmt(T.totals, totals));
}

function addMarker(c) {
  var marker = L.circleMarker([c.lat, c.lon], {
    renderer: renderer,
    radius: 8,
    weight: 3,
    color: "#b3261e", // the brand's ring marks a case that arrived while the page was open
    fillColor: TIMER_FILL[c.timer] || TIMER_FILL.none,
    fillOpacity: 1,
  });
  marker.caseRow = c;
  bindText(marker, "popup", function () { return casePopup(c); });
  marker.addTo(markers);
  var all = markers.getLayers();
  if (all.length > MAX_MARKERS) markers.removeLayer(all[0]);
  return marker;
}

function casePopup(c) {
  return el("div", { className: "case-popup" }, [
    el("a", { href: c.url, text: c.number }),
    " ",
    el("span", { text: c.class_name }),
    el("br"),
    el("span", { className: "state", text: c.state_label }),
    " ",
    timerBadge(c.timer),
    el("br"),
    el("span", { className: "muted", text: fmt(T.reported, { time: c.reported_label }) }),
  ]);
}

function showNotice() {
  var n = fresh.length;
  noticeEl.textContent = fmt(n === 1 ? T.newCasesOne : T.newCasesMany, { n: n });
  noticeEl.dataset.count = String(n);
  noticeEl.hidden = n === 0;
}

noticeEl.addEventListener("click", function () {
  var shown = fresh.filter(function (m) { return markers.hasLayer(m); });
  if (shown.length === 1) map.setView(shown[0].getLatLng(), Math.max(map.getZoom(), 15));
  else if (shown.length) map.fitBounds(L.latLngBounds(shown.map(function (m) { return m.getLatLng(); })).pad(0.3));
  fresh = [];
  showNotice();
});

function poll() {
  pollTimer = null;
  if (stopped) return;
  if (document.hidden) return; // resumed by visibilitychange
  getJSON(liveUrl())
    .then(function (data) {
      applyLive(data);
      mapEl.dataset.state = "ready";
    })
    .catch(function (problem) {
      if (problem && problem.signedOut) {
        stopped = true;
        setStatus(T.signedOut, true);
      } else {
        setStatus(T.offline, true);
      }
    })
    .then(schedule);
}

function schedule() {
  if (stopped || pollTimer !== null) return;
  pollTimer = window.setTimeout(poll, config.pollSeconds * 1000);
}

document.addEventListener("visibilitychange", function () {
  if (!document.hidden && pollTimer === null && !stopped) poll();
});

// --- the grid panel -------------------------------------------------------------------------

function selectGrid(code) {
  var previous = selected;
  selected = code;
  if (previous && grids[previous]) grids[previous].setStyle(gridStyle(previous));
  if (grids[code]) {
    grids[code].setStyle(gridStyle(code));
    grids[code].bringToFront();
  }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", "#grid=" + code);
  }
  loadGrid(code, false);
}

function closePanel() {
  var previous = selected;
  selected = null;
  if (previous && grids[previous]) grids[previous].setStyle(gridStyle(previous));
  panelShown(false);
  panelBody.textContent = "";
  if (window.history && window.history.replaceState) window.history.replaceState(null, "", "#");
}

document.getElementById("grid-panel-close").addEventListener("click", closePanel);
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape" && !panelEl.hidden) closePanel();
});

// On a desk the panel takes its width from the map: tell Leaflet, and keep the grid in view.
function panelShown(shown) {
  if (panelEl.hidden === !shown) return;
  panelEl.hidden = !shown;
  map.invalidateSize({ pan: false });
  if (shown && selected && grids[selected]) {
    var centre = grids[selected].getCenter();
    if (!map.getBounds().contains(centre)) map.panTo(centre);
  }
}

function loadGrid(code, quiet) {
  var ticket = ++detailRequest;
  panelShown(true);
  panelEl.dataset.grid = code;
  if (!quiet) {
    panelBody.textContent = "";
    panelBody.appendChild(el("p", { className: "muted", text: T.loading }));
  }
  getJSON(config.gridUrl.replace("CODE", encodeURIComponent(code)))
    .then(function (detail) {
      if (ticket === detailRequest && selected === code) renderGrid(detail);
    })
    .catch(function (problem) {
      if (ticket !== detailRequest) return;
      var message = problem && problem.body && problem.body.message;
      if (problem && problem.signedOut) message = T.signedOut;
      panelBody.textContent = "";
      panelBody.appendChild(el("p", { className: "error", role: "alert", text: message || T.offline }));
    });
}

function renderGrid(g) {
  panelBody.textContent = "";
  panelEl.dataset.grid = g.code;
  panelBody.appendChild(el("h2", { id: "grid-panel-title", text: g.name }));
  panelBody.appendChild(
    el("dl", { className: "facts" }, [
      el("dt", { text: T.code }), el("dd", { text: g.code }),
      el("dt", { text: T.community }), el("dd", { text: g.community.name }),
      el("dt", { text: T.street }), el("dd", { text: g.street.name }),
      el("dt", { text: T.openCount }), el("dd", { id: "grid-open", text: String(g.open) }),
      el("dt", { text: T.overdueCount }), el("dd", { id: "grid-overdue", text: String(g.overdue) }),
    ])
  );

  panelBody.appendChild(el("h3", { text: T.team }));
  if (!g.in_area) {
    panelBody.appendChild(el("p", { className: "muted", text: T.outsideArea }));
  } else if (!g.team.length) {
    panelBody.appendChild(el("p", { className: "muted", text: T.noTeam }));
  } else {
    panelBody.appendChild(
      el("ul", { id: "grid-team" }, g.team.map(function (m) {
        return el("li", { className: "team-member", "data-role": m.role }, [
          el("strong", { text: m.name }), " · " + m.role_label + " · ",
          el("span", { className: "phone", text: m.phone }),
        ]);
      }))
    );
  }

  panelBody.appendChild(el("h3", { text: T.openCases }));
  if (!g.cases.length) {
    panelBody.appendChild(el("p", { className: "muted", id: "grid-no-cases", text: T.noOpenCases }));
    return;
  }
  panelBody.appendChild(
    el("ul", { id: "grid-cases" }, g.cases.map(function (c) {
      return el("li", { className: "grid-case", "data-number": c.number }, [
        el("div", { className: "case-line" }, [
          el("a", { href: c.url, text: c.number }),
          el("span", { text: c.class_name }),
          c.overdue ? el("span", { className: "tag", text: T.overdueTag }) : null,
        ]),
        el("div", { className: "case-line" }, [
          el("span", { className: "state", text: c.state_label }),
          timerBadge(c.timer),
          el("span", { className: "muted", text: fmt(T.reported, { time: c.reported_label }) }),
        ]),
      ]);
    }))
  );
  if (g.open > g.cases.length) {
    panelBody.appendChild(el("p", { className: "muted", text: fmt(T.moreCases, { shown: g.cases.length, total: g.open }) }));
  }
}

// --- hotspot layers -------------------------------------------------------------------------

function loadHotspots() {
  if (Date.now() - hotLoadedAt < HOTSPOT_STALE_MS) return Promise.resolve();
  return Promise.all([getJSON(config.hotspotsUrl), getJSON(config.alertsUrl)])
    .then(function (bodies) {
      hotBins = {};
      bodies[0].grids.forEach(function (g) { hotBins[g.code] = g.bin; });
      alertStreets = alertStreetCodes(bodies[1].alerts);
      hotLoadedAt = Date.now();
      mapEl.dataset.hotspots = String(Object.keys(hotBins).length);
      setStatus(fmt(T.hotspotsOf, { n: bodies[1].alerts.length }));
    })
    .catch(function (problem) {
      var message = problem && problem.body && problem.body.message;
      setStatus(message || T.hotspotsFailed, true);
    });
}

var heat = heatSwitch({
  map: map,
  mapEl: mapEl,
  load: function () { return getJSON(config.heatUrl); },
  wanted: function () {
    var input = document.getElementById("heat-layer");
    return Boolean(input && input.checked);
  },
  onFailed: function (problem) {
    var message = problem && problem.body && problem.body.message;
    setStatus(message || T.heatFailed, true);
  },
});

function showHeat(on) {
  heat.show(on);
}

var heatInput = document.getElementById("heat-layer");
if (heatInput) heatInput.addEventListener("change", function () { showHeat(heatInput.checked); });

// --- controls -------------------------------------------------------------------------------

Array.prototype.forEach.call(document.querySelectorAll("input[name=measure]"), function (input) {
  input.addEventListener("change", function () {
    if (!input.checked) return;
    measure = input.value;
    mapEl.dataset.measure = measure;
    var ready = measure === "hotspot" ? loadHotspots() : Promise.resolve();
    ready.then(function () {
      if (measure !== input.value) return;
      recolour();
      drawLegend();
    });
  });
});

document.getElementById("grid-find").addEventListener("submit", function (event) {
  event.preventDefault();
  var query = document.getElementById("grid-query").value.trim();
  if (!query) return;
  var code = (query.match(/\d{15}/) || [])[0];
  if (!code || !grids[code]) {
    code = Object.keys(grids).find(function (k) { return grids[k].feature.properties.name === query; }) ||
      Object.keys(grids).find(function (k) { return grids[k].feature.properties.name.indexOf(query) !== -1; });
  }
  if (!code) {
    setStatus(fmt(T.notFound, { query: query }), true);
    return;
  }
  selectGrid(code);
  // On a phone the panel is a sheet over the lower half of the map: fit the grid above it.
  var sheet = window.getComputedStyle(panelEl).position === "absolute";
  var below = sheet ? Math.round(mapEl.clientHeight * 0.55) : 0;
  map.fitBounds(grids[code].getBounds(), { maxZoom: 16, paddingTopLeft: [12, 12], paddingBottomRight: [12, 12 + below] });
});

// For tests and the curious: what is drawn, and where a grid lies on the page.
window.onegridMap = {
  map: map,
  gridCount: function () { return gridCount; },
  drawnGrids: function () {
    return Object.keys(grids).filter(function (k) { return map.hasLayer(grids[k]) && grids[k]._renderer === renderer; }).length;
  },
  markerCount: function () { return markers.getLayers().length; },
  fillOf: function (code) { return grids[code] ? grids[code].options.fillColor : null; },
  weightOf: function (code) { return grids[code] ? grids[code].options.weight : null; },
  heatShown: function () { return heat.shown(); },
  pagePoint: function (code) {
    var point = map.latLngToContainerPoint(grids[code].getCenter());
    var box = mapEl.getBoundingClientRect();
    return { x: box.left + point.x, y: box.top + point.y };
  },
  select: selectGrid,
};

// --- start ----------------------------------------------------------------------------------

drawLegend();
mapEl.dataset.measure = measure;
// The layer is revalidated by its ETag: a reload costs a 304, not the whole layer.
getJSON(config.gridsUrl, "no-cache")
  .then(function (collection) {
    drawGrids(collection);
    mapEl.dataset.state = "drawn";
    var wanted = (window.location.hash.match(/grid=(\d{15})/) || [])[1];
    if (wanted && grids[wanted]) selectGrid(wanted);
    poll();
  })
  .catch(function (problem) {
    setStatus(problem && problem.signedOut ? T.signedOut : T.loadFailed, true);
    mapEl.dataset.state = "failed";
  });
