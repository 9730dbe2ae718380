"""`onegrid grids export PATH` / `onegrid grids import PATH [--crs gcj02] [--replace]`.

`grids import` is a short name for `onegrid layers import PATH --level grid`: the one write path
of the grid layer (territory.layers), so an import makes a kept version, retires (never
deletes) the grids `--replace` drops, and re-links the standard addresses.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from onegrid.territory import selectors


class Command(BaseCommand):
    help = (
        "Export the grid layer as GeoJSON (WGS-84), or import one: the same as "
        "`onegrid layers import PATH --level grid`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        export = sub.add_parser("export", help="write the grid layer to a GeoJSON file")
        export.add_argument("path")
        load = sub.add_parser(
            "import", help="import a grid layer file: `onegrid layers import PATH --level grid`"
        )
        load.add_argument("path")
        load.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84")
        load.add_argument("--dry-run", action="store_true", help="report, change nothing")
        load.add_argument(
            "--replace", action="store_true", help="retire the grids the file does not hold"
        )

    def handle(self, *args, verb: str, path: str, **options):
        if verb == "export":
            data = {"type": "FeatureCollection", "features": selectors.grid_features()}
            Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            self.stdout.write(
                _("%(n)d grids → %(path)s") % {"n": len(data["features"]), "path": path}
            )
            return
        flags = [flag for flag in ("dry_run", "replace") if options[flag]]
        call_command(
            "layers",
            "import",
            path,
            "--level",
            "grid",
            "--crs",
            options["crs"],
            *[f"--{flag.replace('_', '-')}" for flag in flags],
            stdout=self.stdout,
            stderr=self.stderr,
        )
