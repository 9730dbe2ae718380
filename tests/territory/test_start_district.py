"""README "Start your own district": a real district from its own files, on an empty database.

The walk-through itself (every command in the README's order, with the files of
support.drawn_district), then the edges of its new pieces: `onegrid district init`, street and
community imports, and what any command says before `onegrid migrate`.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from onegrid.territory.models import AdminUnit, Beat, Grid, LayerVersion
from support.drawn_district import DISTRICT, write_district_files

CODE = DISTRICT + "000000"


@pytest.fixture
def district_settings(settings, tmp_path):
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODE": CODE}
    settings.VAR_DIR = tmp_path
    return settings


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    return write_district_files(tmp_path / "files")


def onegrid(*args) -> tuple[int, str]:
    """(exit status, output) of one `onegrid` command run in this process."""
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_the_readme_walk_through_ends_in_one_checked_network(db, district_settings, files):
    f = {name: str(path) for name, path in files.items()}
    steps = [
        (
            (
                "district",
                "init",
                "--code",
                DISTRICT,
                "--name",
                "河北区",
                "--outline",
                f["outline"],
                "--city-name",
                "天津市",
            ),
            0,
        ),
        (("layers", "check", "--level", "street", "--file", f["streets"]), 0),
        (("layers", "import", f["streets"], "--level", "street"), 0),
        (("layers", "check", "--level", "community", "--file", f["communities"]), 0),
        (("layers", "import", f["communities"], "--level", "community"), 0),
        (("layers", "check", "--level", "grid", "--file", f["grids"]), 0),
        (("layers", "import", f["grids"], "--level", "grid", "--dry-run"), 0),
        (("layers", "import", f["grids"], "--level", "grid"), 0),
        (("layers", "check", "--level", "beat", "--file", f["beats"]), 1),
        (("layers", "import", f["beats"], "--level", "beat"), 0),
        (("layers", "fuse", "--out", str(files["outline"].parent / "proposal.geojson")), 0),
        (("layers", "apply", str(files["outline"].parent / "proposal.geojson")), 0),
        (("layers", "check", "--level", "beat"), 0),
    ]
    outputs = []
    for args, status in steps:
        got, output = onegrid(*args)
        outputs.append(output)
        assert got == status, (args, output)

    district = AdminUnit.objects.get(code=CODE)
    assert (district.name, district.level, district.parent.code) == (
        "河北区",
        "district",
        "120100000000",
    )
    assert AdminUnit.objects.filter(level="street", parent=district).count() == 2
    assert AdminUnit.objects.filter(level="community", parent__parent=district).count() == 4
    assert Grid.objects.count() == 32 and Beat.objects.count() == 3
    assert not Grid.objects.filter(beat__isnull=True).exists()
    assert list(LayerVersion.objects.values_list("kind", "number")) == [
        ("beats", 1),
        ("beats", 2),
        ("grids", 1),
        ("grids", 2),
    ]
    assert "splits_grid" in outputs[8]
    assert "0 problems" in outputs[-1]
    # The whole district is covered once: the grid layer checks clean against its outline.
    assert onegrid("layers", "check")[0] == 0


def test_district_init_changes_nothing_when_run_again_and_refuses_another_district(
    db, district_settings, files
):
    args = ("district", "init", "--code", DISTRICT, "--name", "河北区")
    assert "created" in onegrid(*args, "--outline", str(files["outline"]))[1]
    assert "nothing changed" in onegrid(*args, "--outline", str(files["outline"]))[1]
    status, output = onegrid("district", "init", "--code", "120113", "--name", "北辰区")
    assert status == 1 and "add 120113000000 to ONEGRID_DISTRICT_CODES" in output
    status, output = onegrid("district", "init", "--code", "1201", "--name", "x")
    assert status == 1 and "--code" in output
    assert AdminUnit.objects.filter(level="district").count() == 1


def test_an_outline_that_is_not_a_polygon_in_china_is_refused(db, district_settings, tmp_path):
    bad = tmp_path / "outline.geojson"
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": mapping(box(500000, 4300000, 501000, 4301000)),
            }
        ],
    }
    bad.write_text(json.dumps(doc))
    status, output = onegrid(
        "district", "init", "--code", DISTRICT, "--name", "河北区", "--outline", str(bad)
    )
    assert status == 1 and "--outline" in output and "projected" in output
    assert not AdminUnit.objects.exists()


def test_street_and_community_codes_are_checked_against_the_district(
    db, district_settings, files, tmp_path
):
    onegrid(
        "district",
        "init",
        "--code",
        DISTRICT,
        "--name",
        "河北区",
        "--outline",
        str(files["outline"]),
    )
    streets = json.loads(files["streets"].read_text())
    streets["features"][0]["properties"]["code"] = "120113001000"  # another district's street
    wrong = tmp_path / "streets.geojson"
    wrong.write_text(json.dumps(streets))
    status, output = onegrid("layers", "import", str(wrong), "--level", "street")
    assert status == 1 and "120113001000" in output and "120105" in output
    assert not AdminUnit.objects.filter(level="street").exists()
    # Communities need their street first.
    status, output = onegrid("layers", "import", str(files["communities"]), "--level", "community")
    assert status == 1 and "120105001000" in output
    assert onegrid("layers", "import", str(files["streets"]), "--level", "street")[0] == 0
    status, output = onegrid(
        "layers", "import", str(files["streets"]), "--level", "street", "--replace"
    )
    assert status == 1 and "--replace" in output
    communities = json.loads(files["communities"].read_text())
    communities["features"][0]["properties"]["code"] = "120105001000"  # a street's code
    wrong.write_text(json.dumps(communities))
    status, output = onegrid("layers", "import", str(wrong), "--level", "community")
    assert status == 1 and "000" in output
    assert onegrid("layers", "import", str(files["communities"]), "--level", "community")[0] == 0
    again = onegrid("layers", "import", str(files["communities"]), "--level", "community")
    assert again[0] == 0 and "unchanged 4" in again[1]


def test_any_command_before_migrate_says_to_migrate(tmp_path):
    env = os.environ | {
        "ONEGRID_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    onegrid_cli = Path(sys.executable).with_name("onegrid")
    for args in (["layers", "check"], ["grids", "export", str(tmp_path / "g.geojson")]):
        done = subprocess.run(
            [str(onegrid_cli), *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1, done.stderr
        assert "onegrid migrate" in done.stderr
        assert "Traceback" not in done.stderr
