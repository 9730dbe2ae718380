"""`onegrid grids export PATH` / `onegrid grids import PATH [--crs gcj02] [--replace]`."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onegrid.core.errors import DomainError
from onegrid.territory import services


class Command(BaseCommand):
    help = "Import or export the grid layer as GeoJSON (WGS-84 out; WGS-84 or GCJ-02 in)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        export = sub.add_parser("export", help="write the grid layer to a GeoJSON file")
        export.add_argument("path")
        load = sub.add_parser("import", help="read grids from a GeoJSON FeatureCollection")
        load.add_argument("path")
        load.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84")
        load.add_argument(
            "--replace",
            action="store_true",
            help="delete grids missing from the file (refused if cases use them)",
        )

    def handle(self, *args, verb: str, path: str, **options):
        if verb == "export":
            data = services.export_grid_layer_geojson()
            Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            self.stdout.write(f"{len(data['features'])} grids → {path}")
            return
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"{path}: {error}") from None
        try:
            result = services.import_grid_layer_geojson(
                data, crs=options["crs"], replace=options["replace"]
            )
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(", ".join(f"{k} {v}" for k, v in result.items()))
