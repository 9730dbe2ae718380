"""Measures by police beat, on the grids the beat held in a chosen layer version."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from shapely import union_all

from onegrid.insight.measures import compute_measures
from onegrid.territory import layers
from onegrid.territory.coverage import Fusion, Unit
from support.cases import report

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def fusion(world, assignment: dict[int, str]) -> Fusion:
    grids = [Unit(g.code, g.geometry) for g in world.grids]
    cells = {
        code: [g.geometry for i, g in enumerate(world.grids) if assignment[i] == code]
        for code in set(assignment.values())
    }
    return Fusion(
        grids=grids,
        assignment={world.grids[i].code: code for i, code in assignment.items()},
        beats=[Unit(code, union_all(geoms)) for code, geoms in sorted(cells.items())],
        changes=[],
        snapped_vertices=0,
    )


def test_a_beat_is_measured_on_the_grids_it_held_in_each_version(world):
    report(world)  # grid 0
    report(world, who=world.people.worker2, point=(117.115, 39.205))  # grid 1
    report(world, who=world.people.far_worker, point=world.far_point)  # grid 2
    layers.apply_fusion(fusion=fusion(world, {0: "B1", 1: "B2", 2: "B2"}))  # version 1
    layers.apply_fusion(fusion=fusion(world, {0: "B1", 1: "B1", 2: "B2"}))  # version 2
    start = dt.datetime(2026, 3, 1, tzinfo=SHANGHAI)
    end = dt.datetime(2026, 4, 1, tzinfo=SHANGHAI)

    before = compute_measures(start, end, beat="B1", layer_version=1).as_dict()
    after = compute_measures(start, end, beat="B1", layer_version=2).as_dict()
    current = compute_measures(start, end, beat="B1").as_dict()
    assert before["scope"]["kind"] == "beat"
    assert _reports(before) == 1 and _reports(after) == 2 and _reports(current) == 2
    assert _reports(compute_measures(start, end, beat="B2", layer_version=1).as_dict()) == 2


def _reports(measures: dict) -> int:
    """How many problems were reported in the scope (the denominator of the proactive share)."""
    share = next(m for m in measures["measures"] if m["key"] == "proactive_share")
    return share["denominator"]


def test_the_command_measures_a_beat_on_a_chosen_grid_version(world):
    translation.activate("en")  # the refusals are read in English below; reset after each test
    report(world)  # grid 0
    report(world, who=world.people.worker2, point=(117.115, 39.205))  # grid 1
    layers.apply_fusion(fusion=fusion(world, {0: "B1", 1: "B2", 2: "B2"}))  # version 1
    layers.apply_fusion(fusion=fusion(world, {0: "B1", 1: "B1", 2: "B2"}))  # version 2

    def run(*args):
        out = io.StringIO()
        call_command("measures", "--from", "2026-03-01", "--to", "2026-03-31", *args, stdout=out)
        return out.getvalue()

    for version, expected in (("1", 1), ("2", 2)):
        data = json.loads(run("--beat", "B1", "--grid-version", version, "--json"))
        assert data["scope"] == {"kind": "beat", "code": "B1", "name": "B1"}
        assert _reports(data) == expected
    assert "B1" in run("--beat", "B1")  # the table names its scope
    for args, message in (
        (("--beat", "B1", "--grid-version", "9"), "--grid-version"),
        (("--grid-version", "1"), "only with --beat"),
        (("--grid", "120113009009001"), "--grid: nothing has the code"),
        (("--street", "x", "--grid", "y"), "at most one"),
    ):
        with pytest.raises(CommandError, match=message):
            run(*args)
    with pytest.raises(CommandError, match="--from"):
        call_command("measures", "--from", "2026-3-1x", "--to", "2026-03-31")
