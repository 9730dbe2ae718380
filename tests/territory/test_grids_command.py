import json

import pytest
from django.core.management import CommandError, call_command

from onegrid.territory.models import Grid


def test_export_then_import_round_trips(beichen, db, tmp_path, capsys):
    path = tmp_path / "grids.geojson"
    call_command("grids", "export", str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data["features"]) == Grid.objects.count() == beichen.grids
    call_command("grids", "import", str(path))
    assert f"updated {beichen.grids}" in capsys.readouterr().out


def test_a_bad_file_is_refused_and_changes_nothing(beichen, db, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"code": "1"}, "geometry": null}]}'
    )
    before = Grid.objects.count()
    with pytest.raises(CommandError, match="Feature 0"):
        call_command("grids", "import", str(path))
    assert Grid.objects.count() == before
