"""Layer versions: imports report and change all or nothing, units retire instead of vanishing,
codes are never reused, fusions apply as new kept versions."""

from __future__ import annotations

import pytest
from shapely import box

from onegrid.territory import codes, layers, locator, selectors
from onegrid.territory.coverage import Fusion, Unit
from onegrid.territory.layerio import FeatureProblem, LayerFeature, LayerFile
from onegrid.territory.models import Beat, Grid, LayerVersion, UnitSnapshot


def feature(i, code, geom, parent="120113001001", name=""):
    return LayerFeature(i, code, name or code, parent, geom, 100 * i, 40 * i, {})


def cell(i, j=0):
    return box(117.10 + i * 0.01, 39.20 + j * 0.01, 117.11 + i * 0.01, 39.21 + j * 0.01)


def grid_file(*features, problems=()):
    return LayerFile(level="grid", crs="wgs84", features=list(features), problems=list(problems))


@pytest.fixture
def community(world):
    return world.community


def test_dry_run_reports_and_changes_nothing(world):
    layer = grid_file(
        feature(1, world.grids[0].code, cell(0), name=world.grids[0].name),  # unchanged
        feature(2, world.grids[1].code, cell(1).buffer(0.001, join_style="mitre")),  # changed
        feature(3, "120113001001009", cell(0, 1)),  # new
    )
    report = layers.import_layer(layer=layer, dry_run=True, replace=True)
    assert report.unchanged == [world.grids[0].code]
    assert report.changed == [world.grids[1].code]
    assert report.added == ["120113001001009"]
    assert report.retired == [world.grids[2].code]
    assert report.version is None and not LayerVersion.objects.exists()
    assert Grid.objects.count() == 3


def test_a_file_with_problems_changes_nothing_unless_the_valid_part_is_asked_for(world):
    bad = FeatureProblem(2, "X", "geometry", "self_intersection", "Feature 2 (X): crosses itself")
    layer = grid_file(feature(1, "120113001001009", cell(0, 1)), problems=[bad])
    refused = layers.import_layer(layer=layer)
    assert refused.refused and not Grid.objects.filter(code="120113001001009").exists()
    accepted = layers.import_layer(layer=layer, accept_valid_part=True)
    assert accepted.version == 1 and accepted.added == ["120113001001009"]
    assert [p.problem for p in accepted.problems] == ["self_intersection"]


def test_a_grid_of_an_unknown_community_is_a_problem_named_by_feature(world):
    report = layers.import_layer(
        layer=grid_file(feature(4, "120113009009001", cell(5), "120113009009"))
    )
    assert report.refused
    assert report.problems[0].index == 4 and report.problems[0].problem == "unknown_parent"


def test_replace_retires_grids_that_cases_keep_and_codes_are_never_reused(world):
    from support.cases import report as report_case

    case = report_case(world, who=world.people.far_worker, point=world.far_point)
    gone = world.grids[2]
    layer = grid_file(
        feature(1, world.grids[0].code, cell(0)), feature(2, world.grids[1].code, cell(1))
    )
    result = layers.import_layer(layer=layer, replace=True)
    assert result.retired == [gone.code]
    gone = Grid.all_objects.get(pk=gone.pk)
    assert gone.retired_in == 1 and not Grid.objects.filter(pk=gone.pk).exists()
    case.refresh_from_db()
    assert case.grid_id == gone.pk  # the case keeps the grid it was located in
    locator.invalidate()
    assert locator.locate(*world.far_point) is None  # the locator knows only the live layer
    # The retired code comes back in a later file: refused, never reused.
    again = layers.import_layer(layer=grid_file(feature(7, gone.code, cell(2), "120113002001")))
    assert again.refused and again.problems[0].problem == "retired_code"
    # New codes for that community skip it too.
    used = selectors.used_grid_codes("120113002001")
    assert codes.new_grid_codes("120113002001", [cell(2)], used=used) == ["120113002001004"]


def test_every_version_keeps_its_snapshot(world):
    layers.import_layer(layer=grid_file(feature(1, world.grids[0].code, cell(0))))
    layers.import_layer(
        layer=grid_file(feature(1, world.grids[0].code, cell(0).buffer(-0.001, join_style="mitre")))
    )
    first, second = selectors.version_units("grids", 1), selectors.version_units("grids", 2)
    assert len(first) == len(second) == 3
    area = {u.code: u.area_m2 for u in first}, {u.code: u.area_m2 for u in second}
    assert area[1][world.grids[0].code] < area[0][world.grids[0].code]
    exported = selectors.layer_features("grid", version=1)
    assert {f.code for f in exported} == {g.code for g in world.grids}


