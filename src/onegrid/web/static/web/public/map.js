/* The public map: the page's reports at their public places (views/public.py). */

import { el, readJson } from "../lib/dom.js";
import { bindText, boundsOf, createMap, fitTo, STYLES } from "../lib/leaflet-map.js";
import { extent, markerStyle, outlines, popupLines } from "./features.js";

const node = document.getElementById("public-map");
if (node) {
  const config = readJson("public-map-config");
  const features = readJson("public-map-features");
  const map = createMap(node, config, { attribution: "tiles" });
  for (const outline of outlines(features)) {
    L.geoJSON(outline, { style: STYLES.outline, interactive: false }).addTo(map);
  }
  for (const feature of features) {
    const marker = L.circleMarker([feature.lat, feature.lon], markerStyle(feature)).addTo(map);
    bindText(marker, "popup", () => {
      const lines = popupLines(feature);
      const number = lines.url ? el("a", { href: lines.url, text: lines.number }) : lines.number;
      return el("div", {}, [
        el("strong", { text: lines.title }),
        el("br"),
        lines.state,
        el("br"),
        number,
      ]);
    });
  }
  const box = extent(features);
  fitTo(map, box ? boundsOf([box[0][1], box[0][0], box[1][1], box[1][0]]) : null, {
    maxZoom: 16,
    padding: [20, 20],
  });
}
