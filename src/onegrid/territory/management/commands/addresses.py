"""`onegrid addresses import|relink`: standard addresses (标准地址) and their grid and beat."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from onegrid.territory import addresses


class Command(BaseCommand):
    help = (
        "Import standard addresses (CSV or XLSX: code, name, building, unit, room, lon, lat), "
        "each located to its grid and police beat, or re-link them to the current layer."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        load = sub.add_parser("import", help="import or update addresses by code")
        load.add_argument("path")
        load.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84")
        load.add_argument("--dry-run", action="store_true", help="report, change nothing")
        load.add_argument(
            "--accept-valid", action="store_true", help="import the valid rows of a bad file"
        )
        sub.add_parser("relink", help="re-locate every active address in the current layer")

    def handle(self, *args, verb: str, **options):
        getattr(self, f"_{verb}")(**options)

    def _import(self, path, crs, dry_run, accept_valid, **_options):
        if not Path(path).is_file():
            raise CommandError(_("%(path)s: no such file") % {"path": path})
        rows, problems = addresses.read_addresses(Path(path), crs=crs)
        report = addresses.import_addresses(
            rows=rows, problems=problems, dry_run=dry_run, accept_valid_part=accept_valid
        )
        for problem in report.problems:
            self.stdout.write(f"  ! {problem.message}")
        if report.refused:
            raise CommandError(
                ngettext(
                    "%(n)d problem: nothing imported (fix the file, or --accept-valid to import "
                    "the valid rows)",
                    "%(n)d problems: nothing imported (fix the file, or --accept-valid to import "
                    "the valid rows)",
                    len(report.problems),
                )
                % {"n": len(report.problems)}
            )
        summary = _(
            "added %(added)d, changed %(changed)d, unchanged %(unchanged)d in %(grids)d grids"
        ) % {
            "added": len(report.added),
            "changed": len(report.changed),
            "unchanged": len(report.unchanged),
            "grids": len(report.by_grid),
        }
        if dry_run:
            self.stdout.write(_("dry run: would have %(summary)s") % {"summary": summary})
        else:
            self.stdout.write(_("addresses: %(summary)s") % {"summary": summary})

    def _relink(self, **_options):
        changed = addresses.relink_addresses()
        self.stdout.write(
            ngettext(
                "%(n)d address changed grid or beat",
                "%(n)d addresses changed grid or beat",
                changed,
            )
            % {"n": changed}
        )
