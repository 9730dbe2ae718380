/* The public map's data, apart from Leaflet so that node can test it.

   A feature is what the server put in the page (views/public.py _feature): a report's public
   place — a grid's label point and outline, or the centre of a ~100 m square, never the exact
   point — and its texts. Everything here is shown as text. */

/** [[south, west], [north, east]] around the features' points, or null when there are none. */
export function extent(features) {
  const points = (features || []).filter(
    (f) => Number.isFinite(f.lat) && Number.isFinite(f.lon),
  );
  if (!points.length) return null;
  const lats = points.map((f) => f.lat);
  const lons = points.map((f) => f.lon);
  return [
    [Math.min(...lats), Math.min(...lons)],
    [Math.max(...lats), Math.max(...lons)],
  ];
}

/** The grids to outline, each once, however many reports fall in it. */
export function outlines(features) {
  const seen = new Map();
  for (const f of features || []) {
    if (f.kind !== "grid" || !f.outline) continue;
    const key = JSON.stringify(f.outline.coordinates);
    if (!seen.has(key)) seen.set(key, f.outline);
  }
  return [...seen.values()];
}

/** The lines of a marker's popup: title, progress, and the report's number (linked). */
export function popupLines(feature) {
  return {
    title: String(feature.title ?? ""),
    state: String(feature.state ?? ""),
    number: String(feature.number ?? ""),
    url: typeof feature.url === "string" && /^\/(?![/\\])/.test(feature.url) ? feature.url : null,
  };
}

/**
 * The features grouped by public point, in page order: every report of a grid shares the
 * grid's point (and those of a 100 m square its centre), so one marker stands for them all.
 */
export function groups(features) {
  const byPoint = new Map();
  for (const f of features || []) {
    if (!Number.isFinite(f.lat) || !Number.isFinite(f.lon)) continue;
    const key = `${f.lat},${f.lon}`;
    if (!byPoint.has(key)) byPoint.set(key, { lat: f.lat, lon: f.lon, features: [] });
    byPoint.get(key).features.push(f);
  }
  return [...byPoint.values()];
}

/** Marker style of a group: green when every report in it is fixed, else red; larger for more. */
export function markerStyle(group) {
  const fixed = group.features.every((f) => f.fixed);
  const colour = fixed ? "#1e6b34" : "#b3261e";
  const radius = Math.min(14, 7 + 2 * (group.features.length - 1));
  return { radius, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.9 };
}
