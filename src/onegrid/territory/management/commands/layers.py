"""`onegrid layers import|check|codes|fuse|apply|export`: one-network tools for GIS officers.

Thin over the territory services: reading and importing (territory.layers), checking
(territory.checks), codes (territory.coding), fusing and applying (territory.fusion).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from onegrid.core.errors import DomainError, InvalidInput
from onegrid.territory import checks, coding, fusion, layerio, layers, selectors
from onegrid.territory.coverage import DEFAULT_SLIVERS, SliverRule, Unit
from onegrid.territory.district import current_outline

LEVELS = ("grid", "beat", "community", "street")
_DEFAULT = "(default: %(default)s)"
CRS_CHOICES = ("wgs84", "gcj02")
# `layers check` exits with this when it finds problems (argparse's usage errors exit with 2).
PROBLEMS_FOUND = 1


class Command(BaseCommand):
    help = (
        "Import (GeoJSON, zipped Shapefile, GeoPackage, XLSX of codes + WKT), check, fuse and "
        "export the grid and police-beat layers; every applied change is a new kept version."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        load = sub.add_parser(
            "import",
            help="import a layer: grids and beats as a new kept version, streets and "
            "communities by code",
        )
        load.add_argument("path")
        load.add_argument("--level", choices=LEVELS, required=True)
        load.add_argument("--crs", choices=CRS_CHOICES, default="wgs84", help=_DEFAULT)
        load.add_argument("--dry-run", action="store_true", help="report, change nothing")
        load.add_argument(
            "--accept-valid", action="store_true", help="import the valid part of a bad file"
        )
        load.add_argument(
            "--replace",
            action="store_true",
            help="retire the grids or beats the file does not hold (without it, a new unit "
            "overlapping a unit that stays is a problem)",
        )
        load.add_argument(
            "--retire",
            nargs="+",
            default=[],
            metavar="CODE",
            help="also retire these units (e.g. the grids a split replaced)",
        )
        load.add_argument("--note", default="")
        load.add_argument(
            "--district",
            default="",
            help="in a city's installation, the district (6 or 12 digits) the file belongs to "
            "(default: the one its codes name)",
        )

        check = sub.add_parser(
            "check",
            help="check a layer (the current one, or a file); exits 1 when it finds problems",
        )
        check.add_argument("--level", choices=LEVELS, default="grid", help=_DEFAULT)
        check.add_argument(
            "--district",
            default="",
            help="in a city's installation, check this district's units against its outline "
            "(default: the whole city)",
        )
        check.add_argument("--file", help="check this file instead of the current layer")
        check.add_argument(
            "--grids", help="with --level beat: check the beats against this grid file"
        )
        check.add_argument("--crs", choices=CRS_CHOICES, default="wgs84", help=_DEFAULT)
        check.add_argument(
            "--sliver-share",
            type=float,
            default=DEFAULT_SLIVERS.share,
            help="a unit, gap or overlap under this share of the layer's median unit area is "
            "a sliver " + _DEFAULT,
        )
        check.add_argument(
            "--sliver-floor",
            type=float,
            default=DEFAULT_SLIVERS.floor_m2,
            help="… and always under this many m² " + _DEFAULT,
        )
        check.add_argument(
            "--sliver-width",
            type=float,
            default=DEFAULT_SLIVERS.width_m,
            help="… or, whatever its area, when its mean width (2 × area ÷ perimeter) is under "
            "this many metres " + _DEFAULT,
        )
        check.add_argument("--report", help="write every problem (codes too) as GeoJSON here")

        codes = sub.add_parser(
            "codes", help="give codes to new and split grids in a file (writes a new file)"
        )
        codes.add_argument("path", help="a grid layer whose new grids have no code (or share one)")
        codes.add_argument("--out", required=True, help=".geojson, .gpkg, .zip or .xlsx to write")
        codes.add_argument("--crs", choices=CRS_CHOICES, default="wgs84", help=_DEFAULT)
        codes.add_argument(
            "--renumber",
            nargs="+",
            default=[],
            metavar="COMMUNITY",
            help="re-generate every code of these communities in reading order",
        )

        fuse = sub.add_parser("fuse", help="propose one network from the grids and a beat layer")
        fuse.add_argument("--beats", help="a beat layer file (default: the current beats)")
        fuse.add_argument("--crs", choices=CRS_CHOICES, default="wgs84", help=_DEFAULT)
        fuse.add_argument(
            "--snap",
            type=float,
            default=fusion.DEFAULT_SNAP_M,
            help="snapping tolerance in metres " + _DEFAULT,
        )
        fuse.add_argument(
            "--sliver",
            type=float,
            default=fusion.DEFAULT_SLIVER_M2,
            help="a grid overlapping its best beat by less than this many m² (and less than "
            "half) goes with its neighbours; moves under it are not listed " + _DEFAULT,
        )
        fuse.add_argument("--out", required=True, help="where to write the proposal (GeoJSON)")
        fuse.add_argument(
            "--district",
            default="",
            help="in a city's installation, fuse this district's grids and beats "
            "(default: the whole city)",
        )

        apply = sub.add_parser("apply", help="apply a proposal written by `fuse`")
        apply.add_argument("proposal")
        apply.add_argument("--note", default="")

        export = sub.add_parser("export", help="write a layer (or one of its versions)")
        export.add_argument("path", help=".geojson, .gpkg, .zip (Shapefile) or .xlsx")
        export.add_argument("--level", choices=("grid", "beat"), default="grid", help=_DEFAULT)
        export.add_argument("--version", type=int, help="a kept version (default: current)")

    def handle(self, *args, verb: str, **options):
        try:
            getattr(self, f"_{verb}")(**options)
        except DomainError as error:
            field = f"--{error.field}: " if error.field else ""
            raise CommandError(f"{field}{error.message}") from None

    # --- verbs ---

    def _import(
        self,
        path,
        level,
        crs,
        dry_run,
        accept_valid,
        replace,
        retire,
        note,
        district="",
        **_options,
    ):
        report = layers.import_layer_file(
            file=self._existing(path),
            district=district,
            level=level,
            crs=crs,
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
        layer_name = LAYER_NAMES[level]()
        if dry_run:
            self.stdout.write(_("dry run: would have %(summary)s") % {"summary": summary})
        elif report.version is not None:
            self.stdout.write(
                _("%(layer)s version %(n)d: %(summary)s")
                % {"layer": layer_name, "n": report.version, "summary": summary}
            )
        elif report.written:
            self.stdout.write(
                _("%(layer)s: %(summary)s") % {"layer": layer_name, "summary": summary}
            )
        else:
            self.stdout.write(
                _("nothing to change in the %(layer)s (%(summary)s)")
                % {"layer": layer_name, "summary": summary}
            )

    def _check(
        self,
        level,
        file,
        grids,
        crs,
        sliver_share,
        sliver_floor,
        sliver_width,
        report,
        district="",
        **_o,
    ):
        if grids and level != "beat":
            raise CommandError(_("--grids: only with --level beat."))
        slivers = SliverRule(share=sliver_share, floor_m2=sliver_floor, width_m=sliver_width)
        outline, district_code = layers.district_reach(district)
        result = checks.check_layer(
            level=level,
            layer=self._read(file, level, crs, outline) if file else None,
            grids=self._read(grids, "grid", crs, outline) if grids else None,
            slivers=slivers,
            outline=outline,
            district_code=district_code,
        )
        for issue in result.issues:
            codes = ",".join(issue.codes)
            codes = codes if len(codes) <= 60 else codes[:59] + "…"
            place = f"{issue.lon:.6f},{issue.lat:.6f}" if issue.lon == issue.lon else "-"
            self.stdout.write(
                f"{issue.kind:16} {codes:60} {issue.area_m2:12.1f} m²  {place:21}  {issue.message}"
            )
        if report:
            Path(report).write_text(json.dumps(result.geojson(), ensure_ascii=False), "utf-8")
        summary = _("%(units)d units, %(issues)d problems") % {
            "units": result.units,
            "issues": len(result.issues),
        }
        if result.left_out:
            summary += _(" (%(n)d features with an unreadable geometry left out)") % {
                "n": result.left_out
            }
        self.stdout.write(summary)
        if not result.ok:
            raise CommandError(
                ngettext("%(n)d problem found.", "%(n)d problems found.", len(result.issues))
                % {"n": len(result.issues)},
                returncode=PROBLEMS_FOUND,
            )

    def _codes(self, path, out, crs, renumber, **_options):
        layer = layerio.read_layer(
            self._existing(path), level="grid", crs=crs, outline=current_outline(), codeless=True
        )
        result = coding.assign_codes(layer, renumber=renumber)
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

    def _fuse(self, beats, crs, snap, sliver, out, district="", **_options):
        outline, district_code = layers.district_reach(district)
        beat_units = None
        if beats:
            layer = self._read(beats, "beat", crs, outline)
            if layer.problems:
                for problem in layer.problems:
                    self.stdout.write(f"  ! {problem.message}")
                raise CommandError(_("The beat layer has problems: fix it first."))
            beat_units = [Unit(f.code, f.geometry, f.parent_code) for f in layer.features]
        record = fusion.propose(
            beats=beat_units,
            snap_m=snap,
            sliver_m2=sliver,
            outline=outline,
            district_code=district_code,
        )
        Path(out).write_text(json.dumps(record["proposal"], ensure_ascii=False), "utf-8")
        moved = [c for c in record["changes"] if c["grids_gained"] or c["grids_lost"]]
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
                "grids": record["grids"],
                "beats": record["beats"],
                "moved": len(moved),
                "snapped": record["snapped_vertices"],
                "out": out,
            }
        )

    def _apply(self, proposal, note, **_options):
        try:
            text, _name = layerio.file_bytes(self._existing(proposal), None)
        except OSError as error:
            raise CommandError(f"{proposal}: {error}") from None
        result = fusion.apply_proposal_file(
            data=layerio.bounded_geojson(text),
            actor="onegrid layers",
            source=Path(proposal).name,
            note=note,
        )
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

    def _existing(self, path) -> Path:
        if not Path(path).is_file():
            raise CommandError(_("%(path)s: no such file") % {"path": path})
        return Path(path)

    def _read(self, path, level, crs, outline=None):
        return layerio.read_layer(
            self._existing(path),
            level=level,
            crs=crs,
            outline=current_outline() if outline is None else outline,
        )


LAYER_NAMES = {
    "grid": lambda: _("grid layer"),
    "beat": lambda: _("beat layer"),
    "community": lambda: _("communities"),
    "street": lambda: _("streets and towns"),
}
