"""One layer that covers everything exactly once: check a layer, and fuse grids with beats.

A pure geometry engine (no database, no models). Inputs and outputs are WGS-84 Shapely
geometries; every area and distance is measured in one `LocalProjection` (equal-area metres)
centred on the data. Work is vectorised with Shapely 2 (STRtree, array predicates and overlays,
the GEOS coverage validator and coverage union), so a city (20,000 grids × 4,000 beats) takes
seconds.

Checking (`check_layer`, `check_beats`)
    - invalid_geometry: empty, non-polygonal or invalid (self-intersecting…) geometries; they
      are repaired with make_valid for the other checks.
    - overlap: one issue per pair of units whose interiors overlap (only units the GEOS coverage
      validator flags are intersected, so a clean layer costs one validator pass).
    - gap: each connected piece of the outline not covered by any unit (or, without an outline,
      each hole enclosed by the layer), with the codes of the units around it.
    - sliver: a unit, or a gap/overlap piece (reported as a sliver instead of a gap/overlap; the
      message says which), that `SliverRule` calls one: small for this layer (under a share of
      its median unit area, never under an absolute floor) or thin whatever its area.
    - outside: the part of a unit outside the outline.
    - crosses_parent: the part of a unit outside its parent (parent_code when given and known,
      else the parent it overlaps most).
    - bad_code / serial_order: see `_code_issues` and `_serial_issues`.
    - splits_grid (check_beats): a grid whose area is not (almost) wholly inside one beat, or
      that more than one beat covers (overlapping beats).
    Noise: a problem piece is reported only if something is left of it after a morphological
    opening of width `tolerance_m` (so float slivers along shared edges or a ~1 cm rounded
    district outline never show up, while a real 10 m gap attached to such a strip still does;
    the reported geometry and area are those of the opened piece).

Fusing (`fuse`)
    (a) Every distinct vertex of the grid layer that lies within `snap_m` of a beat boundary (or
        of the outline) moves onto the nearest point of it. Vertices are moved by coordinate, so
        neighbours sharing a vertex move it together and the grid layer stays a coverage; a grid
        the move would make invalid, or would give coverage errors it did not have, keeps its
        vertices (and the neighbours sharing them keep theirs).
    (b) Each grid goes to the beat it overlaps most. A grid with no real overlap (the best one
        is under `sliver_m2` and under half the grid) goes to the beat of the neighbouring grids
        it shares the longest boundary with, repeatedly (so chains resolve), else to the nearest
        beat. Slivers of beats that cut a grid are thereby re-allocated with their grid.
    (c) Each beat becomes the coverage union of its grids, so the new beats have no gap and no
        overlap between them beyond those of the grid layer, and each is a union of whole grids.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from .codes import reading_order_lonlat
from .geometry import LocalProjection

KINDS = (
    "unreadable",  # a layer file that could not be read at all (territory.checks)
    "invalid_geometry",
    "gap",
    "overlap",
    "sliver",
    "outside",
    "crosses_parent",
    "splits_grid",
    "bad_code",
    "bad_attribute",  # a file's population or household figure (territory.checks)
    "serial_order",
)
_KIND_RANK = {k: i for i, k in enumerate(KINDS)}


@dataclass(frozen=True)
class Unit:
    """One polygon of a layer (a grid, community, street or beat)."""

    code: str
    geometry: BaseGeometry  # WGS-84 Polygon/MultiPolygon
    parent_code: str = ""  # e.g. a grid's community code, if known
    population: int | None = None
    households: int | None = None


@dataclass(frozen=True)
class Issue:
    kind: str
    codes: tuple[str, ...]
    area_m2: float
    lon: float
    lat: float
    geometry: BaseGeometry | None  # WGS-84; None for code problems
    message: str


@dataclass
class Fusion:
    grids: list[Unit]  # after snapping (WGS-84), same codes and order
    assignment: dict[str, str]  # grid code → beat code
    beats: list[Unit]  # beats holding at least one grid: the union of their grids
    changes: list[dict]  # one per input beat, see `fuse`
    snapped_vertices: int
    unassigned_beats: list[str] = field(default_factory=list)  # beats left with no grid


# --------------------------------------------------------------------------- helpers


def _fmt_area(area: float) -> str:
    return f"{area:,.1f}" if area < 100 else f"{area:,.0f}"


# Messages name at most this many codes (the issue's `codes` keeps them all): a community of
# forty grids out of order must not print one line of a thousand characters.
CODES_IN_MESSAGE = 10


def _codes_text(codes: Sequence[str], limit: int = CODES_IN_MESSAGE) -> str:
    codes = list(codes)
    if len(codes) <= limit:
        return ", ".join(codes)
    return _("%(codes)s … (%(more)d more)") % {
        "codes": ", ".join(codes[:limit]),
        "more": len(codes) - limit,
    }


@dataclass(frozen=True)
class SliverRule:
    """When a unit, a gap piece or an overlap piece is a sliver rather than a real one.

    Small for its layer: under `share` of the layer's median unit area, but never under
    `floor_m2` (so a layer of tiny units still has a sensible limit); a 550 m² fragment among
    grids of 0.4 km² is a sliver, a 550 m² grid among grids of 2,000 m² is not. Or thin,
    whatever its area: its mean width, 2 × area ÷ perimeter (a long strip's width), under
    `width_m`.
    """

    share: float = 0.01
    floor_m2: float = 100.0
    width_m: float = 5.0

    def limit_m2(self, unit_areas_m2) -> float:
        areas = np.asarray(unit_areas_m2, dtype=float)
        areas = areas[areas > 0]
        median = float(np.median(areas)) if len(areas) else 0.0
        return max(self.floor_m2, self.share * median)

    def thin(self, areas_m2, perimeters_m):
        """Mean width under `width_m` (element-wise for arrays)."""
        return 2 * np.asarray(areas_m2) / np.maximum(perimeters_m, 1e-12) < self.width_m

    def is_sliver(self, geom_m: BaseGeometry, limit_m2: float) -> bool:
        """A metric piece under `limit_m2` (the layer's `limit_m2`) or thin."""
        return geom_m.area < limit_m2 or bool(self.thin(geom_m.area, geom_m.length))

    def describe(self, limit_m2: float) -> str:
        return _(
            "under %(limit)s m² (%(share)s%% of the median unit, at least %(floor)s m²) or under "
            "%(width)s m wide"
        ) % {
            "limit": _fmt_area(limit_m2),
            "share": f"{100 * self.share:g}",
            "floor": _fmt_area(self.floor_m2),
            "width": f"{self.width_m:g}",
        }


DEFAULT_SLIVERS = SliverRule()


def _array(geoms) -> np.ndarray:
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return arr


def _projection(*groups) -> LocalProjection:
    boxes = []
    for g in groups:
        if g is None:
            continue
        arr = _array([g]) if isinstance(g, BaseGeometry) else _array(list(g))
        arr = arr[~shapely.is_missing(arr)]
        if len(arr):
            boxes.append(shapely.total_bounds(arr))
    if not boxes:
        return LocalProjection(0.0, 0.0)
    b = np.array(boxes)
    minx, miny = np.nanmin(b[:, 0]), np.nanmin(b[:, 1])
    maxx, maxy = np.nanmax(b[:, 2]), np.nanmax(b[:, 3])
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        return LocalProjection(0.0, 0.0)
    return LocalProjection(float(minx + maxx) / 2, float(miny + maxy) / 2)


def _polygonal(geom) -> BaseGeometry:
    """The polygonal part of any geometry (an empty Polygon when there is none)."""
    if geom is None:
        return Polygon()
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon)]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _polygonal_array(geoms: np.ndarray) -> np.ndarray:
    """`_polygonal` of each geometry; only those not already (multi)polygons are looked at."""
    out = geoms.copy()
    missing = shapely.is_missing(out)
    types = np.full(len(out), -1)
    types[~missing] = shapely.get_type_id(out[~missing])
    for i in np.flatnonzero(~np.isin(types, (3, 6))):
        out[i] = _polygonal(out[i])
    return out


