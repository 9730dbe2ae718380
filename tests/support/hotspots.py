"""A lattice of grids beside the `world` fixture's three, and cases placed on it in bulk, for
the hotspot, heat, repeat-place and alert tests.

The lattice's west half lies in the world's street (果园新村街道, its acceptor's), the east half
in the other street, each in one community of its street. Cases are inserted as rows (the
figures read nothing but Case rows): thousands of them through the services would take minutes
and test the services, not the statistics.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
from shapely import box

from onegrid.cases.models import Case
from onegrid.territory import locator
from onegrid.territory import selectors as territory_selectors
from onegrid.territory.models import AdminUnit, Grid, LayerState


def set_cache_seconds(settings, seconds: int) -> None:
    """HOTSPOT_CACHE_SECONDS for one test (pytest-django's `settings`); 0: every figure is
    computed afresh."""
    settings.ONEGRID = {
        **settings.ONEGRID,
        "HOTSPOTS": {**settings.ONEGRID["HOTSPOTS"], "CACHE_SECONDS": seconds},
    }


WEST, SOUTH = 117.30, 39.40
STEP = 0.004  # ~340 m east-west, ~445 m north-south
_numbers = itertools.count(1)


@dataclass
class Lattice:
    rows: int
    cols: int
    grids: list[Grid]  # row by row from the south-west
    west_street: AdminUnit
    east_street: AdminUnit

    def at(self, row: int, col: int) -> Grid:
        return self.grids[row * self.cols + col]

    def centre(self, row: int, col: int) -> tuple[float, float]:
        return (WEST + (col + 0.5) * STEP, SOUTH + (row + 0.5) * STEP)


def build_lattice(world, rows: int = 8, cols: int = 8) -> Lattice:
    west_community = AdminUnit.objects.create(
        code="120113001009", name="格点西社区", level="community", parent=world.street
    )
    east_community = AdminUnit.objects.create(
        code="120113002009", name="格点东社区", level="community", parent=world.other_street
    )
    grids = []
    for r in range(rows):
        for c in range(cols):
            west = c < cols // 2
            community = west_community if west else east_community
            shape = box(
                WEST + c * STEP, SOUTH + r * STEP, WEST + (c + 1) * STEP, SOUTH + (r + 1) * STEP
            )
            grids.append(
                Grid.objects.create(
                    code=f"{community.code}{r * cols + c + 1:03d}",
                    name=f"格{r}-{c}",
                    community=community,
                    street=community.parent,
                    geometry_wkb=shape.wkb,
                    area_m2=150_000,
                    label_lon=shape.centroid.x,
                    label_lat=shape.centroid.y,
                )
            )
    state = LayerState.objects.get(name="grids")
    state.version += 1
    state.save()
    locator.invalidate()
    territory_selectors.clear_cache()
    return Lattice(rows, cols, grids, world.street, world.other_street)


def place_cases(
    grid: Grid,
    n: int,
    case_class,
    *,
    at: dt.datetime,
    spread_days: float = 0.0,
    point: tuple[float, float] | None = None,
    jitter_m: float = 0.0,
    state: str = "registered",
    rng: np.random.Generator | None = None,
) -> list[Case]:
    """`n` cases of `case_class` in `grid`, reported over `spread_days` days before `at` (at
    `point` ± `jitter_m` metres, else the grid's label point)."""
    if n <= 0:
        return []
    rng = rng or np.random.default_rng(0)
    lon0, lat0 = point or (grid.label_lon, grid.label_lat)
    rows = []
    for i in range(n):
        dx, dy = rng.uniform(-jitter_m, jitter_m, 2) if jitter_m else (0.0, 0.0)
        offset = dt.timedelta(days=spread_days * (i + 0.5) / n) if spread_days else dt.timedelta()
        rows.append(
            Case(
                number=f"T{next(_numbers):08d}",
                state=state,
                source="grid_worker",
                case_class=case_class,
                lon=lon0 + dx / (111_320 * 0.77),
                lat=lat0 + dy / 111_320,
                grid=grid,
                community_id=grid.community_id,
                street_id=grid.street_id,
                urgency="blue",
                reported_at=at - offset - dt.timedelta(minutes=1),
            )
        )
    return Case.objects.bulk_create(rows)
