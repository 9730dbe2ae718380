"""Fusing the demo district's grids with a deliberately misaligned beat layer (no database)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from onegrid.demo.beats import misaligned_beats
from onegrid.demo.district import plan_beichen
from onegrid.territory.coverage import Unit, check_beats, check_layer, fuse
from onegrid.territory.geometry import projection_for


@pytest.fixture(scope="module")
def demo():
    plan = plan_beichen()
    grids = [Unit(g.code, g.geometry, g.community_code) for g in plan.grids]
    return plan, grids


def test_demo_layers_are_clean(demo):
    """The demo's own grids, communities and streets pass every check (codes and serials too)."""
    plan, grids = demo
    units = {level: [] for level in ("street", "community")}
    for u in plan.units:
        if u.level in units:
            units[u.level].append(Unit(u.code, u.geometry, u.parent_code or ""))
    assert check_layer(grids, outline=plan.outline, parents=units["community"]) == []
    assert (
        check_layer(
            units["community"], outline=plan.outline, parents=units["street"], level="community"
        )
        == []
    )
    assert check_layer(units["street"], outline=plan.outline, level="street") == []


def test_fusing_misaligned_beats_gives_one_clean_layer(demo):
    plan, grids = demo
    outline = plan.outline
    beats = misaligned_beats(grids, outline)
    # the drawn beats do split grids: that is what fusing must repair
    assert len(check_beats(grids, beats)) > 100

    fusion = fuse(grids, beats, snap_m=5.0, outline=outline)

    assert [g.code for g in fusion.grids] == [g.code for g in grids]
    assert set(fusion.assignment) == {g.code for g in grids}
    assert sum(len(c["grids_gained"]) for c in fusion.changes) > 0
    assert fusion.snapped_vertices > 0
    beat_codes = {b.code for b in beats}
    assert set(fusion.assignment.values()) <= beat_codes
    assert {b.code for b in fusion.beats} | set(fusion.unassigned_beats) == beat_codes

    problems = check_layer(fusion.beats, outline=outline, level="beat")
    coverage_kinds = {"gap", "overlap", "outside", "invalid_geometry"}
    assert [(i.kind, i.codes, i.area_m2) for i in problems if i.kind in coverage_kinds] == []
    # slivers may only be whole (tiny) beats, never gap or overlap pieces
    assert all(len(i.codes) == 1 for i in problems if i.kind == "sliver")
    assert check_beats(fusion.grids, fusion.beats) == []

    # the snapped grid layer is still one clean coverage of the district
    grid_problems = check_layer(fusion.grids, outline=outline)
    assert [i for i in grid_problems if i.kind in coverage_kinds] == []
    proj = projection_for(outline)
    before = proj.area_m2(np.array([g.geometry for g in grids])).sum()
    after = proj.area_m2(np.array([g.geometry for g in fusion.grids])).sum()
    assert after == pytest.approx(before, rel=1e-6)
    union = shapely.coverage_union_all([b.geometry for b in fusion.beats])
    assert proj.area_m2(union) == pytest.approx(before, rel=1e-6)
