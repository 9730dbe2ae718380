"""A small district drawn as a GIS officer would hand it over: one file per layer.

Used by the test of README "Start your own district" (tests/territory/test_start_district.py),
and to follow that walk-through by hand:

    PYTHONPATH=tests python -m support.drawn_district /tmp/hebei

District 120105 (3.6 × 2.4 km near Tianjin's 河北区): two streets side by side, each with two
communities side by side, each with 2 × 4 grids of 450 × 600 m, coded in reading order (rows
north → south, west → east in a row); and three police beats drawn apart from the grids: their
edges run 20 m off the grid lines, so they split grids until fused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import box, mapping

from onegrid.territory.geometry import LocalProjection

DISTRICT = "120105"
PROJ = LocalProjection(117.21, 39.16)
WIDTH, HEIGHT = 450.0, 600.0  # a grid, metres
STREETS = [("001", "第一街道", 0.0), ("002", "第二街道", 1800.0)]  # (code3, name, west edge)
COMMUNITIES = [("001", "西社区", 0.0), ("002", "东社区", 900.0)]  # (code3, name, west offset)
BEAT_EDGES = [0.0, 1330.0, 2720.0, 3600.0]  # west → east; grid lines are every 450 m


def _ll(x0, y0, x1, y1):
    return PROJ.to_lonlat(box(x0, y0, x1, y1))


def _write(path: Path, rows) -> None:
    features = [
        {"type": "Feature", "properties": props, "geometry": mapping(geom)} for props, geom in rows
    ]
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def grid_rows() -> list[tuple[dict, object]]:
    rows = []
    for s3, _sname, west in STREETS:
        for c3, _cname, offset in COMMUNITIES:
            community = f"{DISTRICT}{s3}{c3}"
            serial = 0
            for row in range(4):  # north row first
                for col in range(2):  # west → east
                    serial += 1
                    x0, y0 = west + offset + col * WIDTH, (3 - row) * HEIGHT
                    geom = _ll(x0, y0, x0 + WIDTH, y0 + HEIGHT)
                    code = f"{community}{serial:03d}"
                    rows.append(({"code": code, "name": f"第{serial:03d}网格"}, geom))
    return rows


def write_district_files(folder: Path) -> dict[str, Path]:
    """Write outline, streets, communities, grids and beats (GeoJSON, WGS-84) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    grids = grid_rows()
    cells = [geom for _props, geom in grids]
    paths = {
        name: folder / f"{name}.geojson"
        for name in ("outline", "streets", "communities", "grids", "beats")
    }
    _write(paths["outline"], [({"name": "河北区"}, shapely.coverage_union_all(cells))])

    def union_of(prefix: str):
        return shapely.coverage_union_all(
            [geom for props, geom in grids if props["code"].startswith(prefix)]
        )

    streets, communities = [], []
    for s3, sname, _west in STREETS:
        streets.append(({"code": f"{DISTRICT}{s3}000", "name": sname}, union_of(DISTRICT + s3)))
        for c3, cname, _south in COMMUNITIES:
            code = f"{DISTRICT}{s3}{c3}"
            communities.append(({"code": code, "name": sname + cname}, union_of(code)))
    _write(paths["streets"], streets)
    _write(paths["communities"], communities)
    _write(paths["grids"], grids)
    beats = [
        ({"code": f"HB-{k:02d}", "name": f"河北第{k}警格"}, _ll(x0, 0.0, x1, 4 * HEIGHT))
        for k, (x0, x1) in enumerate(zip(BEAT_EDGES, BEAT_EDGES[1:], strict=False), 1)
    ]
    _write(paths["beats"], beats)
    return paths


if __name__ == "__main__":
    for name, path in write_district_files(Path(sys.argv[1])).items():
        print(f"{name:12} {path}")
