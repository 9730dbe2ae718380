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


def check_finding_problems(*args) -> str:
    """`layers check` that finds problems: it prints them, then exits with status 1."""
    out = io.StringIO()
    with pytest.raises(CommandError, match="problem") as refusal:
        call_command("layers", "check", *args, stdout=out)
    assert refusal.value.returncode == 1
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

    split = check_finding_problems("--level", "beat")
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
    # The small world's three grids cover a corner of the real district: only that gap remains.
    after = check_finding_problems("--level", "beat")
    assert "splits_grid" not in after and "overlap" not in after
    assert "1 problems" in after and "Gap of" in after
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


def write_grids(path, grids) -> None:
    features = [
        {"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)}
        for code, geom in grids
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


@pytest.fixture
def outlined(world):
    """The small world's district with its own outline: its three grids cover it exactly."""
    world.district.geometry_wkb = box(117.10, 39.20, 117.13, 39.21).wkb
    world.district.save()
    return world


def test_check_exits_0_on_a_clean_layer_and_1_when_it_finds_problems(outlined, tmp_path):
    assert "3 units, 0 problems" in run("check")
    grids = tmp_path / "grids.geojson"
    write_grids(grids, [(g.code, g.geometry) for g in outlined.grids[:2]])
    assert "Gap of" in check_finding_problems("--file", str(grids))


def test_a_feature_with_a_bad_code_still_covers_its_ground(outlined, tmp_path):
    grids = tmp_path / "grids.geojson"
    g = outlined.grids
    # Grid 3 carries grid 1's code (a duplicate), grid 2 a code of 14 digits: an import
    # refuses both, but they still cover their ground, so there is no gap where they lie.
    write_grids(
        grids,
        [
            (g[0].code, g[0].geometry),
            ("12011300100100", g[1].geometry),
            (g[0].code, g[2].geometry),
        ],
    )
    report = tmp_path / "problems.geojson"
    out = check_finding_problems("--file", str(grids), "--report", str(report))
    assert "gap" not in out.lower()
    problems = json.loads(report.read_text())["features"]
    kinds = [(p["properties"]["kind"], p["properties"]["codes"]) for p in problems]
    assert ("bad_code", ["12011300100100"]) in kinds
    assert ("bad_code", [g[0].code]) in kinds  # the duplicate, at its features
    assert all(k == "bad_code" for k, _codes in kinds), kinds
    assert all(p["geometry"]["type"] == "Point" for p in problems)  # located at the feature


def test_beats_are_checked_against_a_grid_file(world, tmp_path):
    grids = tmp_path / "grids.geojson"
    # The file's grids are two 0.015° halves; the current layer has three 0.01° grids.
    write_grids(
        grids,
        [
            ("120113001001001", box(117.10, 39.20, 117.115, 39.21)),
            ("120113001001002", box(117.115, 39.20, 117.13, 39.21)),
        ],
    )
    beats = tmp_path / "beats.geojson"
    write_beats(
        beats,
        [
            ("B-WEST", box(117.10, 39.20, 117.115, 39.21)),
            ("B-EAST", box(117.115, 39.20, 117.13, 39.21)),
        ],
    )
    against_file = check_finding_problems(
        "--level", "beat", "--file", str(beats), "--grids", str(grids)
    )
    assert "splits_grid" not in against_file
    against_layer = check_finding_problems("--level", "beat", "--file", str(beats))
    assert "splits_grid" in against_layer and world.grids[1].code in against_layer
    with pytest.raises(CommandError, match="--grids"):
        run("check", "--grids", str(grids))


def test_help_shows_every_default():
    from onegrid.territory.management.commands.layers import Command

    parser = Command().create_parser("onegrid", "layers")
    verbs = next(a for a in parser._actions if a.dest == "verb").choices
    check_help = " ".join(verbs["check"].format_help().split())
    for default in ("0.01", "100.0", "5.0", "(default: grid)", "(default: wgs84)"):
        assert default in check_help, default
    fuse_help = " ".join(verbs["fuse"].format_help().split())
    assert "(default: 5.0)" in fuse_help and "(default: 100.0)" in fuse_help


def test_a_proposal_nested_too_deep_is_refused_without_a_traceback(world, tmp_path):
    proposal = tmp_path / "deep.geojson"
    proposal.write_text(
        '{"type": "FeatureCollection", "features": ' + "[" * 50_000 + "]" * 50_000 + "}"
    )
    with pytest.raises(CommandError, match="--file"):
        run("apply", str(proposal))
    assert LayerVersion.objects.count() == 0


def test_a_proposal_larger_than_an_upload_is_refused_before_it_is_read(world, settings, tmp_path):
    settings.ONEGRID = settings.ONEGRID | {"UPLOAD_MAX_BYTES": 1000}
    proposal = tmp_path / "large.geojson"
    proposal.write_text('{"type": "FeatureCollection", "features": []}' + " " * 2000)
    with pytest.raises(CommandError, match="--file"):
        run("apply", str(proposal))
    with pytest.raises(CommandError, match="no such file"):
        run("apply", str(tmp_path / "missing.geojson"))
    with pytest.raises(CommandError, match="no such file"):
        run("codes", str(tmp_path / "missing.geojson"), "--out", str(tmp_path / "out.geojson"))
    assert LayerVersion.objects.count() == 0
