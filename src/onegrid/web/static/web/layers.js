/* OneGrid layer pages: grid, beat and problem layers on Leaflet's canvas renderer.
 *
 * Each `.layer-map` names the JSON script holding its config (data-config): a list of layers,
 * each fetched from `url` (optionally only the features whose `layer` property matches) or read
 * from an inline JSON script (`inline`), drawn in a style (grid, beat, issue). Maps sharing a
 * `data-sync` value keep one view: moving one moves the others. Nothing comes from the internet
 * unless a tile URL is configured.
 */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("layers-strings").textContent);
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22", "#7f7f7f"];
  var maps = {}; // element id -> Leaflet map, for the page's tests and the sync
  window.onegridLayerMaps = maps;

  function colourOf(code) {
    var h = 0;
    for (var i = 0; i < code.length; i++) h = (h * 31 + code.charCodeAt(i)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }

  function styleFor(kind) {
    if (kind === "grid") {
      return function () { return { color: "#555", weight: 1, fillColor: "#fff", fillOpacity: 0.15 }; };
    }
    if (kind === "beat") {
      return function (feature) {
        var c = colourOf(String(feature.properties.code || ""));
        return { color: c, weight: 3, fillColor: c, fillOpacity: 0.3 };
      };
    }
    return function () { return { color: "#c62828", weight: 2, fillColor: "#c62828", fillOpacity: 0.6 }; };
  }

  function popupFor(kind, props) {
    var box = document.createElement("div");
    var lines = [];
    if (kind === "issue") lines = [props.kind, (props.codes || []).join(", "), props.message];
    else lines = [T.code + ": " + props.code, props.name || "", props.beat ? T.beat + ": " + props.beat : ""];
    lines.forEach(function (text) {
      if (!text) return;
      var p = document.createElement("div");
      p.textContent = text;
      box.appendChild(p);
    });
    return box;
  }

  function load(spec) {
    if (spec.inline) {
      return Promise.resolve(JSON.parse(document.getElementById(spec.inline).textContent));
    }
    return fetch(spec.url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      });
  }

  var cache = {};
  function fetchOnce(spec) {
    var key = spec.inline ? "#" + spec.inline : spec.url;
    if (!cache[key]) cache[key] = load(spec);
    return cache[key];
  }

  var syncing = false;
  function sync(map, group) {
    map.on("move", function () {
      if (syncing) return;
      syncing = true;
      group.forEach(function (other) {
        if (other !== map) other.setView(map.getCenter(), map.getZoom(), { animate: false });
      });
      syncing = false;
    });
  }

  var groups = {};
  var nodes = document.querySelectorAll(".layer-map");
  Array.prototype.forEach.call(nodes, function (node) {
    var config = JSON.parse(document.getElementById(node.dataset.config).textContent);
    var status = document.querySelector('[data-status-for="' + node.id + '"]');
    var map = L.map(node, { preferCanvas: true, renderer: L.canvas(), zoomSnap: 0.25 });
    map.attributionControl.setPrefix("Leaflet");
    map.setView([39.2, 117.1], 12);
    maps[node.id] = map;
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    var groupName = node.dataset.sync;
    if (groupName) {
      groups[groupName] = groups[groupName] || [];
      groups[groupName].push(map);
    }
    var first = groupName ? groups[groupName].length === 1 : true;
    Promise.all(config.layers.map(fetchOnce)).then(function (docs) {
      var bounds = L.latLngBounds([]);
      var count = 0;
      docs.forEach(function (doc, i) {
        var spec = config.layers[i];
        var features = (doc.features || []).filter(function (f) {
          return f.geometry && (!spec.layer || f.properties.layer === spec.layer);
        });
        count += features.length;
        var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
          style: styleFor(spec.style),
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, { radius: 7, color: "#c62828", fillOpacity: 0.8 });
          },
          onEachFeature: function (feature, item) {
            item.bindPopup(function () { return popupFor(spec.style, feature.properties || {}); });
          },
        }).addTo(map);
        if (features.length && spec.style !== "issue") bounds.extend(layer.getBounds());
        else if (features.length && !bounds.isValid()) bounds.extend(layer.getBounds());
      });
      // In a synced group the first map frames the view; the others follow it.
      if (bounds.isValid() && first) map.fitBounds(bounds, { padding: [10, 10], animate: false });
      node.dataset.features = String(count);
      node.dataset.state = "ready";
    }).catch(function () {
      node.dataset.state = "failed";
      if (status) {
        status.textContent = T.loadFailed;
        status.classList.add("problem");
      }
    });
  });
  Object.keys(groups).forEach(function (name) {
    groups[name].forEach(function (map) { sync(map, groups[name]); });
  });
})();
