/* The residents' report form (/resident/report/ and the anonymous /report/): the place from the
   phone's GPS or a tap on the map, written into the form's longitude and latitude fields
   (WGS-84: browsers' geolocation reports WGS-84). The fields stay editable, and the form works
   without this script (the coordinates typed by hand). Text only: messages go in as
   textContent, the map gets no HTML. */

import { fmt, readJson } from "../lib/dom.js";
import { createMap, fitTo, boundsOf, MARKERS } from "../lib/leaflet-map.js";

const DECIMALS = 6;

/** A point from the two fields' text, or null when either is not a finite number. */
export function parsePoint(lonText, latText) {
  const lon = Number(String(lonText).trim());
  const lat = Number(String(latText).trim());
  if (String(lonText).trim() === "" || String(latText).trim() === "") return null;
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
  if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
  return { lon, lat };
}

/** Whether `point` lies inside [west, south, east, north] (no bounds: anywhere). */
export function inside(point, bounds) {
  if (!point) return false;
  if (!bounds) return true;
  const [west, south, east, north] = bounds;
  return point.lon >= west && point.lon <= east && point.lat >= south && point.lat <= north;
}

/** The two field values for a point, rounded to about 10 cm. */
export function fieldValues(point) {
  return { lon: point.lon.toFixed(DECIMALS), lat: point.lat.toFixed(DECIMALS) };
}

/** The status line for a point: set, or outside the district. */
export function statusFor(point, bounds, strings) {
  if (!point) return { text: "", problem: false };
  if (!inside(point, bounds)) return { text: strings.outside, problem: true };
  const values = fieldValues(point);
  return { text: fmt(strings.set, values), problem: false };
}

function start(doc, win) {
  const form = doc.getElementById("report-form");
  if (!form) return;
  const config = readJson("report-map-config", doc);
  const strings = readJson("report-strings", doc);
  const lonField = doc.getElementById("id_lon");
  const latField = doc.getElementById("id_lat");
  const status = doc.getElementById("place-status");
  let map = null;
  let marker = null;

  function show(point) {
    const line = statusFor(point, config.bounds, strings);
    status.textContent = line.text;
    status.classList.toggle("problem", line.problem);
    if (map && point) {
      const at = [point.lat, point.lon];
      if (marker) marker.setLatLng(at);
      else marker = win.L.circleMarker(at, MARKERS.point).addTo(map);
    }
  }

  function place(point, zoom) {
    const values = fieldValues(point);
    lonField.value = values.lon;
    latField.value = values.lat;
    show(point);
    if (map && zoom) map.setView([point.lat, point.lon], Math.max(map.getZoom(), 16));
  }

  const node = doc.getElementById("report-map");
  if (node && win.L) {
    map = createMap(node, config, {});
    fitTo(map, boundsOf(config.bounds));
    if (config.bounds) {
      const box = boundsOf(config.bounds);
      win.L.rectangle(box, { color: "#b3261e", weight: 1, fill: false, interactive: false }).addTo(map);
    }
    map.on("click", (e) => place({ lon: e.latlng.lng, lat: e.latlng.lat }, false));
  }

  for (const field of [lonField, latField]) {
    field.addEventListener("change", () => show(parsePoint(lonField.value, latField.value)));
  }
  show(parsePoint(lonField.value, latField.value));

  const gps = doc.getElementById("use-gps");
  function locate() {
    if (!win.navigator.geolocation) {
      status.textContent = strings.failed;
      return;
    }
    status.textContent = strings.locating;
    win.navigator.geolocation.getCurrentPosition(
      (pos) => place({ lon: pos.coords.longitude, lat: pos.coords.latitude }, true),
      () => {
        status.textContent = strings.failed;
        status.classList.add("problem");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  }
  gps.addEventListener("click", locate);
  // A new form asks for the location at once; a form shown again keeps what it had.
  if (!parsePoint(lonField.value, latField.value)) locate();
}

if (typeof document !== "undefined" && typeof window !== "undefined") {
  start(document, window);
}
