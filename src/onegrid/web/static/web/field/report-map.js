/* The report's location: the GPS fix or a tap on a small map of the worker's own grids (WGS-84,
   as both the browser's geolocation and the map give it), written into the form's hidden
   lon/lat/crs inputs. */

import { $, fmt } from "../lib/dom.js";
import { MARKERS, STYLES, boundsOf, createMap, fitTo } from "../lib/leaflet-map.js";
import { hideBlockError } from "./forms.js";

/** Whether [lon, lat] lies inside a ring of [lon, lat] points (even-odd rule). */
export function pointInRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The name of the grid (a GeoJSON feature of `features`) holding the point, or null. */
export function gridAt(features, lon, lat) {
  for (const feature of features) {
    const g = feature.geometry;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const rings of polygons) {
      if (pointInRing(lon, lat, rings[0]) && !rings.slice(1).some((hole) => pointInRing(lon, lat, hole))) {
        return feature.properties.name;
      }
    }
  }
  return null;
}

/**
 * The location part of the report form. conf: the page's config (map tiles, district bounds);
 * grids: the worker's grids as GeoJSON; onTap(lon, lat): a tap on the map, before the point
 * is set from it.
 */
export function createReportMap({ form, conf, grids, T, onTap }) {
  let map = null;
  let marker = null;
  let accuracyRing = null;
  let addressMarker = null;
  let homeBounds = null; // the worker's grids, or the district for residents
  let point = null; // {lon, lat, source: "gps"|"map", accuracy}
  let manual = false; // the worker set the point by hand: the GPS no longer moves it
  let watchId = null;
  let address = null; // a chosen standard address with a point, drawn beside the point

  function setPoint(lon, lat, source, accuracy) {
    point = { lon, lat, source, accuracy };
    $("#report-lon").value = lon.toFixed(7);
    $("#report-lat").value = lat.toFixed(7);
    $("#report-crs").value = "wgs84";
    let text = source === "gps" ? fmt(T.gpsFix, { m: Math.max(1, Math.round(accuracy || 0)) }) : T.mapPoint;
    const grid = gridAt(grids.features, lon, lat);
    if (grid) text += " · " + fmt(T.inGrid, { grid });
    else if (grids.features.length) text += " · " + T.outsideGrids;
    $("#loc-status").textContent = text;
    hideBlockError($('[data-field="location"]', form));
    drawPoint(source === "gps");
  }

  /* Forget a point set by hand (the next problem is usually close by: a GPS point stays). */
  function forgetMapPoint() {
    if (!point || point.source !== "map") return;
    point = null;
    $("#report-lon").value = "";
    $("#report-lat").value = "";
    if (marker) marker.remove();
    marker = null;
  }

  function drawPoint(follow) {
    if (!map || !point) return;
    const at = [point.lat, point.lon];
    if (!marker) marker = L.circleMarker(at, MARKERS.point).addTo(map);
    else marker.setLatLng(at);
    if (accuracyRing) accuracyRing.remove();
    accuracyRing = null;
    if (point.source === "gps" && point.accuracy) {
      accuracyRing = L.circle(at, {
        radius: point.accuracy,
        color: "#0b57d0",
        weight: 1,
        fillOpacity: 0.08,
        interactive: false,
      }).addTo(map);
    }
    // Follow the GPS near the worker's own area; a fix far away (a wrong or foreign position)
    // leaves the map on the grids, where a tap can set the point instead.
    if (follow && (!homeBounds || homeBounds.pad(0.5).contains(at))) {
      map.setView(at, Math.max(map.getZoom() || 0, 16));
    }
  }

  /* Shows a chosen standard address (or none) on the map. */
  function showAddress(entry) {
    address = entry && typeof entry.lon === "number" ? entry : null;
    drawAddress();
  }

  function drawAddress() {
    if (addressMarker) addressMarker.remove();
    addressMarker = null;
    if (!map || !address) return;
    const at = [address.lat, address.lon];
    addressMarker = L.circleMarker(at, MARKERS.address).addTo(map);
    map.setView(at, Math.max(map.getZoom() || 0, 16));
  }

  function init() {
    if (map || !window.L) return;
    map = createMap("report-map", conf, { attribution: "tiles", zoomSnap: 0.5 });
    const layer = L.geoJSON(grids, { interactive: false, style: STYLES.outline }).addTo(map);
    homeBounds = layer.getLayers().length ? layer.getBounds() : boundsOf(conf.districtBounds);
    fitTo(map, homeBounds, { padding: [10, 10] });
    map.on("click", (event) => {
      manual = true;
      stopGps();
      onTap(event.latlng.lng, event.latlng.lat);
      setPoint(event.latlng.lng, event.latlng.lat, "map");
    });
    drawPoint(point && point.source === "gps");
    drawAddress();
  }

  function resize() {
    // Only while the map is on screen: a hidden (zero-sized) map would lose its centre.
    const box = $("#report-map");
    if (map && box.offsetWidth > 0 && box.offsetHeight > 0) map.invalidateSize();
  }

  function startGps() {
    if (!navigator.geolocation) {
      if (!point) $("#loc-status").textContent = T.gpsUnavailable;
      return;
    }
    stopGps();
    manual = false;
    if (!point || point.source !== "gps") $("#loc-status").textContent = T.locating;
    watchId = navigator.geolocation.watchPosition(
      (position) => {
        if (!manual) {
          setPoint(position.coords.longitude, position.coords.latitude, "gps", position.coords.accuracy);
        }
      },
      () => {
        if (!point) $("#loc-status").textContent = T.gpsFailed;
      },
      { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 },
    );
  }

  function stopGps() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }

  /* A point the worker set by hand (editing a queued report): the GPS stops moving it. */
  function setManualPoint(lon, lat) {
    manual = true;
    stopGps();
    setPoint(lon, lat, "map");
  }

  return {
    init,
    resize,
    startGps,
    stopGps,
    setManualPoint,
    forgetMapPoint,
    showAddress,
    point: () => point,
    manual: () => manual,
  };
}
