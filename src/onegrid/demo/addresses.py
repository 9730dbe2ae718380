"""The demo's standard addresses (标准地址): "人进户、户进房、房进格、格进图".

Deterministic per seed. Every grid gets addresses of the kind its community holds:
- a residential compound (小区) in an urban or town community: buildings 1–N, units, a few
  rooms each ("佳园里3号楼2单元502"), code `<grid code>-<building>-<unit>-<room>`;
- houses in a village (村, community serials 200+): "王庄村12号", code `<grid code>-<house>`;
- factory buildings in an industrial park (street codes 400–499): "…产业园5号厂房";
- houses of a farm team (street codes 500+): "红旗农场3队12号".
The points of one building are the same point, drawn at least ~15 m inside its grid, so each
address locates to the grid it was made for. They are loaded through
`territory.addresses.import_addresses`, like a file would be.
"""

from __future__ import annotations

import numpy as np
import shapely

from onegrid.territory import addresses
from onegrid.territory.addresses import AddressRow
from onegrid.territory.models import Address, Grid

DEFAULT_SEED = 20260606
# How far inside its grid a point is drawn (degrees; ~15 m of latitude, ~12 m of longitude).
_INSET_DEG = 1.4e-4
_COMPOUND_HEADS = (
    "佳园",
    "华顺",
    "宜景",
    "瑞景",
    "集贤",
    "果园",
    "青源",
    "辰昌",
    "龙岩",
    "铁东",
    "柳滩",
    "嘉诚",
    "荣华",
    "环瑞",
    "丽水",
    "秋怡",
    "富锦",
    "朗园",
    "双环",
    "普济",
    "天泰",
    "北仓",
    "宜兴",
    "红旗",
    "光明",
    "金辉",
    "怡然",
    "春晖",
    "翠溪",
    "和苑",
)
_COMPOUND_TAILS = ("里", "苑", "园", "家园", "花园", "新村", "公寓", "小区", "雅居", "名邸")


def _points_in(polygon, n: int, rng: np.random.Generator, fallback) -> list[tuple[float, float]]:
    """`n` points at least _INSET_DEG inside `polygon` (fewer if it is too small: then its
    label point fills in)."""
    minx, miny, maxx, maxy = polygon.bounds
    boundary = polygon.boundary
    found: list[tuple[float, float]] = []
    for _attempt in range(6):
        xs = rng.uniform(minx, maxx, 8 * n + 16)
        ys = rng.uniform(miny, maxy, 8 * n + 16)
        inside = shapely.contains_xy(polygon, xs, ys)
        xs, ys = xs[inside], ys[inside]
        if len(xs):
            far = shapely.distance(boundary, shapely.points(xs, ys)) >= _INSET_DEG
            found += list(zip(xs[far].tolist(), ys[far].tolist(), strict=True))
        if len(found) >= n:
            return found[:n]
    return (found + [fallback] * n)[:n]


def _floor_rooms(rng: np.random.Generator, floors: int, count: int) -> list[str]:
    picks: set[str] = set()
    while len(picks) < count:
        picks.add(f"{int(rng.integers(1, floors + 1))}{int(rng.integers(1, 3)):02d}")
    return sorted(picks, key=lambda r: (len(r), r))


def _house(code: str, name: str, number: int, lon: float, lat: float) -> AddressRow:
    return AddressRow(0, code, name, str(number), "", "", lon, lat)


def plan_addresses(grids: list[tuple], seed: int = DEFAULT_SEED) -> list[AddressRow]:
    """Address rows for `grids`: (code, geometry, community name, street name) in code order."""
    rng = np.random.default_rng(seed)
    heads = rng.permutation(len(_COMPOUND_HEADS) * len(_COMPOUND_TAILS))
    rows: list[AddressRow] = []
    for k, (code, polygon, community_name, street_name) in enumerate(grids):
        label = polygon.representative_point()
        street_serial = int(code[6:9])
        community_serial = int(code[9:12])
        if street_serial >= 500:  # a farm: houses of a production team
            team = int(code[12:15])
            houses = int(rng.integers(3, 7))
            for n, (lon, lat) in enumerate(_points_in(polygon, houses, rng, label.coords[0]), 1):
                name = f"{street_name}{team}队{n}号"
                rows.append(_house(f"{code}-{n:03d}", name, n, lon, lat))
        elif street_serial >= 400:  # an industrial park: factory buildings
            halls = int(rng.integers(2, 6))
            for n, (lon, lat) in enumerate(_points_in(polygon, halls, rng, label.coords[0]), 1):
                number = int(code[12:15]) * 10 + n
                name = f"{street_name}{number}号厂房"
                rows.append(_house(f"{code}-{number:04d}", name, number, lon, lat))
        elif community_serial >= 200:  # a village: numbered houses
            houses = int(rng.integers(3, 7))
            first = (int(code[12:15]) - 1) * 40
            for n, (lon, lat) in enumerate(_points_in(polygon, houses, rng, label.coords[0]), 1):
                number = first + (n - 1) * 6 + int(rng.integers(1, 7))
                name = f"{community_name}{number}号"
                rows.append(_house(f"{code}-{number:03d}", name, number, lon, lat))
        else:  # a residential compound
            pick = int(heads[k % len(heads)])
            compound = (
                _COMPOUND_HEADS[pick // len(_COMPOUND_TAILS)]
                + _COMPOUND_TAILS[pick % len(_COMPOUND_TAILS)]
            )
            buildings = int(rng.integers(2, 5))
            floors = int(rng.choice([6, 6, 7, 11, 18, 26]))
            spots = _points_in(polygon, buildings, rng, label.coords[0])
            for b, (lon, lat) in enumerate(spots, 1):
                for u in range(1, int(rng.integers(1, 3)) + 1):
                    for room in _floor_rooms(rng, floors, int(rng.integers(1, 3))):
                        name = f"{compound}{b}号楼{u}单元{room}"
                        rows.append(
                            AddressRow(
                                0,
                                f"{code}-{b:02d}-{u}-{room}",
                                name,
                                f"{b}号楼",
                                f"{u}单元",
                                room,
                                lon,
                                lat,
                            )
                        )
    for index, row in enumerate(rows, 2):  # as if read from a file with a header row
        row.index = index
    return rows


def demo_grids() -> list[tuple]:
    rows = Grid.objects.order_by("code").values_list(
        "code", "geometry_wkb", "community__name", "street__name"
    )
    rows = list(rows)
    shapes = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else []
    return [(r[0], s, r[2], r[3]) for r, s in zip(rows, shapes, strict=True)]


def load_demo_addresses(seed: int = DEFAULT_SEED) -> int:
    """Import the demo's standard addresses unless the district has addresses already;
    returns how many were added."""
    if Address.objects.exists():
        return 0
    rows = plan_addresses(demo_grids(), seed)
    if not rows:
        return 0
    report = addresses.import_addresses(rows=rows, problems=[])
    return len(report.added)
