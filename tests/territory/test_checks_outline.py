"""A layer is checked, and fused, against the outline of the district it belongs to (issue 14).

In a city each district's layer is judged against that district's outline: the check and the
fusion take the outline as an argument (by default the home district's), and a district code
narrows the live layers to that district's units.
"""

from __future__ import annotations

import pytest
from shapely import box

from onegrid.core.errors import InvalidInput
from onegrid.territory import checks, fusion
from onegrid.territory.district import current_outline
from onegrid.territory.models import Beat

# The `world` grids: three 0.01° squares side by side from 117.10 E, 39.20 N (district 120113).
WEST_HALF = box(117.095, 39.195, 117.115, 39.215)  # the first grid and half the second
AROUND = box(117.095, 39.195, 117.135, 39.215)


def _outside(result) -> set[tuple[str, ...]]:
    return {i.codes for i in result.issues if i.kind == "outside"}


def test_the_check_takes_the_outline_it_is_given(world):
    default = checks.check_layer(level="grid")
    explicit = checks.check_layer(level="grid", outline=current_outline())
    assert [(i.kind, i.codes) for i in default.issues] == [
        (i.kind, i.codes) for i in explicit.issues
    ]
    half = checks.check_layer(level="grid", outline=WEST_HALF)
    assert _outside(half) == {("120113001001002",), ("120113002001003",)}
    around = checks.check_layer(level="grid", outline=AROUND)
    assert _outside(around) == set()
    assert {i.kind for i in around.issues} >= {"gap"}  # the outline's margin lies in no grid
    # no outline: only holes between the units are gaps
    assert not {i.kind for i in checks.check_layer(level="grid", outline=None).issues} & {
        "gap",
        "outside",
    }


def test_a_district_code_narrows_the_live_layer(world):
    assert checks.check_layer(level="grid", outline=AROUND, district_code="120113000000").units == 3
    assert checks.check_layer(level="grid", outline=AROUND, district_code="120113").units == 3
    other = checks.check_layer(level="grid", outline=AROUND, district_code="120114000000")
    assert other.units == 0 and other.ok


def test_an_outline_must_be_a_geometry(world):
    with pytest.raises(TypeError):
        checks.check_layer(level="grid", outline="120113")


def test_the_fusion_takes_the_outline_and_the_district(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    Beat.objects.create(code="B-ALL", geometry_wkb=box(117.10, 39.20, 117.13, 39.21).wkb)
    record = fusion.propose(outline=AROUND)
    assert record["grids"] == 3 and record["beats"] == 1
    assert fusion.propose(outline=None)["grids"] == 3
    with pytest.raises(InvalidInput):  # the other district has no grids (nor beats)
        fusion.propose(outline=None, district_code="120114000000")
