"""Point → grid, in memory, per process.

All grid polygons are loaded once into a Shapely STRtree (prepared, so point tests use GEOS's
indexed point-in-area locator). The database is never read per point: the layer version is
re-read at most every settings.ONEGRID["LOCATOR_RECHECK_SECONDS"] seconds and everything is
reloaded when it has changed.

On top of the tree sits a raster over the layer's bounding box (cells of ~40 m): a cell that no
grid edge touches lies wholly inside one grid or wholly outside them all, so a point falling in
it is answered by one array look-up. Only points in cells that an edge crosses go to the exact
GEOS test. That makes most single look-ups cost about a microsecond and bulk look-ups run at
numpy speed; results are identical to the exact test (tests compare the two).

A point on an edge shared by two grids belongs to the grid with the smaller code.

Thread safety: a load builds a new immutable snapshot and swaps one reference; readers use
whichever snapshot they picked up. Only one thread reloads at a time; the others keep answering
from the old snapshot meanwhile.
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import InvalidInput
from onegrid.territory import geometry as geo
from onegrid.territory.district import city_code, district_code, is_city, outline_of, served_outline
from onegrid.territory.models import AdminUnit, Grid
from onegrid.territory.selectors import layer_token

# Target raster cell size. Smaller cells send fewer points to the exact test but cost more
# memory and load time (the whole raster is classified at load).
_CELL_M = 40.0
_MAX_CELLS_PER_SIDE = 2048
_MIXED = -2  # raster values <= this: some grid edge touches this cell
_NONE = -1  # raster value: no grid covers this cell


@dataclass(frozen=True, slots=True)
class LocatedGrid:
    grid_id: int
    grid_code: str
    community_id: int
    street_id: int
    # The 12-digit code of the district the grid lies in (its street's parent): a city's
    # installation serves several districts, and case numbers and calendars follow the district.
    district_code: str = ""


@dataclass(frozen=True)
class _District:
    code: str
    name: str
    geometry: object | None  # prepared shapely geometry, or None when unknown


class _Snapshot:
    """One immutable load of the grid layer."""

    def __init__(self, token, rows, district: _District):
        self.token = token
        self.district = district
        self.located = [LocatedGrid(r[0], r[1], r[2], r[3], r[5] or "") for r in rows]
        self.polys = shapely.from_wkb([bytes(r[4]) for r in rows]) if rows else np.array([])
        self.tree = shapely.STRtree(self.polys)
        if len(self.polys):
            shapely.prepare(self.polys)
            # GEOS builds a prepared polygon's point index lazily, on first use; doing it here,
            # in one thread, keeps concurrent first uses from racing.
            reps = shapely.get_coordinates(shapely.point_on_surface(self.polys))
            shapely.intersects_xy(self.polys, reps[:, 0], reps[:, 1])
        self._build_raster()

    # -- raster

    def _build_raster(self) -> None:
        if not len(self.polys):
            self.raster = None
            return
        minx, miny, maxx, maxy = shapely.total_bounds(self.polys)
        # Metres per degree, near enough to size cells.
        width_m = (maxx - minx) * 111_320 * math.cos(math.radians((miny + maxy) / 2))
        height_m = (maxy - miny) * 110_574
        nx = int(min(_MAX_CELLS_PER_SIDE, max(1, math.ceil(width_m / _CELL_M))))
        ny = int(min(_MAX_CELLS_PER_SIDE, max(1, math.ceil(height_m / _CELL_M))))
        dx, dy = (maxx - minx) / nx, (maxy - miny) / ny
        self.bounds = (minx, miny, maxx, maxy)
        self.nx, self.ny, self.dx, self.dy = nx, ny, dx, dy
        (ax, ay), (bx, by), seg_poly = _segments(self.polys)

        # 1. Mixed cells, and which grids' edges touch each. Every edge is sampled at a quarter
        # of a cell; a point of an edge inside cell C lies within an eighth of a cell of some
        # sample, so marking each sample's cell, plus the neighbours whose border is that close
        # to the sample, marks every cell the edge touches.
        step = min(dx, dy) / 4
        counts = np.maximum(1, np.ceil(np.hypot(bx - ax, by - ay) / step).astype(np.int64))
        seg = np.repeat(np.arange(len(ax)), counts + 1)
        first = np.cumsum(counts + 1) - (counts + 1)
        t = (np.arange(seg.size) - first[seg]) / counts[seg]
        fx = (ax[seg] + t * (bx - ax)[seg] - minx) / dx
        fy = (ay[seg] + t * (by - ay)[seg] - miny) / dy
        ix = np.clip(np.floor(fx).astype(np.int64), 0, nx - 1)
        iy = np.clip(np.floor(fy).astype(np.int64), 0, ny - 1)
        rx, ry = fx - ix, fy - iy  # position inside the cell, 0..1
        mx, my = (step / 2) / dx + 1e-9, (step / 2) / dy + 1e-9
        marks = []
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                near = np.ones(ix.size, dtype=bool)
                if ox:
                    near &= (rx <= mx) if ox < 0 else (rx >= 1 - mx)
                if oy:
                    near &= (ry <= my) if oy < 0 else (ry >= 1 - my)
                jx, jy = ix[near] + ox, iy[near] + oy
                ok = (jx >= 0) & (jx < nx) & (jy >= 0) & (jy < ny)
                marks.append(np.stack([jy[ok] * nx + jx[ok], seg_poly[seg[near][ok]]]))
        marks = np.concatenate(marks, axis=1)
        mixed_cells = np.unique(marks[0])

        # 2. Pure cells lie wholly inside one grid or outside all: label each by its centre,
        # with an even-odd scanline fill of every polygon along the rows of cell centres.
        raster = np.full(nx * ny, _NONE, dtype=np.int64)
        lo, hi = np.minimum(ay, by), np.maximum(ay, by)
        r0 = np.ceil((lo - miny) / dy - 0.5).astype(np.int64)  # first centre row with yc >= lo
        r1 = np.ceil((hi - miny) / dy - 0.5).astype(np.int64)  # first with yc >= hi (excluded)
        n_rows = np.maximum(r1 - r0, 0)
        seg = np.repeat(np.arange(len(ax)), n_rows)
        row = r0[seg] + np.arange(seg.size) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
        yc = miny + (row + 0.5) * dy
        xc = ax[seg] + (yc - ay[seg]) * (bx - ax)[seg] / (by - ay)[seg]
        poly = seg_poly[seg]
        order = np.lexsort((xc, row, poly))
        xc, row, poly = xc[order], row[order], poly[order]
        # Each (polygon, row) has an even number of crossings, so after sorting, entries
        # 0-1, 2-3, … are the spans inside a polygon.
        c0 = np.ceil((xc[0::2] - minx) / dx - 0.5).astype(np.int64)
        c1 = np.floor((xc[1::2] - minx) / dx - 0.5).astype(np.int64)
        c0, c1 = np.maximum(c0, 0), np.minimum(c1, nx - 1)
        width = np.maximum(c1 - c0 + 1, 0)
        span = np.repeat(np.arange(width.size), width)
        cells = (
            row[0::2][span] * nx
            + c0[span]
            + np.arange(span.size)
            - np.repeat(np.cumsum(width) - width, width)
        )
        raster[cells] = poly[0::2][span]

        # 3. Candidates of a mixed cell: the grids whose edges touch it, plus the grid holding
        # its centre. That is all of them: a grid whose boundary misses the cell either misses
        # it entirely or covers all of it, and the centre test finds the latter (marking is
        # conservative, so a "mixed" cell may in fact lie wholly inside one grid).
        centre = raster[mixed_cells]
        inside = centre >= 0
        n_polys = len(self.polys)
        # One int64 key per (cell, grid) pair: 1-D unique is far faster than unique rows.
        keys = np.unique(
            np.concatenate(
                [marks[0] * n_polys + marks[1], mixed_cells[inside] * n_polys + centre[inside]]
            )
        )
        pairs = np.stack([keys // n_polys, keys % n_polys])
        first_pair = np.searchsorted(pairs[0], mixed_cells)
        # Mixed cells hold -(k + 2), k indexing their candidate grids in CSR form.
        raster[mixed_cells] = -(np.arange(len(mixed_cells)) + 2)
        self.cand = pairs[1].astype(np.int64)
        self.cand_off = np.append(first_pair, pairs.shape[1]).astype(np.int64)
        self.raster = raster.astype(np.int32).reshape(ny, nx)
        # array.array indexing returns a plain int in tens of nanoseconds: the hot path.
        self.flat = array("i", self.raster.ravel().tolist())

    # -- look-ups

    def indices(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        out = np.full(len(xs), _NONE, dtype=np.int64)
        if self.raster is None or not len(xs):
            return out
        minx, miny, maxx, maxy = self.bounds
        ii = np.flatnonzero((xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy))
        ix = np.minimum(((xs[ii] - minx) / self.dx).astype(np.int64), self.nx - 1)
        iy = np.minimum(((ys[ii] - miny) / self.dy).astype(np.int64), self.ny - 1)
        vals = self.raster[iy, ix].astype(np.int64)
        out[ii] = vals
        mixed = vals <= _MIXED
        if mixed.any():
            pts = ii[mixed]
            k = -vals[mixed] - 2
            start, n = self.cand_off[k], self.cand_off[k + 1] - self.cand_off[k]
            rep = np.repeat(np.arange(len(pts)), n)
            cand = self.cand[
                np.repeat(start, n) + np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n)
            ]
            hit = shapely.intersects_xy(self.polys[cand], xs[pts[rep]], ys[pts[rep]])
            best = np.full(len(pts), np.iinfo(np.int64).max)
            np.minimum.at(best, rep[hit], cand[hit])
            best[best == np.iinfo(np.int64).max] = _NONE
            out[pts] = best
        return out

    def index(self, x: float, y: float) -> int:
        if self.raster is None:
            return _NONE
        minx, miny, maxx, maxy = self.bounds
        if not (minx <= x <= maxx and miny <= y <= maxy):
            return _NONE
        ix = int((x - minx) / self.dx)
        iy = int((y - miny) / self.dy)
        nx = self.nx
        v = self.flat[min(iy, self.ny - 1) * nx + min(ix, nx - 1)]
        if v > _MIXED:
            return v
        k = -v - 2
        cand = self.cand[self.cand_off[k] : self.cand_off[k + 1]]
        hit = np.flatnonzero(shapely.intersects_xy(self.polys[cand], x, y))
        return int(cand[hit[0]]) if len(hit) else _NONE


def _segments(polys: np.ndarray):
    """Every ring edge of every polygon: start (x, y), end (x, y), and the polygon's index."""
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[1:] == ring_idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    return (a[:, 0], a[:, 1]), (b[:, 0], b[:, 1]), ring_poly[ring_idx[:-1][same]]


