"""`catalogue import PATH [--dry-run]`, `catalogue export PATH`, `catalogue load-default`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.cases.catalogue import (
    export_catalogue,
    find_district,
    import_catalogue,
    import_district_overrides,
    load_default_catalogue,
)
from onegrid.core.errors import InvalidInput


def _format_of(path: str, given: str | None) -> str:
    if given:
        return given
    return "xlsx" if path.lower().endswith((".xlsx", ".xlsm")) else "csv"


class Command(BaseCommand):
    help = "Import, export or load the default case class catalogue (CSV or XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        imp = actions.add_parser("import", help="Check a catalogue file, then upsert its classes.")
        imp.add_argument("path")
        imp.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change; save nothing.",
        )
        imp.add_argument(
            "--format",
            choices=["csv", "xlsx"],
            help="Default: from the file name (.xlsx or else csv).",
        )
        imp.add_argument(
            "--district",
            help="A district's code (6 or 12 digits): set that district's overrides from the "
            "file (time limit, unit, urgency, default department, active) instead of the "
            "city's catalogue.",
        )
        imp.add_argument("--by", default="", help="Who sets the overrides (recorded).")
        exp = actions.add_parser("export", help="Write the whole catalogue to a file.")
        exp.add_argument("path")
        exp.add_argument(
            "--format",
            choices=["csv", "xlsx"],
            help="Default: from the file name (.xlsx or else csv).",
        )
        exp.add_argument(
            "--district", help="Write the catalogue as this district has it (its overrides)."
        )
        default = actions.add_parser(
            "load-default", help="Create the default departments and catalogue."
        )
        default.add_argument(
            "--update",
            action="store_true",
            help="Also reset existing default classes to the shipped values.",
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        try:
            district = find_district(options["district"]) if options.get("district") else None
            if action == "import" and district is not None:
                path = options["path"]
                try:
                    with open(path, "rb") as f:
                        result = import_district_overrides(
                            f,
                            _format_of(path, options["format"]),
                            district=district,
                            dry_run=options["dry_run"],
                            by=options["by"] or _("command line"),
                        )
                except OSError as exc:
                    raise CommandError(str(exc)) from None
                self.stdout.write(
                    _(
                        "%(district)s: %(added)d overrides added, %(changed)d changed, "
                        "%(removed)d removed, %(unchanged)d unchanged."
                    )
                    % {
                        "district": district.name,
                        "added": result.added,
                        "changed": result.changed,
                        "removed": result.removed,
                        "unchanged": result.unchanged,
                    }
                )
                if result.dry_run:
                    self.stdout.write(_("Dry run: nothing was saved."))
                return
            if action == "import":
                path = options["path"]
                try:
                    with open(path, "rb") as f:
                        report = import_catalogue(
                            f, _format_of(path, options["format"]), dry_run=options["dry_run"]
                        )
                except OSError as exc:
                    raise CommandError(str(exc)) from None
            elif action == "export":
                path = options["path"]
                data = export_catalogue(_format_of(path, options["format"]), district)
                Path(path).write_bytes(data)
                self.stdout.write(_("Wrote %(path)s.") % {"path": path})
                return
            else:
                report = load_default_catalogue(update_existing=options["update"])
        except InvalidInput as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        self.stdout.write(
            _(
                "Classes: %(created)d created, %(updated)d updated, %(unchanged)d unchanged; "
                "major classes: %(majors_created)d created, %(majors_updated)d updated."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "majors_created": report.majors_created,
                "majors_updated": report.majors_updated,
            }
        )
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))
