/* The Party service centres' map (/party/centres/): one circle marker per centre the viewer
   may see, coloured by its latest score, with its name and score as text. The points come from
   the page (json_script "centre-points"); nothing is fetched. */

import { el, readJson } from "./lib/dom.js";
import { bindText, createMap, fitTo } from "./lib/leaflet-map.js";

/** The colour of a latest score in per cent: none grey, under 60 red, under 85 amber, green. */
export function scoreColour(percent) {
  if (percent === null || percent === undefined) return "#757575";
  if (percent < 60) return "#b3261e";
  if (percent < 85) return "#ef6c00";
  return "#2e7d32";
}

/** The tooltip of one centre, as nodes (never HTML). */
export function label(point) {
  const score = point.percent === null || point.percent === undefined ? "–" : `${point.percent}%`;
  return el("span", {}, [el("strong", { text: point.name }), el("br"), el("span", { text: score })]);
}

function start() {
  const node = document.getElementById("centres-map");
  if (!node || typeof L === "undefined") return;
  const points = readJson("centre-points") || [];
  const map = createMap(node, {}, { canvas: true });
  const markers = points.map((p) => {
    const marker = L.circleMarker([p.lat, p.lon], {
      radius: 8,
      color: "#fff",
      weight: 2,
      fillColor: scoreColour(p.percent),
      fillOpacity: 0.9,
    }).addTo(map);
    bindText(marker, "tooltip", () => label(p));
    marker.on("click", () => {
      window.location.assign(`/party/centres/${encodeURIComponent(p.id)}/`);
    });
    return marker;
  });
  const bounds = markers.length ? L.featureGroup(markers).getBounds() : null;
  fitTo(map, bounds, { padding: [20, 20], maxZoom: 15 });
}

if (typeof document !== "undefined") start();
