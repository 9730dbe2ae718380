/* One standard address on a small map: its grid's outline and the address's point (WGS-84).
   The data comes from the page (#address-map-data); nothing is loaded from the internet unless
   a tile URL is configured. */
(function () {
  "use strict";

  var node = document.getElementById("address-map");
  var data = JSON.parse(document.getElementById("address-map-data").textContent);
  if (!node || !window.L) return;
  var map = L.map(node, { zoomSnap: 0.5 });
  map.attributionControl.setPrefix("Leaflet");
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  var at = [data.point[1], data.point[0]];
  map.setView(at, 16); // a view first: Leaflet draws vectors only on a map that has one
  var bounds = L.latLngBounds([at, at]);
  if (data.grid) {
    var grid = L.geoJSON(data.grid, {
      interactive: false,
      style: { color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.07 },
    }).addTo(map);
    bounds.extend(grid.getBounds());
  }
  L.circleMarker(at, { radius: 9, color: "#fff", weight: 3, fillColor: "#0b57d0", fillOpacity: 1 })
    .bindTooltip(data.name)
    .addTo(map);
  map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
  window.onegridAddressMap = map;
  node.dataset.state = "ready";
})();
