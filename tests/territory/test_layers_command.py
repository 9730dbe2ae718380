"""`onegrid layers`: a GIS officer's round trip on a small world, through the command line."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from shapely import box
from shapely.geometry import mapping

from onegrid.territory.models import Beat, Grid, LayerVersion


def run(*args) -> str:
    out = io.StringIO()
    call_command("layers", *args, stdout=out)
    return out.getvalue()


def write_beats(path, beats) -> None:
    features = [
        {"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)}
        for code, geom in beats
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def test_import_fuse_apply_check_export(world, tmp_path):
    # Two beats drawn ~3 m (0.00003°) east of the line between grids 0 and 1.
    beats = tmp_path / "beats.geojson"
    write_beats(
        beats,
        [
            ("B-WEST", box(117.10, 39.20, 117.11003, 39.21)),
            ("B-EAST", box(117.11003, 39.20, 117.13, 39.21)),
        ],
    )
    assert "dry run" in run("import", str(beats), "--level", "beat", "--dry-run")
    assert not Beat.objects.exists()
    assert "beat layer version 1" in run("import", str(beats), "--level", "beat")

    split = run("check", "--level", "beat")
    assert "splits_grid" in split and world.grids[1].code in split

    proposal = tmp_path / "proposal.geojson"
    summary = run("fuse", "--out", str(proposal), "--snap", "5")
    assert "3 grids in 2 beats" in summary
    out = run("apply", str(proposal), "--note", "merge with police beats")
    assert "grid layer version 1, beat layer version 2" in out
    assert dict(Grid.objects.values_list("code", "beat__code")) == {
        world.grids[0].code: "B-WEST",
        world.grids[1].code: "B-EAST",  # by largest overlap; its west edge snapped to the beat
        world.grids[2].code: "B-EAST",
    }
    after = run("check", "--level", "beat")
    assert "splits_grid" not in after and "overlap" not in after
    assert LayerVersion.objects.filter(kind="beats").count() == 2

    exported = tmp_path / "beats-v1.gpkg"
    assert "2 units (beat)" in run("export", str(exported), "--level", "beat", "--version", "1")


def test_a_bad_file_is_refused_whole_with_every_problem_named(world, tmp_path):
    beats = tmp_path / "bad.geojson"
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[117.1, 39.2], [117.11, 39.21], [117.11, 39.2], [117.1, 39.21], [117.1, 39.2]]
        ],
    }
    beats.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": "B1"}, "geometry": bow_tie},
                    {
                        "type": "Feature",
                        "properties": {"code": "B2"},
                        "geometry": mapping(box(117.1, 39.2, 117.11, 39.21)),
                    },
                ],
            }
        )
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("layers", "import", str(beats), "--level", "beat", stdout=out)
    assert "B1" in out.getvalue()
    assert not Beat.objects.exists()
    assert "added 1" in run("import", str(beats), "--level", "beat", "--accept-valid")
