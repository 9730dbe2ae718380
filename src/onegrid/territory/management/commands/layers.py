"""`onegrid layers import|check|codes|fuse|apply|export`: one-network tools for GIS officers."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from onegrid.core.errors import InvalidInput
from onegrid.territory import coding, coverage, layerio, layers, proposals, selectors
from onegrid.territory.outline import district_outline

LEVELS = ("grid", "beat", "community", "street")


class Command(BaseCommand):
    help = (
        "Import (GeoJSON, zipped Shapefile, GeoPackage, XLSX of codes + WKT), check, fuse and "
        "export the grid and police-beat layers; every applied change is a new kept version."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        load = sub.add_parser("import", help="import a grid or beat layer as a new version")
        load.add_argument("path")
        load.add_argument("--level", choices=("grid", "beat"), required=True)
        load.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84")
        load.add_argument("--dry-run", action="store_true", help="report, change nothing")
        load.add_argument(
            "--accept-valid", action="store_true", help="import the valid part of a bad file"
        )
        load.add_argument(
            "--replace", action="store_true", help="retire the units the file does not hold"
        )
        load.add_argument(
            "--retire",
            nargs="+",
            default=[],
            metavar="CODE",
            help="also retire these units (e.g. the grids a split replaced)",
        )
        load.add_argument("--note", default="")

        check = sub.add_parser("check", help="check a layer (the current one, or a file)")
        check.add_argument("--level", choices=LEVELS, default="grid")
        check.add_argument("--file", help="check this file instead of the current layer")
        check.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84")
        check.add_argument("--sliver", type=float, default=100.0, help="sliver area in m²")
        check.add_argument("--report", help="write every problem as GeoJSON here")

        codes = sub.add_parser(
            "codes", help="give codes to new and split grids in a file (writes a new file)"
        )
        codes.add_argument("path", help="a grid layer whose new grids have no code (or share one)")
        codes.add_argument("--out", required=True, help=".geojson, .gpkg, .zip or .xlsx to write")
        codes.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84")
        codes.add_argument(
            "--renumber",
            nargs="+",
            default=[],
            metavar="COMMUNITY",
            help="re-generate every code of these communities in reading order",
        )

        fuse = sub.add_parser("fuse", help="propose one network from the grids and a beat layer")
        fuse.add_argument("--beats", help="a beat layer file (default: the current beats)")
        fuse.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84")
        fuse.add_argument("--snap", type=float, default=5.0, help="snapping tolerance in metres")
        fuse.add_argument("--sliver", type=float, default=100.0, help="sliver area in m²")
        fuse.add_argument("--out", required=True, help="where to write the proposal (GeoJSON)")

        apply = sub.add_parser("apply", help="apply a proposal written by `fuse`")
        apply.add_argument("proposal")
        apply.add_argument("--note", default="")

        export = sub.add_parser("export", help="write a layer (or one of its versions)")
        export.add_argument("path", help=".geojson, .gpkg, .zip (Shapefile) or .xlsx")
        export.add_argument("--level", choices=("grid", "beat"), default="grid")
        export.add_argument("--version", type=int, help="a kept version (default: current)")

    def handle(self, *args, verb: str, **options):
        getattr(self, f"_{verb}")(**options)

    # --- verbs ---

    def _import(self, path, level, crs, dry_run, accept_valid, replace, retire, note, **_options):
        layer = self._read(path, level, crs)
        report = layers.import_layer(
            layer=layer,
            dry_run=dry_run,
            accept_valid_part=accept_valid,
            replace=replace,
            retire=retire,
            actor="onegrid layers",
            source=Path(path).name,
            note=note,
        )
        for problem in report.problems:
            self.stdout.write(f"  ! {problem.message}")
        summary = _(
            "added %(added)d, changed %(changed)d, unchanged %(unchanged)d, retired %(retired)d"
        ) % {
            "added": len(report.added),
            "changed": len(report.changed),
            "unchanged": len(report.unchanged),
            "retired": len(report.retired),
        }
        if report.refused:
            raise CommandError(
                ngettext(
                    "%(n)d problem: nothing imported (fix the file, or --accept-valid to import "
                    "the valid part)",
                    "%(n)d problems: nothing imported (fix the file, or --accept-valid to import "
                    "the valid part)",
                    len(report.problems),
                )
                % {"n": len(report.problems)}
            )
        layer_name = _("grid layer") if level == "grid" else _("beat layer")
        if dry_run:
            self.stdout.write(_("dry run: would have %(summary)s") % {"summary": summary})
        elif report.version is None:
            self.stdout.write(
                _("nothing to change: no new %(layer)s version (%(summary)s)")
                % {"layer": layer_name, "summary": summary}
            )
        else:
            self.stdout.write(
                _("%(layer)s version %(n)d: %(summary)s")
                % {"layer": layer_name, "n": report.version, "summary": summary}
            )

    def _check(self, level, file, crs, sliver, report, **_options):
        outline = self._outline()
        if file:
            layer = self._read(file, level, crs, outline=outline)
            for problem in layer.problems:
                self.stdout.write(f"  ! {problem.message}")
            units = [coverage.Unit(f.code, f.geometry, f.parent_code) for f in layer.features]
        else:
            units = selectors.live_units(level)
        parents = selectors.live_units("community") if level == "grid" else ()
        issues = coverage.check_layer(
            units, outline=outline, parents=parents, level=level, sliver_m2=sliver
        )
        if level == "beat":
            issues += coverage.check_beats(selectors.live_units("grid"), units)
        for issue in issues:
            self.stdout.write(
                f"{issue.kind:16} {','.join(issue.codes)[:60]:60} {issue.area_m2:12.1f} m²  "
                f"{issue.lon:.6f},{issue.lat:.6f}  {issue.message}"
            )
        if report:
            Path(report).write_text(
                json.dumps(coverage.to_geojson(issues), ensure_ascii=False), encoding="utf-8"
            )
        self.stdout.write(
            _("%(units)d units, %(issues)d problems") % {"units": len(units), "issues": len(issues)}
        )

    def _codes(self, path, out, crs, renumber, **_options):
        try:
            layer = layerio.read_layer(
                Path(path), level="grid", crs=crs, outline=self._outline(), codeless=True
            )
            result = coding.assign_codes(layer, renumber=renumber)
        except OSError as error:
            raise CommandError(f"{path}: {error}") from None
        except InvalidInput as error:
            raise CommandError(f"--{error.field}: {error.message}") from None
        for problem in result.problems:
            self.stdout.write(f"  ! {problem.message}")
        if not result.ok:
            raise CommandError(
                ngettext(
                    "%(n)d problem: no file written",
                    "%(n)d problems: no file written",
                    len(result.problems),
                )
                % {"n": len(result.problems)}
            )
        for change in result.changes:
            self.stdout.write(
                _("feature %(index)5d  %(old)-15s → %(code)s  (%(why)s)")
                % {
                    "index": change.index,
                    "old": change.old_code or "-",
                    "code": change.code,
                    "why": coding.reason_label(change.reason),
                }
            )
        try:
            layerio.write_layer(result.features, out, level="grid")
        except InvalidInput as error:
            raise CommandError(f"--out: {error.message}") from None
        counts = result.counts()
        self.stdout.write(
            _("%(grids)d grids: %(new)d new, %(split)d split, %(renumbered)d renumbered → %(out)s")
            % {"grids": len(result.features), "out": out, **counts}
        )
        retire = " ".join(result.retired_codes())
        self.stdout.write(
            _("Import it with: onegrid layers import %(out)s --level grid%(retire)s")
            % {"out": out, "retire": f" --retire {retire}" if retire else ""}
        )

    def _fuse(self, beats, crs, snap, sliver, out, **_options):
        grids = selectors.live_units("grid")
        if beats:
            layer = self._read(beats, "beat", crs)
            if layer.problems:
                for problem in layer.problems:
                    self.stdout.write(f"  ! {problem.message}")
                raise CommandError(_("The beat layer has problems: fix it first."))
            beat_units = [coverage.Unit(f.code, f.geometry, f.parent_code) for f in layer.features]
        else:
            beat_units = selectors.live_units("beat")
        if not grids or not beat_units:
            raise CommandError(_("Fusing needs a grid layer and a beat layer."))
        fusion = coverage.fuse(
            grids, beat_units, snap_m=snap, sliver_m2=sliver, outline=self._outline()
        )
        Path(out).write_text(
            json.dumps(proposals.to_geojson(fusion), ensure_ascii=False), encoding="utf-8"
        )
        moved = [c for c in fusion.changes if c["grids_gained"] or c["grids_lost"]]
        for change in moved:
            self.stdout.write(
                _(
                    "%(code)-20s area %(before)12.0f → %(after)12.0f m²  moved %(moved)10.0f m²  "
                    "+%(gained)d −%(lost)d grids  population affected %(people)d"
                )
                % {
                    "code": change["code"],
                    "before": change["area_before_m2"],
                    "after": change["area_after_m2"],
                    "moved": change["area_moved_m2"],
                    "gained": len(change["grids_gained"]),
                    "lost": len(change["grids_lost"]),
                    "people": change.get("population_affected") or 0,
                }
            )
        self.stdout.write(
            _(
                "%(grids)d grids in %(beats)d beats; %(moved)d beats change; %(snapped)d "
                "vertices snapped → %(out)s"
            )
            % {
                "grids": len(fusion.grids),
                "beats": len(fusion.beats),
                "moved": len(moved),
                "snapped": fusion.snapped_vertices,
                "out": out,
            }
        )

    def _apply(self, proposal, note, **_options):
        try:
            data = json.loads(Path(proposal).read_text(encoding="utf-8"))
            fusion = proposals.from_geojson(data)
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"{proposal}: {error}") from None
        try:
            result = layers.apply_fusion(
                fusion=fusion, actor="onegrid layers", source=Path(proposal).name, note=note
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _(
                "grid layer version %(grid_version)d, beat layer version %(beat_version)d: "
                "%(grids)d grids in %(beats)d beats"
            )
            % result
        )

    def _export(self, path, level, version, **_options):
        features = selectors.layer_features(level, version)
        layerio.write_layer(features, path, level=level)
        self.stdout.write(
            _("%(n)d units (%(level)s) → %(path)s")
            % {"n": len(features), "level": level, "path": path}
        )

    # --- helpers ---

    def _outline(self):
        try:
            return district_outline(settings.ONEGRID["DISTRICT_CODE"])
        except (KeyError, ValueError):
            return None

    def _read(self, path, level, crs, outline=None):
        try:
            return layerio.read_layer(
                Path(path), level=level, crs=crs, outline=outline or self._outline()
            )
        except OSError as error:
            raise CommandError(f"{path}: {error}") from None