def _grouped_union(geoms: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The union of geoms[starts[k]:ends[k]] for each k (a single one is taken as it is)."""
    out = np.empty(len(starts), dtype=object)
    sizes = ends - starts
    one = sizes == 1
    out[one] = geoms[starts[one]]
    many = np.flatnonzero(~one)
    if len(many):
        width = int(sizes[many].max())
        table = np.full((len(many), width), None, dtype=object)
        rows = np.repeat(np.arange(len(many)), sizes[many])
        cols = np.arange(len(rows)) - np.repeat(np.cumsum(sizes[many]) - sizes[many], sizes[many])
        table[rows, cols] = geoms[np.repeat(starts[many], sizes[many]) + cols]
        out[many] = _threaded(lambda t: shapely.union_all(t, axis=1), table, least=512)
    return out


def _repair(geoms: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Valid polygonal geometries (empty where none) and (index, reason) for the bad ones."""
    out = geoms.copy()
    bad: list[tuple[int, str]] = []
    missing = shapely.is_missing(out)
    types = np.full(len(out), -1)
    types[~missing] = shapely.get_type_id(out[~missing])
    valid = np.zeros(len(out), dtype=bool)
    valid[~missing] = shapely.is_valid(out[~missing])
    for i in np.flatnonzero(missing | ~np.isin(types, (3, 6)) | ~valid):
        g = out[i]
        if g is None:
            bad.append((int(i), _("no geometry")))
            out[i] = Polygon()
            continue
        if g.is_empty:
            bad.append((int(i), _("empty geometry")))
            out[i] = Polygon()
            continue
        if types[i] not in (3, 6):
            bad.append((int(i), _("not a polygon (%(type)s)") % {"type": g.geom_type}))
        else:
            bad.append((int(i), shapely.is_valid_reason(g)))
        out[i] = _polygonal(shapely.make_valid(g))
    return out, bad


def _metric(proj: LocalProjection, geoms_ll: np.ndarray) -> np.ndarray:
    """Project valid WGS-84 polygons to metres, repairing the few the projection makes invalid."""
    if len(geoms_ll) == 0:
        return geoms_ll.copy()
    out = proj.to_metric(geoms_ll)
    bad = np.flatnonzero(~shapely.is_valid(out))
    for i in bad:
        out[i] = _polygonal(shapely.make_valid(out[i]))
    return out


def _threaded(fn, *arrays, least: int = 4096):
    """fn(*arrays) (element-wise, along the first axis), split over up to 4 threads when large:
    Shapely releases the GIL inside GEOS."""
    n = len(arrays[0])
    workers = min(4, os.cpu_count() or 1)
    if workers < 2 or n < least:
        return fn(*arrays)
    bounds = np.linspace(0, n, workers + 1).astype(int)
    with ThreadPoolExecutor(workers) as pool:
        parts = list(
            pool.map(lambda k: fn(*[x[bounds[k] : bounds[k + 1]] for x in arrays]), range(workers))
        )
    return np.concatenate(parts)


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection; pairs GEOS cannot overlay are retried on a 1 mm grid.

    Shapely releases the GIL, so large arrays are split over up to 4 threads.
    """
    try:
        return _threaded(shapely.intersection, a, b)
    except shapely.errors.GEOSException:
        out = np.empty(len(a), dtype=object)
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            try:
                out[k] = shapely.intersection(x, y)
            except shapely.errors.GEOSException:
                out[k] = shapely.intersection(x, y, grid_size=1e-3)
        return out


def _difference(a, b):
    try:
        return shapely.difference(a, b)
    except shapely.errors.GEOSException:
        return shapely.difference(a, b, grid_size=1e-3)


def _opened(pieces: np.ndarray, tolerance_m: float) -> list[Polygon]:
    """Metric problem pieces with anything narrower than `tolerance_m` removed, split in parts."""
    if len(pieces) == 0:
        return []
    # 1 mm rounding drops the zero-width spikes overlays leave where edges nearly coincide
    parts = shapely.get_parts(shapely.set_precision(shapely.get_parts(pieces), 1e-3))
    parts = parts[shapely.get_type_id(parts) == 3]
    floor = max(tolerance_m * tolerance_m, 1e-6)
    parts = parts[shapely.area(parts) >= floor]
    if tolerance_m <= 0 or len(parts) == 0:
        return list(parts)
    r = tolerance_m / 2
    # Pieces clearly wider than the tolerance everywhere need no opening.
    area = shapely.area(parts)
    thin = 2 * area / np.maximum(shapely.length(parts), 1e-12) < 8 * tolerance_m
    out = list(parts[~thin])
    if thin.any():
        core = shapely.buffer(parts[thin], -r, quad_segs=2, join_style="mitre")
        keep = ~shapely.is_empty(core)
        if keep.any():
            grown = shapely.buffer(core[keep], r, quad_segs=2, join_style="mitre")
            opened = shapely.intersection(grown, parts[thin][keep])
            sub = shapely.get_parts(opened)
            sub = sub[shapely.get_type_id(sub) == 3]
            out.extend(sub[shapely.area(sub) >= floor])
    return out


def _issue(kind, codes, geom_m, proj: LocalProjection, message: str) -> Issue:
    pt = shapely.point_on_surface(geom_m)
    lon, lat = proj.inverse(pt.x, pt.y)
    return Issue(
        kind=kind,
        codes=tuple(codes),
        area_m2=float(geom_m.area),
        lon=float(lon),
        lat=float(lat),
        geometry=proj.to_lonlat(geom_m),
        message=message,
    )


def _code_issue(kind, codes, geom_ll, message: str) -> Issue:
    lon = lat = float("nan")
    if geom_ll is not None and not geom_ll.is_empty:
        pt = geom_ll.point_on_surface()
        lon, lat = pt.x, pt.y
    return Issue(kind, tuple(codes), 0.0, float(lon), float(lat), None, message)


def _union(geoms: np.ndarray, coverage: bool) -> BaseGeometry:
    geoms = geoms[~shapely.is_empty(geoms)]
    if len(geoms) == 0:
        return Polygon()
    if coverage:
        try:
            return shapely.coverage_union_all(geoms)
        except shapely.errors.GEOSException:
            pass  # noded in degrees but not quite in metres: fall back to a full union
    return shapely.union_all(geoms)


def _unmatched(geoms: np.ndarray) -> np.ndarray:
    """Boolean per (valid, polygonal) geometry: some segment of it is not matched exactly once.

    A segment is matched when exactly one other ring of the layer holds the same two vertices
    the other way round (rings oriented shell counter-clockwise, holes clockwise): the interiors
    lie on either side, as in a valid coverage. A geometry all of whose segments are matched
    cannot be flagged by the GEOS coverage validator (it flags a polygon's unmatched segments,
    and matched ones with the interiors on one side). Numpy only: one sort of the vertices and
    one of the segments.
    """
    flags = np.zeros(len(geoms), dtype=bool)
    if (shapely.get_type_id(geoms) == 3).all():  # no multipart to take apart (the usual layer)
        parts, part_of = geoms, np.arange(len(geoms))
    else:
        parts, part_of = shapely.get_parts(geoms, return_index=True)
    is_polygon = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    flags[part_of[~is_polygon]] = True  # anything but polygons: leave it to GEOS
    parts, part_of = parts[is_polygon], part_of[is_polygon]
    if len(parts) == 0:
        return flags
    # rings: a polygon without holes is its shell; the others are taken apart
    holed = shapely.get_num_interior_rings(parts) > 0
    simple = np.flatnonzero(~holed)
    rings_of_holed, hole_part = shapely.get_rings(parts[holed], return_index=True)
    hole_part = np.flatnonzero(holed)[hole_part]
    c1, r1 = shapely.get_coordinates(parts[simple], return_index=True)
    c2, r2 = shapely.get_coordinates(rings_of_holed, return_index=True)
    coords = np.concatenate([c1, c2])
    ring = np.concatenate([r1, r2 + len(simple)])
    ring_part = np.concatenate([simple, hole_part])
    shell = np.r_[True, hole_part[1:] != hole_part[:-1]] if len(hole_part) else np.empty(0, bool)
    exterior = np.r_[np.ones(len(simple), bool), shell]
    same = ring[1:] == ring[:-1]
    seg_ring = ring[1:][same]
    if len(seg_ring) == 0:
        return flags
    # orientation by the shoelace sum, about each ring's first vertex for precision
    first = np.r_[0, np.flatnonzero(~same) + 1]
    local = coords - coords[first][ring]
    p, q = local[:-1][same], local[1:][same]
    cross = p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]
    ccw = np.bincount(seg_ring, weights=cross, minlength=len(ring_part)) > 0
    flip = (ccw != exterior)[seg_ring]
    # vertices by exact coordinates, segments by their two vertices
    _keys, vid = np.unique(coords[:, 0] + 1j * coords[:, 1], return_inverse=True)
    vid = vid.ravel()
    a, b = vid[:-1][same], vid[1:][same]
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo.astype(np.int64) * (int(vid.max()) + 1) + hi
    order = np.argsort(key, kind="stable")
    key = key[order]
    new_group = np.r_[True, key[1:] != key[:-1]]
    group = np.cumsum(new_group) - 1
    count = np.bincount(group)
    walk = np.bincount(group, weights=np.where(a < b, 1.0, -1.0)[order])
    bad = ((count != 2) | (walk != 0))[group] | (lo == hi)[order]
    flags[part_of[ring_part[seg_ring[order][bad]]]] = True
    return flags


def _layer_union(geoms: np.ndarray, flagged: np.ndarray) -> BaseGeometry:
    """The union of a layer: the units the coverage validator does not flag form a coverage
    (one coverage union), the few it flags are added to that by a full union."""
    if not flagged.any():
        return _union(geoms, coverage=True)
    clean = _union(geoms[~flagged], coverage=True)
    return _union(np.concatenate([_array([clean]), geoms[flagged]]), coverage=False)


def _invalid_coverage(geoms: np.ndarray, tree: shapely.STRtree | None = None) -> np.ndarray:
    """Boolean per geometry: the GEOS coverage validator flags some of its edges.

    GEOS validates only the geometries `_unmatched` cannot clear, with every geometry that
    touches them (all a geometry's validation looks at), so a layer whose units share their
    edges exactly costs one sort and a validator pass over its outer ring of units.
    """
    flags = np.zeros(len(geoms), dtype=bool)
    present = np.flatnonzero(~shapely.is_empty(geoms))
    if len(present) < 2:
        return flags
    sub = geoms[present]
    doubt = np.flatnonzero(_unmatched(sub))
    if len(doubt) == 0:
        return flags
    if 2 * len(doubt) < len(sub):
        if tree is None or len(present) < len(geoms):
            tree = shapely.STRtree(sub)
        _src, near = tree.query(sub[doubt], predicate="intersects")
        local = np.union1d(doubt, near)
    else:
        local = np.arange(len(sub))
    edges = shapely.coverage_invalid_edges(sub[local])
    found = ~shapely.is_empty(edges)
    # only the doubtful ones were validated with all their neighbours
    in_doubt = np.isin(local, doubt)
    flags[present[local[found & in_doubt]]] = True
    return flags


def _pair_overlaps(geoms_m: np.ndarray, candidates: np.ndarray):
    """(i, j, intersection) for i < j where a candidate's interior meets another unit's."""
    if len(candidates) == 0:
        return np.empty(0, int), np.empty(0, int), np.empty(0, object)
    tree = shapely.STRtree(geoms_m)
    src, dst = tree.query(geoms_m[candidates], predicate="intersects")
    a = candidates[src]
    b = dst
    keep = a != b
    i, j = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    if len(i) == 0:
        return np.empty(0, int), np.empty(0, int), np.empty(0, object)
    pairs = np.unique(np.column_stack([i, j]), axis=0)
    i, j = pairs[:, 0], pairs[:, 1]
    inter = _intersection(geoms_m[i], geoms_m[j])
    pos = shapely.area(inter) > 0
    return i[pos], j[pos], inter[pos]


def _overlay_areas(grids_m: np.ndarray, beats_m: np.ndarray, grid_areas: np.ndarray):
    """Sparse grid × beat overlap: (grid idx, beat idx, area, intersection or None).

    A grid covered by one beat that no other beat overlaps costs one prepared predicate; only
    the others are intersected. Which beats overlap another is asked of the GEOS coverage
    validator (one pass over the beats): a beat it flags, and every beat touching a flagged
    one (a beat drawn wholly inside another flags only itself), may share its grids with
    another beat, so their grids take the general path.
    """
    tree = shapely.STRtree(beats_m)
    cg, cb = tree.query(grids_m, predicate="covered_by")
    flagged = np.flatnonzero(_invalid_coverage(beats_m, tree))
    overlapped = np.zeros(len(beats_m), dtype=bool)
    if len(flagged):
        _src, near = tree.query(beats_m[flagged], predicate="intersects")
        overlapped[near] = True
    keep = ~overlapped[cb]
    cg, cb = cg[keep], cb[keep]
    # a grid covered by two beats (duplicate beats) is handled by the general path
    counts = np.bincount(cg, minlength=len(grids_m))
    single = counts == 1
    keep = single[cg]
    gi1, bi1 = cg[keep], cb[keep]
    rest = np.flatnonzero(~single & ~shapely.is_empty(grids_m))
    gi2, bi2 = tree.query(grids_m[rest], predicate="intersects")
    gi2 = rest[gi2]
    inter = _intersection(grids_m[gi2], beats_m[bi2])
    area2 = shapely.area(inter)
    pos = area2 > 0
    gi = np.concatenate([gi1, gi2[pos]])
    bi = np.concatenate([bi1, bi2[pos]])
    area = np.concatenate([grid_areas[gi1], area2[pos]])
    geoms = np.concatenate([np.full(len(gi1), None, dtype=object), inter[pos]])
    return gi, bi, area, geoms


def sort_issues(issues: list[Issue]) -> list[Issue]:
    """By kind (in KINDS order), then codes, then larger areas first."""
    return sorted(issues, key=lambda s: (_KIND_RANK.get(s.kind, 99), s.codes, -s.area_m2))


# --------------------------------------------------------------------------- codes


def _code_issues(
    codes: list[str], parents: list[str], level: str, geoms_ll: np.ndarray
) -> list[Issue]:
    """Code rules (DOMAIN §2), by level.

    grid: 15 digits, serial (last 3) not 000, a valid community prefix, and the first 12 equal
    to its parent's (community) code when the parent is known. community: 12 digits, street part
    and community part not 000, first 9 equal to its street's. street: 12 digits ending in 000,
    street part not 000, first 6 equal to its district's. Every level: codes are unique. Other
    levels (e.g. "beat") are only checked for presence and uniqueness.
    """
    out: list[Issue] = []
    seen: dict[str, list[int]] = defaultdict(list)
    for i, code in enumerate(codes):
        seen[code].append(i)
    for code, idx in seen.items():
        if len(idx) > 1:
            out.append(
                _code_issue(
                    "bad_code",
                    (code,),
                    geoms_ll[idx[0]],
                    _("Code %(code)s is used by %(n)d units.") % {"code": code, "n": len(idx)},
                )
            )
    for i, code in enumerate(codes):
        parent = parents[i]
        problem = None
        if not code:
            problem = _("A unit has no code.")
        elif level == "grid":
            if len(code) != 15 or not code.isdigit():
                problem = _("Grid code %(code)s must have 15 digits.")
            elif code[12:] == "000":
                problem = _("Grid code %(code)s has serial 000.")
            elif code[6:9] == "000" or code[9:12] == "000":
                problem = _("Grid code %(code)s does not start with a community code.")
            elif parent and code[:12] != parent:
                problem = _(
                    "Grid code %(code)s does not start with its community's code %(parent)s."
                )
        elif level in ("community", "street"):
            if len(code) != 12 or not code.isdigit():
                problem = _("Code %(code)s must have 12 digits.")
            elif code[6:9] == "000":
                problem = _("Code %(code)s has street/town part 000.")
            elif level == "community" and code[9:] == "000":
                problem = _("Community code %(code)s must not end in 000 (that is a street code).")
            elif level == "street" and code[9:] != "000":
                problem = _("Street code %(code)s must end in 000.")
            elif level == "community" and parent and code[:9] != parent[:9]:
                problem = _("Community code %(code)s does not start with its street's %(parent)s.")
            elif level == "street" and parent and code[:6] != parent[:6]:
                problem = _("Street code %(code)s does not start with its district's %(parent)s.")
        if problem:
            out.append(
                _code_issue(
                    "bad_code",
                    (code,),
                    geoms_ll[i],
                    problem % {"code": code or "?", "parent": parent},
                )
            )
    return out


def _lis_keep(ranks: list[int]) -> set[int]:
    """Positions of one longest increasing subsequence of `ranks`."""
    import bisect

    tails: list[int] = []
    tails_pos: list[int] = []
    prev = [-1] * len(ranks)
    for pos, r in enumerate(ranks):
        k = bisect.bisect_left(tails, r)
        if k == len(tails):
            tails.append(r)
            tails_pos.append(pos)
        else:
            tails[k] = r
            tails_pos[k] = pos
        prev[pos] = tails_pos[k - 1] if k else -1
    keep = set()
    pos = tails_pos[-1] if tails_pos else -1
    while pos >= 0:
        keep.add(pos)
        pos = prev[pos]
    return keep


def expected_order(geoms_ll: Sequence[BaseGeometry]) -> list[int]:
    """Indices of sibling units (WGS-84) in the order their serials must run.

    The rule (the demo coder's and the code tool's, territory.codes): rows north→south,
    west→east within a row. A row is a band of height √(A ÷ n) measured down from the parents'
    northern edge, where A is the siblings' total area and n their number (the plain lon/lat
    plane, in degrees); a unit falls in the band holding its point-on-surface, and within a
    band units go by that point's longitude (then north first).
    """
    return reading_order_lonlat(list(_array(geoms_ll)))


def _serial_issues(codes: list[str], level: str, geoms_ll: np.ndarray) -> list[Issue]:
    """Serials within one parent must follow `expected_order`.

    grid: siblings are grids with the same 12-digit prefix. community: the same 9-digit prefix;
    the reading order is that of all siblings, but the 社区 (001–199) and 村 (200–999) series
    are numbered separately, so each series must follow it on its own. Other levels carry
    official codes, not positional ones, and are not checked. The units reported are those off
    one longest run of serials that is in order (for a swap of two units, one of them).
    """
    if level == "grid":
        prefix = [c[:12] if len(c) == 15 and c.isdigit() else None for c in codes]
    elif level == "community":
        prefix = [c[:9] if len(c) == 12 and c.isdigit() and c[9:] != "000" else None for c in codes]
    else:
        return []
    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(prefix):
        if k is not None and not geoms_ll[i].is_empty:
            groups[k].append(i)
    out = []
    for parent, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        order = expected_order([geoms_ll[i] for i in members])
        rank = {members[k]: r for r, k in enumerate(order)}
        series: dict[bool, list[int]] = defaultdict(list)
        for i in members:
            series[level == "community" and int(codes[i][9:]) >= 200].append(i)
        wrong: list[int] = []
        for run in series.values():
            run.sort(key=lambda i: codes[i])
            keep = _lis_keep([rank[i] for i in run])
            wrong += [i for p, i in enumerate(run) if p not in keep]
        if not wrong:
            continue
        wrong.sort(key=lambda i: codes[i])
        expected = [codes[members[k]] for k in order]
        if len(expected) > CODES_IN_MESSAGE:
            # The order around the first unit out of place says enough; the rest is one click
            # away on the map (the issue's `codes` still names every unit out of place).
            at = expected.index(codes[wrong[0]])
            start = max(0, min(at - CODES_IN_MESSAGE // 2, len(expected) - CODES_IN_MESSAGE))
            expected = expected[start : start + CODES_IN_MESSAGE]
            expected = (["…"] if start else []) + expected
            expected += ["…"] if start + CODES_IN_MESSAGE < len(order) else []
        out.append(
            _code_issue(
                "serial_order",
                tuple(codes[i] for i in wrong),
                geoms_ll[wrong[0]],
                _(
                    "Serials under %(parent)s are not in west→east, north→south order: "
                    "%(codes)s out of place (expected order %(expected)s)."
                )
                % {
                    "parent": parent,
                    "codes": _codes_text([codes[i] for i in wrong]),
                    "expected": _codes_text(expected, limit=len(expected)),
                },
            )
        )
    return out


# --------------------------------------------------------------------------- check


def check_layer(
    units: Sequence[Unit],
    *,
    outline: BaseGeometry | None = None,
    parents: Sequence[Unit] = (),
    level: str = "grid",
    slivers: SliverRule = DEFAULT_SLIVERS,
    tolerance_m: float = 0.5,
) -> list[Issue]:
    """Every problem of one layer (see the module docstring), sorted by kind then codes."""
    units = list(units)
    parents = list(parents)
    issues: list[Issue] = []
    codes = [u.code for u in units]
    raw = _array([u.geometry for u in units])
    proj = _projection(raw, outline, [p.geometry for p in parents])
    geoms_ll, bad = _repair(raw)
    for i, reason in bad:
        issues.append(
            _code_issue(
                "invalid_geometry",
                (codes[i],),
                geoms_ll[i],
                _("Unit %(code)s has an invalid geometry: %(reason)s.")
                % {"code": codes[i], "reason": reason},
            )
        )
    geoms_m = _metric(proj, geoms_ll)
    areas = shapely.area(geoms_m) if len(geoms_m) else np.empty(0)
    empty = shapely.is_empty(geoms_m) if len(geoms_m) else np.empty(0, bool)

    # slivers: whole units, small for this layer or thin
    sliver_m2 = slivers.limit_m2(areas)
    rule = slivers.describe(sliver_m2)
    perimeters = shapely.length(geoms_m) if len(geoms_m) else np.empty(0)
    small_or_thin = (areas < sliver_m2) | slivers.thin(areas, perimeters)
    for i in np.flatnonzero(small_or_thin & ~empty):
        issues.append(
            _issue(
                "sliver",
                (codes[i],),
                geoms_m[i],
                proj,
                _("Unit %(code)s is a sliver: %(area)s m², %(width)s m wide on average (%(rule)s).")
                % {
                    "code": codes[i],
                    "area": _fmt_area(areas[i]),
                    "width": f"{2 * areas[i] / max(perimeters[i], 1e-12):,.1f}",
                    "rule": rule,
                },
            )
        )

    # overlaps between units
    flagged = _invalid_coverage(geoms_ll)
    i_idx, j_idx, inters = _pair_overlaps(geoms_m, np.flatnonzero(flagged))
    for i, j, inter in zip(i_idx, j_idx, inters, strict=True):
        pieces = _opened(_array([_polygonal(inter)]), tolerance_m)
        if not pieces:
            continue
        geom = pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)
        pair = tuple(sorted((codes[i], codes[j])))
        args = {"codes": _codes_text(pair), "area": _fmt_area(geom.area)}
        if slivers.is_sliver(geom, sliver_m2):
            issues.append(
                _issue(
                    "sliver",
                    pair,
                    geom,
                    proj,
                    _("Sliver overlap of %(area)s m² between %(codes)s.") % args,
                )
            )
        else:
            issues.append(
                _issue("overlap", pair, geom, proj, _("%(codes)s overlap by %(area)s m².") % args)
            )

    # gaps (and parts outside the outline)
    union = _layer_union(geoms_m, flagged)
    outline_m = None
    if outline is not None and not outline.is_empty:
        outline_m = _polygonal(shapely.make_valid(proj.to_metric(outline)))
        missing = _difference(outline_m, union)
    else:
        holes = [
            Polygon(ring)
            for poly in shapely.get_parts(union)
            if isinstance(poly, Polygon)
            for ring in poly.interiors
        ]
        missing = shapely.union_all(holes) if holes else Polygon()
    pieces = _opened(_array([_polygonal(missing)]), tolerance_m)
    if pieces:
        tree = shapely.STRtree(geoms_m)
        src, dst = tree.query(_array(pieces), predicate="dwithin", distance=max(tolerance_m, 1e-6))
        around: dict[int, set[str]] = defaultdict(set)
        for s, d in zip(src.tolist(), dst.tolist(), strict=True):
            around[s].add(codes[d])
        for k, piece in enumerate(pieces):
            near = tuple(sorted(around.get(k, ())))
            args = {"codes": _codes_text(near) or "—", "area": _fmt_area(piece.area)}
            if slivers.is_sliver(piece, sliver_m2):
                msg = _("Sliver gap of %(area)s m² next to %(codes)s.") % args
                issues.append(_issue("sliver", near, piece, proj, msg))
            else:
                msg = _("Gap of %(area)s m² not covered by any unit, next to %(codes)s.") % args
                issues.append(_issue("gap", near, piece, proj, msg))

    if outline_m is not None and len(geoms_m):
        shapely.prepare(outline_m)
        out_idx = np.flatnonzero(~shapely.covers(outline_m, geoms_m) & ~empty)
        diffs = _difference(geoms_m[out_idx], outline_m)
        for i, diff in zip(out_idx, diffs, strict=True):
            pieces = _opened(_array([_polygonal(diff)]), tolerance_m)
            if pieces:
                geom = pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)
                msg = _("%(area)s m² of %(code)s lie outside the outline.") % {
                    "code": codes[i],
                    "area": _fmt_area(geom.area),
                }
                issues.append(_issue("outside", (codes[i],), geom, proj, msg))

    # parents
    effective_parent = [u.parent_code or "" for u in units]
    if parents:
        issues += _parent_issues(
            codes, effective_parent, geoms_m, empty, parents, proj, tolerance_m
        )

    issues += _code_issues(codes, effective_parent, level, geoms_ll)
    issues += _serial_issues(codes, level, geoms_ll)
    return sort_issues(issues)


def _parent_issues(codes, effective_parent, geoms_m, empty, parents, proj, tolerance_m):
    """crosses_parent issues; fills in `effective_parent` (by largest overlap) where unknown."""
    issues = []
    p_codes = [p.code for p in parents]
    p_index = {c: k for k, c in enumerate(p_codes)}
    p_ll, _bad = _repair(_array([p.geometry for p in parents]))
    p_m = _metric(proj, p_ll)
    unknown = []
    for i, pc in enumerate(effective_parent):
        if empty[i]:
            continue
        if pc and pc not in p_index:
            issues.append(
                _code_issue(
                    "bad_code",
                    (codes[i],),
                    None,
                    _("Unit %(code)s names parent %(parent)s, which is not in the parent layer.")
                    % {"code": codes[i], "parent": pc},
                )
            )
            unknown.append(i)
        elif not pc:
            unknown.append(i)
    if unknown:
        unknown = np.array(unknown)
        areas = shapely.area(geoms_m)
        gi, bi, area, _g = _overlay_areas(geoms_m[unknown], p_m, areas[unknown])
        best: dict[int, tuple[float, int]] = {}
        for g, b, a in zip(gi.tolist(), bi.tolist(), area.tolist(), strict=True):
            if a > best.get(g, (-1.0, -1))[0]:
                best[g] = (a, b)
        for g, (_a, b) in best.items():
            effective_parent[int(unknown[g])] = p_codes[b]
    idx = np.array(
        [i for i, pc in enumerate(effective_parent) if pc in p_index and not empty[i]], dtype=int
    )
    if len(idx) == 0:
        return issues
    pidx = np.array([p_index[effective_parent[i]] for i in idx], dtype=int)
    shapely.prepare(p_m)
    inside = shapely.covers(p_m[pidx], geoms_m[idx])
    idx, pidx = idx[~inside], pidx[~inside]
    diffs = _difference(geoms_m[idx], p_m[pidx])
    ptree = shapely.STRtree(p_m)
    for i, k, diff in zip(idx, pidx, diffs, strict=True):
        pieces = _opened(_array([_polygonal(diff)]), tolerance_m)
        if not pieces:
            continue
        geom = pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)
        others = sorted(
            {p_codes[o] for o in ptree.query(geom, predicate="intersects") if o != k} - {p_codes[k]}
        )
        involved = (codes[i], p_codes[k], *others)
        msg = _("%(area)s m² of %(code)s lie outside its parent %(parent)s%(into)s.") % {
            "area": _fmt_area(geom.area),
            "code": codes[i],
            "parent": p_codes[k],
            "into": (" → " + _codes_text(others)) if others else "",
        }
        issues.append(_issue("crosses_parent", involved, geom, proj, msg))
    return issues


def check_beats(
    grids: Sequence[Unit], beats: Sequence[Unit], *, min_share: float = 0.001
) -> list[Issue]:
    """Each grid must lie (almost) wholly inside one beat.

    splits_grid: more than `min_share` of a grid lies outside the beat holding most of it;
    codes = (grid, that beat, the other beats by decreasing share), area = the minor parts.
    gap: more than `min_share` of a grid lies in no beat at all; codes = (grid,).
    """
    grids, beats = list(grids), list(beats)
    if not grids:
        return []
    g_codes = [g.code for g in grids]
    b_codes = [b.code for b in beats]
    g_ll, _bad = _repair(_array([g.geometry for g in grids]))
    b_ll, _bad = _repair(_array([b.geometry for b in beats]))
    proj = _projection(g_ll, b_ll)
    g_m = _metric(proj, g_ll)
    g_area = shapely.area(g_m)
    issues: list[Issue] = []
    if beats:
        b_m = _metric(proj, b_ll)
        gi, bi, area, inter = _overlay_areas(g_m, b_m, g_area)
    else:
        gi = bi = np.empty(0, int)
        area = np.empty(0)
        inter = np.empty(0, object)
    order = np.lexsort((-area, gi))
    gi, bi, area, inter = gi[order], bi[order], area[order], inter[order]
    starts = np.flatnonzero(np.r_[True, gi[1:] != gi[:-1]]) if len(gi) else np.empty(0, int)
    ends = np.r_[starts[1:], len(gi)] if len(gi) else np.empty(0, int)
    inside = np.bincount(gi, weights=area, minlength=len(grids))
    # per grid: the main beat is the first of its run, the minor parts the rest
    others_area = area.copy()
    others_area[starts] = 0.0
    minor = np.add.reduceat(others_area, starts) if len(gi) else np.empty(0)
    main_g = gi[starts]
    split = ((ends - starts) >= 2) & (minor > min_share * g_area[main_g])
    s_start, s_end, s_grid, s_minor = starts[split], ends[split], main_g[split], minor[split]
    if len(s_start):
        geoms = _grouped_union(_polygonal_array(inter), s_start + 1, s_end)
        pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
        lon, lat = proj.inverse(pts[:, 0], pts[:, 1])
        geoms_ll = proj.to_lonlat(geoms)
        # Overlapping beats: the other beats hold more of the grid than the main beat leaves.
        twice = s_minor - (g_area[s_grid] - area[s_start]) > min_share * g_area[s_grid]
        share = 100 * s_minor / g_area[s_grid]
        twice_text = _(
            "Grid %(grid)s is covered by more than one beat: %(area)s m² "
            "(%(share).1f%%) of it lie in %(others)s besides beat %(beat)s."
        )
        split_text = _(
            "Grid %(grid)s is split: %(area)s m² (%(share).1f%%) lie outside beat "
            "%(beat)s, in %(others)s."
        )
        b_list = bi.tolist()
        for k, (st, en, g) in enumerate(
            zip(s_start.tolist(), s_end.tolist(), s_grid.tolist(), strict=True)
        ):
            involved = (g_codes[g], *[b_codes[b] for b in b_list[st:en]])
            args = {
                "grid": g_codes[g],
                "area": _fmt_area(float(s_minor[k])),
                "share": float(share[k]),
                "beat": involved[1],
                "others": _codes_text(involved[2:]),
            }
            issues.append(
                Issue(
                    "splits_grid",
                    involved,
                    float(s_minor[k]),
                    float(lon[k]),
                    float(lat[k]),
                    geoms_ll[k],
                    (twice_text if twice[k] else split_text) % args,
                )
            )
    uncovered = np.flatnonzero((g_area - inside) > np.maximum(min_share * g_area, 1e-6))
    if len(uncovered):
        # each such grid less the union of the beats it meets (not of every beat)
        if beats:
            ui, ub = shapely.STRtree(b_m).query(g_m[uncovered], predicate="intersects")
            near = np.bincount(ui, minlength=len(uncovered))
            ends_u = np.cumsum(near)
            starts_u = ends_u - near
            local = np.full(len(uncovered), None, dtype=object)
            met = near > 0
            if met.any():
                local[met] = _grouped_union(b_m[ub], starts_u[met], ends_u[met])
            rest = g_m[uncovered].copy()
            rest[met] = _difference(g_m[uncovered][met], local[met])
            rest = _polygonal_array(rest)
        else:
            rest = _polygonal_array(g_m[uncovered])
        rest_area = shapely.area(rest)
        real = rest_area > min_share * g_area[uncovered]
        gap_text = _("%(area)s m² of grid %(grid)s lie in no beat.")
        for g, geom, a_m2 in zip(
            uncovered[real].tolist(), rest[real], rest_area[real], strict=True
        ):
            msg = gap_text % {"area": _fmt_area(float(a_m2)), "grid": g_codes[g]}
            issues.append(_issue("gap", (g_codes[g],), geom, proj, msg))
    return sort_issues(issues)


def overlaps_between(
    units: Sequence[Unit],
    others: Sequence[Unit],
    *,
    slivers: SliverRule = DEFAULT_SLIVERS,
    tolerance_m: float = 0.5,
) -> list[tuple[int, int, float]]:
    """(i, j, area m²) for each unit i of `units` whose interior overlaps unit j of `others`.

    Pieces are opened like every problem piece (`tolerance_m`), and those that `slivers` calls
    slivers (limit relative to `others`) are left to the layer check: what is named is one unit
    stacked over another, not digitising noise along a shared edge.
    """
    units, others = list(units), list(others)
    if not units or not others:
        return []
    a_ll, _bad = _repair(_array([u.geometry for u in units]))
    b_ll, _bad = _repair(_array([u.geometry for u in others]))
    proj = _projection(a_ll, b_ll)
    a_m, b_m = _metric(proj, a_ll), _metric(proj, b_ll)
    limit = slivers.limit_m2(shapely.area(b_m))
    ai, bi = shapely.STRtree(b_m).query(a_m, predicate="intersects")
    if len(ai) == 0:
        return []
    inter = _intersection(a_m[ai], b_m[bi])
    found = []
    for i, j, piece in zip(ai.tolist(), bi.tolist(), inter, strict=True):
        if shapely.area(piece) <= 0:
            continue
        opened = _opened(_array([_polygonal(piece)]), tolerance_m)
        geom = opened[0] if len(opened) == 1 else MultiPolygon(opened)
        if opened and not slivers.is_sliver(geom, limit):
            found.append((i, j, float(geom.area)))
    return found


# --------------------------------------------------------------------------- fuse


def _segments(lines: np.ndarray) -> np.ndarray:
    """Every segment of an array of (multi)linestrings, as 2-point linestrings."""
    coords, index = shapely.get_coordinates(lines, return_index=True)
    same = index[1:] == index[:-1]
    segs = np.stack([coords[:-1][same], coords[1:][same]], axis=1)
    segs = segs[(segs[:, 0] != segs[:, 1]).any(axis=1)]
    return shapely.linestrings(segs)


def _snap(grids_ll, targets_m, proj: LocalProjection, snap_m: float):
    """Move shared grid vertices onto nearby target lines; see `fuse` (a)."""
    coords, gidx = shapely.get_coordinates(grids_ll, return_index=True)
    if len(coords) == 0 or len(targets_m) == 0 or snap_m <= 0:
        return grids_ll, 0, None
    keys, inv = np.unique(coords[:, 0] + 1j * coords[:, 1], return_inverse=True)
    uniq = np.column_stack([keys.real, keys.imag])
    inv = inv.ravel()
    x, y = proj.forward(uniq[:, 0], uniq[:, 1])
    points = shapely.points(x, y)
    rings = shapely.boundary(targets_m)
    segs = _segments(rings)
    if len(segs) == 0:
        return grids_ll, 0, None
    min_move = snap_m / 100
    new_xy = np.full((len(uniq), 2), np.nan)
    # vertex to vertex first (as GIS snapping does), then vertex to edge
    tv = np.unique(shapely.get_coordinates(rings), axis=0)
    pi, vi = shapely.STRtree(shapely.points(tv)).query_nearest(
        points, max_distance=snap_m, all_matches=False
    )
    dist = np.hypot(tv[vi, 0] - x[pi], tv[vi, 1] - y[pi])
    near_vertex = np.zeros(len(uniq), dtype=bool)
    near_vertex[pi] = True
    far = dist > min_move
    new_xy[pi[far]] = tv[vi[far]]
    rest = np.flatnonzero(~near_vertex)
    pi, si = shapely.STRtree(segs).query_nearest(
        points[rest], max_distance=snap_m, all_matches=False
    )
    pi = rest[pi]
    lines = shapely.shortest_line(points[pi], segs[si])
    far = shapely.length(lines) > min_move
    new_xy[pi[far]] = shapely.get_coordinates(shapely.get_point(lines[far], 1))
    pi = np.flatnonzero(~np.isnan(new_xy[:, 0]))
    if len(pi) == 0:
        return grids_ll, 0, None
    lon, lat = proj.inverse(new_xy[pi, 0], new_xy[pi, 1])
    target = uniq.copy()
    target[pi] = np.column_stack([lon, lat])
    allowed = np.zeros(len(uniq), dtype=bool)
    allowed[pi] = True
    before_valid = shapely.is_valid(grids_ll)
    before_cov = _invalid_coverage(grids_ll)
    for _round in range(8):
        new_uniq = np.where(allowed[:, None], target, uniq)
        out = shapely.set_coordinates(grids_ll.copy(), new_uniq[inv])
        changed = np.zeros(len(grids_ll), dtype=bool)
        changed[gidx[allowed[inv]]] = True
        broken = changed & ~shapely.is_valid(out) & before_valid
        if not broken.any():
            after_cov = _invalid_coverage(out)
            broken = after_cov & ~before_cov
            if not broken.any():
                return out, int(allowed.sum()), after_cov
        # the broken grids keep their vertices, and so do the neighbours sharing them
        allowed[inv[np.isin(gidx, np.flatnonzero(broken))]] = False
    return grids_ll, 0, before_cov


def fuse(
    grids: Sequence[Unit],
    beats: Sequence[Unit],
    *,
    snap_m: float = 5.0,
    sliver_m2: float = 100.0,
    outline: BaseGeometry | None = None,
) -> Fusion:
    """Fuse a grid layer with a beat layer (see the module docstring for the steps).

    `changes` has one dict per input beat, in input order: code, area_before_m2, area_after_m2,
    area_moved_m2 (area of before △ after, halved), grids_gained (codes of grids now in the
    beat of which at least `sliver_m2` lay outside it), grids_lost (codes of grids now elsewhere
    of which at least `sliver_m2` lay inside it), population_affected and households_affected
    (the people of those grids pro rata to the area that changed beat, rounded; None where no
    such grid's figure is known, 0 when no grid changed).
    A beat's population/households are the sums over its grids of the known figures (None when
    none of them is known). The outline, when given, is a snap target too.
    """
    grids, beats = list(grids), list(beats)
    g_codes = [g.code for g in grids]
    b_codes = [b.code for b in beats]
    g_ll, _bad = _repair(_array([g.geometry for g in grids]))
    b_ll, _bad = _repair(_array([b.geometry for b in beats]))
    proj = _projection(g_ll, b_ll, outline)
    b_m = _metric(proj, b_ll)

    # (a) snap
    targets = list(b_m)
    if outline is not None and not outline.is_empty:
        targets.append(proj.to_metric(outline))
    snapped_ll, snapped, flagged = _snap(g_ll, _array(targets), proj, snap_m)
    g_m = _metric(proj, snapped_ll)
    g_area = shapely.area(g_m)

    # (b) assign
    n = len(grids)
    gi, bi, area, _inter = _overlay_areas(g_m, b_m, g_area) if beats else ([], [], [], [])
    gi, bi, area = np.asarray(gi, int), np.asarray(bi, int), np.asarray(area, float)
    best_beat = np.full(n, -1)
    best_area = np.zeros(n)
    if len(gi):
        order = np.lexsort((-area, gi))
        first = order[np.r_[True, gi[order][1:] != gi[order][:-1]]]
        best_beat[gi[first]] = bi[first]
        best_area[gi[first]] = area[first]
    weak = (best_area < sliver_m2) & (best_area < 0.5 * g_area)
    assigned = np.where(weak, -1, best_beat)
    if (assigned < 0).any() and beats:
        assigned = _reallocate(g_m, assigned, best_beat, b_m)

    # (c) new beats
    if flagged is None:
        flagged = _invalid_coverage(snapped_ll)
    nb = len(beats)
    held = np.flatnonzero(assigned >= 0)
    by_beat = held[np.argsort(assigned[held], kind="stable")]  # grids of each beat, in order
    count = np.bincount(assigned[held], minlength=nb)
    first = np.r_[0, np.cumsum(count)[:-1]]
    occupied = np.flatnonzero(count)
    unions = _grouped_coverage_union(
        snapped_ll[by_beat], first[occupied], first[occupied] + count[occupied], flagged[by_beat]
    )
    pop, pop_known = _known_array([g.population for g in grids])
    hh, hh_known = _known_array([g.households for g in grids])
    beat_of = assigned[by_beat]

    def per_beat(values, known):
        total = np.bincount(beat_of, weights=values[by_beat], minlength=nb)
        return total, np.bincount(beat_of, weights=known[by_beat], minlength=nb) > 0

    pop_sum, pop_any = per_beat(pop, pop_known)
    hh_sum, hh_any = per_beat(hh, hh_known)
    new_beats = [
        replace(
            beats[b],
            geometry=geom,
            population=int(round(pop_sum[b])) if pop_any[b] else None,
            households=int(round(hh_sum[b])) if hh_any[b] else None,
        )
        for b, geom in zip(occupied.tolist(), unions, strict=True)
    ]
    assignment = {g_codes[g]: b_codes[b] for g, b in enumerate(assigned.tolist()) if b >= 0}

    # changes per input beat, from the sparse overlay (gi, bi, area): each pair once
    b_area = shapely.area(b_m)
    after = np.bincount(assigned[held], weights=g_area[held], minlength=nb)
    own = assigned[gi] == bi  # the pair of a grid and the beat it now belongs to
    ov_own = np.zeros(n)  # each grid's overlap with the beat it now belongs to
    ov_own[gi[own]] = area[own]
    kept = np.bincount(assigned[held], weights=ov_own[held], minlength=nb)
    gained = held[g_area[held] - ov_own[held] >= sliver_m2]  # by grid order
    gained_beat = assigned[gained]
    lost = np.flatnonzero(~own & (area >= sliver_m2))  # by pair order
    lost_g, lost_b = gi[lost], bi[lost]
    # people moved: each gained grid's share outside its beat before, each lost grid's inside
    mg = np.concatenate([gained, lost_g])
    mb = np.concatenate([gained_beat, lost_b])
    share = np.concatenate(
        [
            1 - ov_own[gained] / np.where(g_area[gained] > 0, g_area[gained], 1),
            area[lost] / np.where(g_area[lost_g] > 0, g_area[lost_g], 1),
        ]
    )
    counted = g_area[mg] > 0
    mg, mb, share = mg[counted], mb[counted], share[counted]
    moved_any = np.bincount(mb, minlength=nb) > 0
    pop_moved = np.bincount(mb, weights=pop[mg] * share, minlength=nb)
    pop_moved_any = np.bincount(mb, weights=pop_known[mg], minlength=nb) > 0
    hh_moved = np.bincount(mb, weights=hh[mg] * share, minlength=nb)
    hh_moved_any = np.bincount(mb, weights=hh_known[mg], minlength=nb) > 0
    gained_codes = _codes_by_beat(gained_beat, gained, g_codes, nb)
    lost_codes = _codes_by_beat(lost_b, lost_g, g_codes, nb)
    changes = []
    for b, beat in enumerate(beats):
        b_before, b_after = float(b_area[b]), float(after[b])
        if moved_any[b]:
            p = int(round(pop_moved[b])) if pop_moved_any[b] else None
            h = int(round(hh_moved[b])) if hh_moved_any[b] else None
        else:
            p = h = 0
        changes.append(
            {
                "code": beat.code,
                "area_before_m2": b_before,
                "area_after_m2": b_after,
                "area_moved_m2": max(
                    0.0, (float(b_area[b]) + float(after[b])) / 2 - float(kept[b])
                ),
                "grids_gained": gained_codes[b],
                "grids_lost": lost_codes[b],
                "population_affected": p,
                "households_affected": h,
            }
        )
    out_grids = [
        g if g.geometry is geom else _with_geometry(g, geom)
        for g, geom in zip(grids, snapped_ll.tolist(), strict=True)
    ]
    return Fusion(
        grids=out_grids,
        assignment=assignment,
        beats=new_beats,
        changes=changes,
        snapped_vertices=snapped,
        unassigned_beats=[b_codes[b] for b in np.flatnonzero(count == 0).tolist()],
    )


def _with_geometry(unit: Unit, geom: BaseGeometry) -> Unit:
    """`replace(unit, geometry=geom)`, without its per-call field walk for a plain Unit."""
    if type(unit) is not Unit:
        return replace(unit, geometry=geom)
    return Unit(unit.code, geom, unit.parent_code, unit.population, unit.households)


def _known_array(values: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray]:
    """Figures as floats (0 where unknown) and whether each is known."""
    known = np.array([v is not None for v in values], dtype=bool)
    return np.array([v or 0 for v in values], dtype=float), known.astype(float)


def _codes_by_beat(beat_idx: np.ndarray, grid_idx: np.ndarray, g_codes, nb: int) -> list:
    """Sorted grid codes per beat, for (beat, grid) pairs."""
    out: list[list[str]] = [[] for _ in range(nb)]
    for b, g in zip(beat_idx.tolist(), grid_idx.tolist(), strict=True):
        out[b].append(g_codes[g])
    return [sorted(c) for c in out]


def _grouped_coverage_union(geoms, starts, ends, flagged) -> list[BaseGeometry]:
    """The union of geoms[starts[k]:ends[k]] for each k: a coverage union of the groups with
    no unit the coverage validator flags (`flagged`, per geom), all in one call; the others
    one at a time, as `_layer_union`."""
    if len(starts) == 0:
        return []
    sizes = ends - starts
    dirty = np.add.reduceat(flagged.astype(int), starts) > 0
    out: list[BaseGeometry] = [Polygon()] * len(starts)
    clean = np.flatnonzero(~dirty)
    if len(clean):
        table = np.full((len(clean), int(sizes[clean].max())), None, dtype=object)
        rows = np.repeat(np.arange(len(clean)), sizes[clean])
        offsets = np.cumsum(sizes[clean]) - sizes[clean]
        cols = np.arange(len(rows)) - np.repeat(offsets, sizes[clean])
        table[rows, cols] = geoms[np.repeat(starts[clean], sizes[clean]) + cols]
        table[shapely.is_empty(table) & ~shapely.is_missing(table)] = None
        nothing = shapely.is_missing(table).all(axis=1)
        try:
            unions = _threaded(lambda t: shapely.coverage_union_all(t, axis=1), table, least=512)
        except shapely.errors.GEOSException:
            # a group noded in degrees but not quite in metres: one at a time, as `_union`
            unions = _array([_union(geoms[starts[k] : ends[k]], coverage=True) for k in clean])
        for k, geom, none in zip(clean.tolist(), unions, nothing, strict=True):
            out[k] = Polygon() if none else geom
    for k in np.flatnonzero(dirty).tolist():
        members = geoms[starts[k] : ends[k]]
        out[k] = _layer_union(members, flagged[starts[k] : ends[k]])
    return out


def _sum_known(values) -> int | None:
    known = [v for v in values if v is not None]
    return int(round(sum(known))) if known else None


def _pro_rata(value, share: float):
    return None if value is None else value * share


def _reallocate(g_m, assigned, best_beat, b_m) -> np.ndarray:
    """Give unassigned grids the beat of the neighbours they share the longest boundary with."""
    assigned = assigned.copy()
    tree = shapely.STRtree(g_m)
    todo = np.flatnonzero(assigned < 0)
    src, dst = tree.query(g_m[todo], predicate="intersects")
    src = todo[src]
    keep = src != dst
    src, dst = src[keep], dst[keep]
    shared = shapely.length(_intersection(shapely.boundary(g_m[src]), g_m[dst]))
    for _round in range(len(todo) + 1):
        progress = False
        score: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for s, d, length in zip(src.tolist(), dst.tolist(), shared.tolist(), strict=True):
            if assigned[s] < 0 and assigned[d] >= 0 and length > 0:
                score[s][int(assigned[d])] += length
        for s, by_beat in score.items():
            assigned[s] = max(by_beat.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            progress = True
        if not progress:
            break
    rest = np.flatnonzero(assigned < 0)
    if len(rest):
        fallback = best_beat[rest]
        nearest = shapely.STRtree(b_m).query_nearest(g_m[rest], all_matches=False)
        near = np.full(len(rest), -1)
        near[nearest[0]] = nearest[1]
        assigned[rest] = np.where(fallback >= 0, fallback, near)
    return assigned


# --------------------------------------------------------------------------- output


def to_geojson(issues: Sequence[Issue]) -> dict:
    """A FeatureCollection with one feature per issue (its area, or its point for code issues)."""
    features = []
    for issue in issues:
        geom = issue.geometry
        if geom is None or geom.is_empty:
            geom = (
                Point(issue.lon, issue.lat)
                if math.isfinite(issue.lon) and math.isfinite(issue.lat)
                else None
            )
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geom) if geom is not None else None,
                "properties": {
                    "kind": issue.kind,
                    "codes": list(issue.codes),
                    "area_m2": round(issue.area_m2, 2),
                    "lon": issue.lon if math.isfinite(issue.lon) else None,
                    "lat": issue.lat if math.isfinite(issue.lat) else None,
                    "message": str(issue.message),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
