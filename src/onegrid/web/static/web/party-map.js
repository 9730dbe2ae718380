/* The Party organisations' map (/party/): one circle marker per organisation the viewer may
   see, coloured by kind, with its name and count of members as text. The points come from the
   page (json_script "party-points"); nothing is fetched. */

import { el, readJson } from "./lib/dom.js";
import { bindText, createMap, fitTo } from "./lib/leaflet-map.js";

// Territorial committees red, grid branches and groups orange, units' organisations blue.
export const KIND_COLOURS = {
  district_committee: "#b3261e",
  street_committee: "#b3261e",
  community_committee: "#d84315",
  community_branch: "#d84315",
  grid_branch: "#ef6c00",
  grid_group: "#ef6c00",
  unit: "#0b57d0",
};

/** The marker options of one point (a kind not listed is grey). */
export function markerStyle(point) {
  return {
    radius: point.kind === "unit" ? 6 : 8,
    color: "#fff",
    weight: 2,
    fillColor: KIND_COLOURS[point.kind] || "#555",
    fillOpacity: 0.9,
  };
}

/** The tooltip of one point, as nodes (never HTML). */
export function label(point) {
  return el("span", {}, [
    el("strong", { text: point.name }),
    el("br"),
    el("span", { text: `${point.kindLabel} · ${point.members}` }),
  ]);
}

function start() {
  const node = document.getElementById("party-map");
  if (!node || typeof L === "undefined") return;
  const points = readJson("party-points") || [];
  if (!node.clientHeight) node.style.height = "420px"; // CSSOM, not an inline style attribute
  const map = createMap(node, {}, { canvas: true });
  const markers = points.map((p) => {
    const marker = L.circleMarker([p.lat, p.lon], markerStyle(p)).addTo(map);
    bindText(marker, "tooltip", () => label(p));
    marker.on("click", () => {
      window.location.assign(`/party/orgs/${encodeURIComponent(p.id)}/`);
    });
    return marker;
  });
  const bounds = markers.length ? L.featureGroup(markers).getBounds() : null;
  fitTo(map, bounds, { padding: [20, 20], maxZoom: 15 });
  node.dataset.points = String(markers.length);
  node.dataset.state = "ready";
}

if (typeof document !== "undefined") start();
