/* The one Leaflet set-up of every map (field app, live map, layer pages, address page).

   Leaflet is the global `L` from the pinned XStatic-Leaflet package (a classic script tag before
   the page's module). Nothing is fetched from the internet: a base layer is drawn only when the
   operator configured MAP_TILE_URL; otherwise the grids are vectors on a plain background.
   Leaflet credits itself as plain text ("Leaflet", no link or flag). */

import { el, escapeHtml } from "./dom.js";

// Where a map opens before it knows better: central Beichen.
export const DISTRICT_VIEW = { center: [39.2, 117.1], zoom: 12 };

// Vector styles shared by the maps.
export const STYLES = {
  // The grids a person works in, or an address's grid: a red outline over a faint fill.
  outline: { color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.07 },
  // A grid of a layer under review.
  grid: { color: "#555", weight: 1, fillColor: "#fff", fillOpacity: 0.15 },
  // A problem a layer check found.
  issue: { color: "#c62828", weight: 2, fillColor: "#c62828", fillOpacity: 0.6 },
};

// Point markers (circle markers: no image files to fetch).
export const MARKERS = {
  point: { radius: 9, color: "#fff", weight: 3, fillColor: "#b3261e", fillOpacity: 1 },
  address: { radius: 9, color: "#fff", weight: 3, fillColor: "#0b57d0", fillOpacity: 1 },
  issue: { radius: 7, color: "#c62828", fillOpacity: 0.8 },
};

/**
 * A Leaflet map on `node` with the site's base layer.
 *
 * config: the page's map settings ({tileUrl, tileAttribution}). options: Leaflet map options,
 * plus `canvas` (true, or canvas renderer options) to draw vectors on one canvas — thousands
 * of grids stay fast — and `attribution: "tiles"` to show the attribution only over tiles.
 */
export function createMap(node, config, options) {
  const { canvas, attribution, ...leaflet } = options || {};
  const tiles = Boolean(config && config.tileUrl);
  if (canvas) {
    leaflet.preferCanvas = true;
    leaflet.renderer = L.canvas(canvas === true ? undefined : canvas);
  }
  if (attribution === "tiles") leaflet.attributionControl = tiles;
  const map = L.map(node, leaflet);
  if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
  if (tiles) {
    // Leaflet inserts attributions as HTML: the configured text is shown as text.
    L.tileLayer(config.tileUrl, {
      attribution: escapeHtml(config.tileAttribution || ""),
      maxZoom: 19,
    }).addTo(map);
  }
  return map;
}

/** Frames `bounds` when there are any, else opens on `fallback` (the district by default). */
export function fitTo(map, bounds, options, fallback) {
  if (bounds && bounds.isValid()) {
    map.fitBounds(bounds, options);
    return true;
  }
  const view = fallback || DISTRICT_VIEW;
  map.setView(view.center, view.zoom);
  return false;
}

/** Bounds from [west, south, east, north], as the server sends a layer's extent. */
export function boundsOf(box) {
  if (!box) return null;
  const [west, south, east, north] = box;
  return L.latLngBounds([south, west], [north, east]);
}

/**
 * Binds a tooltip or popup (`kind`: "tooltip" | "popup") whose content is text or nodes.
 *
 * Leaflet puts a string straight into innerHTML; this never hands it one. `content` is a
 * string (shown as text), a DOM node, or a function of the layer returning either, called
 * each time the tooltip or popup opens (fresh counts, for instance).
 */
export function bindText(layer, kind, content, options) {
  const render = () => asNode(typeof content === "function" ? content(layer) : content);
  if (kind === "popup") return layer.bindPopup(render, options);
  return layer.bindTooltip(render, options);
}

function asNode(content) {
  if (content && typeof content === "object" && "nodeType" in content) return content;
  return el("span", { text: content === null || content === undefined ? "" : String(content) });
}
