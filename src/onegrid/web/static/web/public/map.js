/* The public map: the page's reports at their public places (views/public.py). */

import { el, readJson } from "../lib/dom.js";
import { bindText, boundsOf, createMap, fitTo, STYLES } from "../lib/leaflet-map.js";
import { extent, groups, markerStyle, outlines, popupLines } from "./features.js";

const node = document.getElementById("public-map");
if (node) {
  const config = readJson("public-map-config");
  const features = readJson("public-map-features");
  const map = createMap(node, config, { attribution: "tiles" });
  // The view first: Leaflet draws vectors only on a map that has one.
  const box = extent(features);
  fitTo(map, box ? boundsOf([box[0][1], box[0][0], box[1][1], box[1][0]]) : null, {
    maxZoom: 16,
    padding: [20, 20],
  });
  for (const outline of outlines(features)) {
    L.geoJSON(outline, { style: STYLES.outline, interactive: false }).addTo(map);
  }
  for (const group of groups(features)) {
    const marker = L.circleMarker([group.lat, group.lon], markerStyle(group)).addTo(map);
    marker.getElement()?.setAttribute("data-count", String(group.features.length));
    bindText(marker, "popup", () => el("ul", { className: "public-popup" }, group.features.map(item)));
  }
  // For tests and assistive tools: how many reports the map shows, and that it is drawn.
  node.dataset.markers = String(features.length);
  node.dataset.state = "ready";
}

/** One report in a marker's popup: title, progress, and its number linked to its page. */
function item(feature) {
  const lines = popupLines(feature);
  const number = lines.url ? el("a", { href: lines.url, text: lines.number }) : lines.number;
  return el("li", {}, [el("strong", { text: lines.title }), el("br"), lines.state, " · ", number]);
}
