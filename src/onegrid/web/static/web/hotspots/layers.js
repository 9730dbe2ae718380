/* Hotspot map layers shared by the hotspots page and the live map: colours of the Gi* classes,
 * and the heat map drawn from the server's raster (/api/v1/insight/hotspots/heat: one byte a
 * cell, base64) onto a canvas of our own, shown as a Leaflet image overlay through a blob: URL
 * (the pages' CSP allows blob: images). No heat-map plugin, nothing fetched from the internet.
 * The pure parts (colours, decoding, pixels) are tested by tests/js/hotspot_layers.test.mjs.
 */

// Gi* classes, diverging (ColorBrewer RdBu, 7 classes): hot red, cold blue, none left clear.
export const BIN_COLOURS = {
  3: "#b2182b",
  2: "#ef8a62",
  1: "#fddbc7",
  "-1": "#d1e5f0",
  "-2": "#67a9cf",
  "-3": "#2166ac",
};
export const BIN_ORDER = [3, 2, 1, -1, -2, -3];

/** The fill of a Gi* class (+3…−3), or null for "not significant". */
export function binColour(bin) {
  const key = String(Math.trunc(Number(bin) || 0));
  return Object.prototype.hasOwnProperty.call(BIN_COLOURS, key) ? BIN_COLOURS[key] : null;
}

/** The translation key of a class in the page's strings: hot3 … cold3, none. */
export function binKey(bin) {
  const b = Math.trunc(Number(bin) || 0);
  if (b > 0 && b <= 3) return "hot" + b;
  if (b < 0 && b >= -3) return "cold" + -b;
  return "none";
}

// Heat ramp (ColorBrewer YlOrRd, 5 stops) from faint to dark; opacity grows with density.
export const HEAT_STOPS = [
  [0.0, [255, 255, 178]],
  [0.25, [254, 204, 92]],
  [0.5, [253, 141, 60]],
  [0.75, [240, 59, 32]],
  [1.0, [189, 0, 38]],
];
// Cells under this level stay clear: a faint haze over the whole district tells nothing.
export const HEAT_FLOOR = 8;

/** [r, g, b, a] of a heat level 0–255 (a = 0 below HEAT_FLOOR). */
export function heatColour(level) {
  const v = Math.max(0, Math.min(255, Math.round(Number(level) || 0)));
  if (v < HEAT_FLOOR) return [0, 0, 0, 0];
  const t = v / 255;
  let i = 1;
  while (i < HEAT_STOPS.length - 1 && HEAT_STOPS[i][0] < t) i++;
  const [t0, c0] = HEAT_STOPS[i - 1];
  const [t1, c1] = HEAT_STOPS[i];
  const f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
  const rgb = c0.map((c, k) => Math.round(c + (c1[k] - c) * f));
  return [rgb[0], rgb[1], rgb[2], Math.round(90 + 140 * t)];
}

/** The raster's bytes from base64 (browser atob, or node's Buffer in tests). */
export function decodeLevels(base64, rows, cols) {
  const text = String(base64 || "");
  let bytes;
  if (typeof atob === "function") {
    const raw = atob(text);
    bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  } else {
    bytes = new Uint8Array(Buffer.from(text, "base64"));
  }
  if (bytes.length !== rows * cols) throw new Error("heat raster: " + bytes.length + " bytes for " + rows + "×" + cols);
  return bytes;
}

/** RGBA pixels (rows × cols, row by row from the north-west) of a heat raster. */
export function heatPixels(levels, rows, cols) {
  const pixels = new Uint8ClampedArray(rows * cols * 4);
  for (let i = 0; i < rows * cols; i++) {
    const c = heatColour(levels[i]);
    pixels[i * 4] = c[0];
    pixels[i * 4 + 1] = c[1];
    pixels[i * 4 + 2] = c[2];
    pixels[i * 4 + 3] = c[3];
  }
  return pixels;
}

/** The heat body's corners as Leaflet bounds [[south, west], [north, east]]. */
export function heatBounds(heat) {
  return [[heat.south, heat.west], [heat.north, heat.east]];
}

/**
 * A Leaflet image overlay of the heat raster, or null when nothing was reported. Resolves once
 * the canvas is a blob. The overlay may be taken off and put back; call its `release()` when
 * it is replaced for good (frees the blob: URL).
 */
export function heatOverlay(heat, doc) {
  const owner = doc || document;
  if (!heat || !heat.total || !heat.rows || !heat.cols) return Promise.resolve(null);
  const levels = decodeLevels(heat.levels, heat.rows, heat.cols);
  const canvas = owner.createElement("canvas");
  canvas.width = heat.cols;
  canvas.height = heat.rows;
  const context = canvas.getContext("2d");
  context.putImageData(new ImageData(heatPixels(levels, heat.rows, heat.cols), heat.cols, heat.rows), 0, 0);
  return new Promise(function (resolve, reject) {
    canvas.toBlob(function (blob) {
      if (!blob) {
        reject(new Error("heat raster: no image"));
        return;
      }
      const url = URL.createObjectURL(blob);
      const overlay = L.imageOverlay(url, heatBounds(heat), {
        opacity: 0.85,
        interactive: false,
        className: "heat-layer",
      });
      overlay.release = function () {
        URL.revokeObjectURL(url);
      };
      resolve(overlay);
    }, "image/png");
  });
}

/**
 * The heat layer's switch on a Leaflet `map`: `show(on)`. The raster is fetched (`load()`, a
 * promise of the API's heat body) the first time it is switched on, then only shown and
 * hidden; `mapEl.dataset.heat` says on, off, empty (nothing to draw) or failed, and after an
 * empty or failed answer switching on asks again. `wanted()`: whether it is still switched on
 * when the raster arrives; `onLoading()`, `onLoaded(body)`, `onFailed(problem)`: for the
 * page's status line; `make`: the overlay maker (heatOverlay).
 */
export function heatSwitch({ map, mapEl, load, wanted, onLoading, onLoaded, onFailed, make }) {
  const overlayOf = make || heatOverlay;
  let overlay = null;
  let loading = null;
  function show(on) {
    if (!on) {
      if (overlay) map.removeLayer(overlay);
      mapEl.dataset.heat = "off";
      return;
    }
    if (overlay) {
      overlay.addTo(map);
      mapEl.dataset.heat = "on";
      return;
    }
    if (loading) return;
    if (onLoading) onLoading();
    loading = load()
      .then(function (body) {
        return overlayOf(body).then(function (made) {
          overlay = made;
          if (onLoaded) onLoaded(body);
          if (overlay && wanted()) {
            overlay.addTo(map);
            mapEl.dataset.heat = "on";
          } else {
            mapEl.dataset.heat = overlay ? "off" : "empty";
          }
        });
      })
      .catch(function (problem) {
        if (onFailed) onFailed(problem);
        mapEl.dataset.heat = "failed";
      })
      .then(function () {
        loading = null;
      });
    return loading;
  }
  return {
    show: show,
    shown: function () {
      return Boolean(overlay && map.hasLayer(overlay));
    },
  };
}

/** Street codes named by street-level alerts. */
export function alertStreetCodes(alerts) {
  const found = new Set();
  (alerts || []).forEach(function (a) {
    if (a && a.level === "street" && a.area_code) found.add(String(a.area_code));
  });
  return found;
}
