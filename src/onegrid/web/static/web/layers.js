/* OneGrid layer pages: grid, beat and problem layers on Leaflet's canvas renderer.

   Each `.layer-map` names the JSON script holding its config (data-config): a list of layers,
   each fetched from `url` (optionally only the features whose `layer` property matches) or read
   from an inline JSON script (`inline`), drawn in a style (grid, beat, issue). Maps sharing a
   `data-sync` value keep one view: moving one moves the others. Codes, names and problem texts
   come from files people upload: popups show them as text. */
import { el, readJson } from "./lib/dom.js";
import { DISTRICT_VIEW, MARKERS, STYLES, bindText, createMap } from "./lib/leaflet-map.js";

const T = readJson("layers-strings");
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
  "#17becf", "#bcbd22", "#7f7f7f"];
const maps = {}; // element id -> Leaflet map, for the page's tests and the sync
window.onegridLayerMaps = maps;

function colourOf(code) {
  let h = 0;
  for (let i = 0; i < code.length; i++) h = (h * 31 + code.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

function styleFor(kind) {
  if (kind === "grid") return () => STYLES.grid;
  if (kind === "beat") {
    return (feature) => {
      const c = colourOf(String(feature.properties.code || ""));
      return { color: c, weight: 3, fillColor: c, fillOpacity: 0.3 };
    };
  }
  return () => STYLES.issue;
}

function popupFor(kind, props) {
  const lines =
    kind === "issue"
      ? [props.kind, (props.codes || []).join(", "), props.message]
      : [T.code + ": " + props.code, props.name || "", props.beat ? T.beat + ": " + props.beat : ""];
  return el("div", {}, lines.filter(Boolean).map((text) => el("div", { text })));
}

function load(spec) {
  if (spec.inline) return Promise.resolve(readJson(spec.inline));
  return fetch(spec.url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
}

const cache = {};
function fetchOnce(spec) {
  const key = spec.inline ? "#" + spec.inline : spec.url;
  if (!cache[key]) cache[key] = load(spec);
  return cache[key];
}

let syncing = false;
function sync(map, group) {
  map.on("move", () => {
    if (syncing) return;
    syncing = true;
    for (const other of group) {
      if (other !== map) other.setView(map.getCenter(), map.getZoom(), { animate: false });
    }
    syncing = false;
  });
}

function draw(node, groups) {
  const config = readJson(node.dataset.config);
  const status = document.querySelector(`[data-status-for="${CSS.escape(node.id)}"]`);
  const map = createMap(node, config, { canvas: true, zoomSnap: 0.25 });
  map.setView(DISTRICT_VIEW.center, DISTRICT_VIEW.zoom);
  maps[node.id] = map;
  const groupName = node.dataset.sync;
  if (groupName) {
    groups[groupName] = groups[groupName] || [];
    groups[groupName].push(map);
  }
  const first = groupName ? groups[groupName].length === 1 : true;
  Promise.all(config.layers.map(fetchOnce)).then((docs) => {
    const bounds = L.latLngBounds([]);
    let count = 0;
    docs.forEach((doc, i) => {
      const spec = config.layers[i];
      const features = (doc.features || []).filter(
        (f) => f.geometry && (!spec.layer || f.properties.layer === spec.layer),
      );
      count += features.length;
      const layer = L.geoJSON({ type: "FeatureCollection", features }, {
        style: styleFor(spec.style),
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, MARKERS.issue),
        onEachFeature: (feature, item) => {
          bindText(item, "popup", () => popupFor(spec.style, feature.properties || {}));
        },
      }).addTo(map);
      if (features.length && spec.style !== "issue") bounds.extend(layer.getBounds());
      else if (features.length && !bounds.isValid()) bounds.extend(layer.getBounds());
    });
    // In a synced group the first map frames the view; the others follow it.
    if (bounds.isValid() && first) map.fitBounds(bounds, { padding: [10, 10], animate: false });
    node.dataset.features = String(count);
    node.dataset.state = "ready";
  }).catch(() => {
    node.dataset.state = "failed";
    if (status) {
      status.textContent = T.loadFailed;
      status.classList.add("problem");
    }
  });
}

const groups = {};
for (const node of document.querySelectorAll(".layer-map")) draw(node, groups);
for (const group of Object.values(groups)) for (const map of group) sync(map, group);
