"""`onegrid grids export|import`: import is `layers import --level grid`, the one write path."""

import json

import pytest
from django.core.management import CommandError, call_command

from onegrid.territory.models import Address, Grid, LayerVersion


def test_export_then_import_round_trips(beichen, db, tmp_path, capsys):
    path = tmp_path / "grids.geojson"
    call_command("grids", "export", str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data["features"]) == Grid.objects.count() == beichen.grids
    call_command("grids", "import", str(path))
    assert f"unchanged {beichen.grids}" in capsys.readouterr().out
    # nothing changed: no version besides the demo's own (version 1)
    assert list(LayerVersion.objects.values_list("kind", "number")) == [("grids", 1)]


def test_import_replace_retires_makes_a_version_and_relinks_addresses(beichen, db, tmp_path):
    path = tmp_path / "grids.geojson"
    call_command("grids", "export", str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    dropped = data["features"].pop(0)["properties"]["code"]
    grid = Grid.objects.get(code=dropped)
    address = Address.objects.create(
        code="ADDR-1", name="一号楼", lon=grid.label_lon, lat=grid.label_lat, grid=grid
    )
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("grids", "import", str(path), "--replace")
    # retired, not deleted, by version 2 (the demo's own layer is version 1)
    assert Grid.all_objects.get(code=dropped).retired_in == 2
    assert LayerVersion.objects.filter(kind="grids", number=2).exists()
    address.refresh_from_db()
    assert address.grid_id is None  # re-linked: the point lies in no live grid now


def test_a_bad_file_is_refused_and_changes_nothing(beichen, db, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"code": "1"}, "geometry": null}]}'
    )
    before = Grid.objects.count()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("grids", "import", str(path))
    assert Grid.objects.count() == before
