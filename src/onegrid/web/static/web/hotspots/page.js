/* The hotspots page's map: every grid drawn as a vector, the Gi* hot and cold grids filled by
 * class, the streets with a surge alert outlined, repeat-problem places as circles of their
 * radius, and the heat map on demand. The figures come in the page (#hotspot-config, computed
 * by the server with the page's filters); the grid layer and the heat raster are fetched from
 * OneGrid itself. Every text is shown as text (lib/dom.js, bindText).
 */
import { el, fmt, readJson } from "../lib/dom.js";
import { DISTRICT_VIEW, bindText, createMap, fitTo } from "../lib/leaflet-map.js";
import { BIN_ORDER, binColour, binKey, heatSwitch } from "./layers.js";

var config = readJson("hotspot-config");
var T = readJson("hotspot-strings");
var mapEl = document.getElementById("hotspot-map");
var statusEl = document.getElementById("hotspot-map-status");
var legendEl = document.getElementById("hotspot-legend");
var toggles = {
  hotspots: document.getElementById("layer-hotspots"),
  heat: document.getElementById("layer-heat"),
  places: document.getElementById("layer-places"),
  alerts: document.getElementById("layer-alerts"),
};

var bins = config.bins || {};
var alertStreets = new Set(config.alertStreets || []);
var grids = {}; // code -> layer

var map = createMap(mapEl, config, { canvas: { padding: 0.5, tolerance: 3 }, zoomSnap: 0.25, minZoom: 7, maxZoom: 19 });
var renderer = map.options.renderer;
var places = L.layerGroup();

function setStatus(text, problem) {
  statusEl.textContent = text || "";
  statusEl.classList.toggle("error", Boolean(problem));
}

function gridStyle(feature) {
  var p = feature.properties;
  var fill = toggles.hotspots.checked ? binColour(bins[p.code]) : null;
  var alerted = toggles.alerts.checked && alertStreets.has(p.street_code);
  return {
    color: alerted ? "#6a1b9a" : "#8a8a8a",
    weight: alerted ? 2.5 : 0.6,
    opacity: 1,
    fillColor: fill || "#ffffff",
    fillOpacity: fill ? 0.8 : 0.05,
  };
}

function restyle() {
  Object.keys(grids).forEach(function (code) {
    grids[code].setStyle(gridStyle(grids[code].feature));
  });
}

function gridTooltip(feature) {
  var p = feature.properties;
  var bin = bins[p.code] || 0;
  var lines = [el("strong", { text: p.name }), " " + p.code, el("br"), T[binKey(bin)]];
  if (alertStreets.has(p.street_code)) lines.push(el("br"), T.alertStreet + ": " + p.street_name);
  return el("span", {}, lines);
}

function drawGrids(collection) {
  var layer = L.geoJSON(collection, {
    renderer: renderer,
    style: gridStyle,
    onEachFeature: function (feature, gridLayer) {
      grids[feature.properties.code] = gridLayer;
      bindText(gridLayer, "tooltip", function () { return gridTooltip(feature); }, { sticky: true });
    },
  });
  layer.addTo(map);
  var shown = Object.keys(bins).map(function (code) { return grids[code]; }).filter(Boolean);
  var frame = shown.length ? L.featureGroup(shown).getBounds() : layer.getBounds();
  fitTo(map, frame, { padding: [16, 16], maxZoom: 15 }, { center: DISTRICT_VIEW.center, zoom: 11 });
  mapEl.dataset.gridCount = String(Object.keys(grids).length);
}

function drawPlaces() {
  (config.places || []).forEach(function (p) {
    var circle = L.circle([p.lat, p.lon], {
      renderer: renderer,
      radius: Math.max(p.radius, 15),
      color: "#1b1b1b",
      weight: 2,
      fillColor: "#ffd600",
      fillOpacity: 0.7,
    });
    bindText(circle, "popup", function () {
      return el("div", {}, [el("strong", { text: T.repeatPlace }), el("br"), p.label, el("br"), el("a", { href: p.url, text: T.cases })]);
    });
    circle.addTo(places);
  });
  if (toggles.places.checked) places.addTo(map);
  mapEl.dataset.places = String(places.getLayers().length);
}

function drawLegend() {
  legendEl.textContent = "";
  BIN_ORDER.forEach(function (bin) {
    legendEl.appendChild(swatch(binColour(bin), T[binKey(bin)]));
  });
  legendEl.appendChild(swatch("#ffffff", T.none));
  legendEl.appendChild(el("li", {}, [el("span", { className: "swatch outline" }), T.alertStreet]));
  legendEl.appendChild(el("li", {}, [el("span", { className: "swatch place" }), T.repeatPlace]));
}

function swatch(colour, label) {
  return el("li", {}, [el("span", { className: "swatch", style: { background: colour } }), label]);
}

function getJSON(url, cacheMode) {
  return fetch(url, { credentials: "same-origin", cache: cacheMode || "no-store", headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw { status: response.status, body: body };
        return body;
      });
    });
}

var heat = heatSwitch({
  map: map,
  mapEl: mapEl,
  load: function () { return getJSON(config.heatUrl); },
  wanted: function () { return toggles.heat.checked; },
  onLoading: function () { setStatus(T.loading); },
  onLoaded: function (body) { setStatus(body.total ? fmt(T.heatPeak, { peak: body.peak_per_km2 }) : ""); },
  onFailed: function (problem) {
    var message = problem && problem.body && problem.body.message;
    setStatus(message || T.heatFailed, true);
  },
});

function showHeat(on) {
  heat.show(on);
}

toggles.hotspots.addEventListener("change", restyle);
toggles.alerts.addEventListener("change", restyle);
toggles.places.addEventListener("change", function () {
  if (toggles.places.checked) places.addTo(map);
  else map.removeLayer(places);
});
toggles.heat.addEventListener("change", function () { showHeat(toggles.heat.checked); });

// For tests and the curious.
window.onegridHotspots = {
  map: map,
  fillOf: function (code) { return grids[code] ? grids[code].options.fillColor : null; },
  weightOf: function (code) { return grids[code] ? grids[code].options.weight : null; },
  heatShown: function () { return heat.shown(); },
  placeCount: function () { return map.hasLayer(places) ? places.getLayers().length : 0; },
};

drawLegend();
getJSON(config.gridsUrl, "no-cache")
  .then(function (collection) {
    drawGrids(collection);
    drawPlaces();
    mapEl.dataset.state = "drawn";
    if (toggles.heat.checked) showHeat(true);
  })
  .catch(function () {
    setStatus(T.loadFailed, true);
    mapEl.dataset.state = "failed";
  });