def test_new_codes_follow_reading_order_after_the_highest_serial():
    # Two rows: the northern row first, west to east, then the southern row.
    north_west, north_east = cell(0, 1), cell(1, 1)
    south_west = cell(0, 0)
    got = codes.new_grid_codes(
        "120113001001", [south_west, north_east, north_west], used=["120113001001007"]
    )
    assert got == ["120113001001010", "120113001001009", "120113001001008"]
    with pytest.raises(ValueError):
        codes.new_grid_codes("120113001000", [cell(0)], used=[])


def test_applying_a_fusion_makes_new_grid_and_beat_versions(world):
    old = Beat.objects.create(code="B-OLD", geometry_wkb=cell(5).wkb)
    grids = [Unit(g.code, g.geometry) for g in world.grids]
    fusion = Fusion(
        grids=grids,
        assignment={
            world.grids[0].code: "B1",
            world.grids[1].code: "B1",
            world.grids[2].code: "B2",
        },
        beats=[Unit("B1", cell(0).union(cell(1))), Unit("B2", cell(2))],
        changes=[],
        snapped_vertices=0,
    )
    result = layers.apply_fusion(fusion=fusion, actor="gis")
    assert result["beats_retired"] == ["B-OLD"]
    assert Beat.all_objects.get(pk=old.pk).retired_in == result["beat_version"]
    assert dict(Grid.objects.values_list("code", "beat__code")) == fusion.assignment
    assert UnitSnapshot.objects.filter(version__kind="beats").count() == 2
    assert {u.parent_code for u in selectors.version_units("grids")} == {"B1", "B2"}


def test_a_proposal_applies_only_to_the_versions_it_was_made_on(world):
    from onegrid.core.errors import Conflict

    fusion = Fusion(
        grids=[Unit(g.code, g.geometry) for g in world.grids],
        assignment={g.code: "B1" for g in world.grids},
        beats=[Unit("B1", cell(0).union(cell(1)).union(cell(2)))],
        changes=[],
        snapped_vertices=0,
    )
    made_on = (selectors.current_version("grids"), selectors.current_version("beats"))
    layers.apply_fusion(fusion=fusion, made_on=made_on)
    with pytest.raises(Conflict):
        layers.apply_fusion(fusion=fusion, made_on=made_on)  # applied already: versions moved
    assert LayerVersion.objects.filter(kind="grids").count() == 1


def test_importing_the_same_file_again_makes_no_new_version(world):
    layer = grid_file(feature(1, "120113001001009", cell(0, 1)))
    assert layers.import_layer(layer=layer).version == 1
    again = layers.import_layer(layer=layer)
    assert again.version is None and again.unchanged == ["120113001001009"]
    assert LayerVersion.objects.count() == 1


def test_retire_names_the_units_to_retire_besides_the_file(world):
    layer = grid_file(feature(1, "120113001001009", cell(0, 1)))
    report = layers.import_layer(layer=layer, retire=[world.grids[1].code, "120113001001099"])
    assert report.retired == [world.grids[1].code]  # an unknown code is nothing to retire
    assert set(Grid.objects.values_list("code", flat=True)) == {
        world.grids[0].code,
        world.grids[2].code,
        "120113001001009",
    }


def test_a_grid_stacked_over_one_that_stays_is_named_before_anything_is_written(world):
    # A new grid drawn over half of grid 1, without --replace: grid 1 would stay under it.
    over = box(117.115, 39.20, 117.12, 39.21)
    layer = grid_file(feature(1, "120113001001009", over))
    dry = layers.import_layer(layer=layer, dry_run=True)
    assert dry.refused and dry.added == []
    (problem,) = dry.problems
    assert (problem.index, problem.code, problem.problem) == (1, "120113001001009", "overlaps_live")
    assert world.grids[1].code in problem.message and "m²" in problem.message
    assert not layers.import_layer(layer=layer).version
    assert not Grid.objects.filter(code="120113001001009").exists()
    # Retiring the grid it replaces, or replacing the whole layer, is no stacking.
    report = layers.import_layer(layer=layer, dry_run=True, retire=[world.grids[1].code])
    assert not report.refused and report.added == ["120113001001009"]
    assert not layers.import_layer(layer=layer, dry_run=True, replace=True).refused


def test_digitising_noise_along_a_shared_edge_is_no_stacking(world):
    # Grid 1 redrawn 0.3 m into grid 0 along their whole shared edge: a sliver, not a stack.
    nudged = box(117.11 - 0.000004, 39.20, 117.12, 39.21)
    report = layers.import_layer(layer=grid_file(feature(1, world.grids[1].code, nudged)))
    assert not report.refused and report.changed == [world.grids[1].code]
