"""`onegrid addresses import|relink`: standard addresses (标准地址) and their grid and beat."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

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
            raise CommandError(f"{path}: no such file")
        rows, problems = addresses.read_addresses(Path(path), crs=crs)
        report = addresses.import_addresses(
            rows=rows, problems=problems, dry_run=dry_run, accept_valid_part=accept_valid
        )
        for problem in report.problems:
            self.stdout.write(f"  ! {problem.message}")
        if report.refused:
            raise CommandError(
                f"{len(report.problems)} problem(s): nothing imported "
                "(fix the file, or --accept-valid to import the valid rows)"
            )
        summary = (
            f"added {len(report.added)}, changed {len(report.changed)}, unchanged "
            f"{len(report.unchanged)} in {len(report.by_grid)} grid(s)"
        )
        self.stdout.write(f"dry run: would have {summary}" if dry_run else f"addresses: {summary}")

    def _relink(self, **_options):
        changed = addresses.relink_addresses()
        self.stdout.write(f"{changed} address(es) changed grid or beat")
