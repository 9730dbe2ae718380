/* One standard address on a small map: its grid's outline and the address's point (WGS-84).
   The data comes from the page (#address-map-data); the name is shown as text. */
import { readJson } from "./lib/dom.js";
import { MARKERS, STYLES, bindText, createMap } from "./lib/leaflet-map.js";

const node = document.getElementById("address-map");
if (node && window.L) {
  const data = readJson("address-map-data");
  const map = createMap(node, data, { zoomSnap: 0.5 });
  const at = [data.point[1], data.point[0]];
  map.setView(at, 16); // a view first: Leaflet draws vectors only on a map that has one
  const bounds = L.latLngBounds([at, at]);
  if (data.grid) {
    const grid = L.geoJSON(data.grid, { interactive: false, style: STYLES.outline }).addTo(map);
    bounds.extend(grid.getBounds());
  }
  bindText(L.circleMarker(at, MARKERS.address), "tooltip", data.name).addTo(map);
  map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
  window.onegridAddressMap = map;
  node.dataset.state = "ready";
}