def _load_district() -> _District:
    """What the installation serves: its district, or in a city the union of its districts'
    outlines under the city's name (a point is "outside" only outside every district)."""
    if is_city():
        code = city_code()
        unit = AdminUnit.objects.filter(code=code).only("name").first()
        name = unit.name if unit else code
        geom = served_outline()
    else:
        code = district_code()
        unit = AdminUnit.objects.filter(code=code).first()
        name = unit.name if unit else code
        geom = outline_of(unit)
    if geom is not None:
        shapely.prepare(geom)
    return _District(code=code, name=name, geometry=geom)


class GridLocator:
    """Locates points in the current grid layer; one instance per process (see `locator`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snap: _Snapshot | None = None
        self._next_check = -math.inf
        self.loads = 0  # how many times the layer was (re)loaded, for tests and metrics

    def invalidate(self) -> None:
        """Drop the loaded layer; the next look-up reloads it from the database."""
        with self._lock:
            self._snap = None
            self._next_check = -math.inf

    def snapshot(self) -> _Snapshot:
        snap = self._snap
        if snap is not None and time.monotonic() < self._next_check:
            return snap
        # Whoever holds the lock reloads; others answer from the old snapshot while it works.
        if not self._lock.acquire(blocking=snap is None):
            return snap
        try:
            snap = self._snap
            if snap is not None and time.monotonic() < self._next_check:
                return snap
            # Read the token before the rows: if the layer changes in between, the snapshot
            # carries the older token and the next check reloads, never the other way round.
            token = layer_token()
            if snap is None or snap.token != token:
                snap = _Snapshot(token, _live_rows(), _load_district())
                self.loads += 1
                self._snap = snap
            recheck = float(settings.ONEGRID.get("LOCATOR_RECHECK_SECONDS", 2))
            self._next_check = time.monotonic() + recheck
            return snap
        finally:
            self._lock.release()

    def locate(self, lon: float, lat: float) -> LocatedGrid | None:
        """The grid covering a WGS-84 point, or None. Never touches the database per point."""
        snap = self.snapshot()
        i = snap.index(lon, lat)
        return snap.located[i] if i >= 0 else None

    def locate_many(self, lons, lats) -> list[LocatedGrid | None]:
        """Vectorised `locate` over arrays of WGS-84 coordinates."""
        snap = self.snapshot()
        idx = snap.indices(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        located = snap.located
        return [located[i] if i >= 0 else None for i in idx.tolist()]

    def locate_many_indices(self, lons, lats) -> tuple[np.ndarray, list[LocatedGrid]]:
        """Like locate_many, as (index array with -1 for none, the grids it indexes)."""
        snap = self.snapshot()
        idx = snap.indices(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        return idx, snap.located

    def district_name(self) -> str:
        return self.snapshot().district.name

    def in_district(self, lon: float, lat: float) -> bool | None:
        """Whether a point lies in the district's outline; None if the outline is unknown."""
        geom = self.snapshot().district.geometry
        if geom is None:
            return None
        return bool(shapely.intersects_xy(geom, lon, lat))

    def locate_or_error(self, lon, lat) -> LocatedGrid:
        """Validate a WGS-84 point and locate it, or raise InvalidInput(field="lon") that says
        whether it lies outside the district or in a part no grid covers."""
        lon, lat = geo.validate_lon_lat(lon, lat)
        found = self.locate(lon, lat)
        if found is not None:
            return found
        params = {"lon": lon, "lat": lat, "district": self.district_name()}
        if self.in_district(lon, lat):
            raise InvalidInput(
                _("The point (%(lon).6f, %(lat).6f) lies in %(district)s but no grid covers it.")
                % params,
                field="lon",
                code="no_grid",
            )
        raise InvalidInput(
            _("The point (%(lon).6f, %(lat).6f) lies outside %(district)s.") % params,
            field="lon",
            code="outside_district",
        )


locator = GridLocator()


def locate(lon: float, lat: float) -> LocatedGrid | None:
    return locator.locate(lon, lat)


def locate_many(lons, lats) -> list[LocatedGrid | None]:
    return locator.locate_many(lons, lats)


def locate_or_error(lon, lat) -> LocatedGrid:
    return locator.locate_or_error(lon, lat)


def district_name() -> str:
    return locator.district_name()


def private_snapshot() -> _Snapshot:
    """The live grid layer as the current transaction sees it, outside the shared cache.

    For writes that must locate against a layer they are changing: loading it into the
    process-wide locator inside an uncommitted transaction would show it to other threads
    before it commits (and keep it if it rolls back).
    """
    return _Snapshot(layer_token(), _live_rows(), _District("", "", None))


def _live_rows() -> list[tuple]:
    """The live grids, as the rows a snapshot is built from."""
    return list(
        Grid.objects.order_by("code").values_list(
            "id", "code", "community_id", "street_id", "geometry_wkb", "street__parent__code"
        )
    )


def invalidate() -> None:
    locator.invalidate()
