"""`teams slots`, `teams vacancies [--street CODE] [--xlsx PATH]`, `teams load-default-slots`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.core.errors import DomainError
from onegrid.core.spreadsheets import xlsx_bytes
from onegrid.org import selectors, teams
from onegrid.org.models import TeamSlot


class Command(BaseCommand):
    help = "Grid teams (1+3+N): the slot configuration and the vacancies report."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("slots", help="Print the district's team slots.")
        vac = actions.add_parser("vacancies", help="Print the empty team places per grid.")
        vac.add_argument("--street", help="Only the grids of this street (12-digit code).")
        vac.add_argument("--xlsx", metavar="PATH", help="Also write the report as XLSX.")
        default = actions.add_parser(
            "load-default-slots", help="Store the default 1+3+N slots if none are configured."
        )
        default.add_argument(
            "--replace", action="store_true", help="Replace an existing configuration."
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        if action == "slots":
            self._print_slots(configured=TeamSlot.objects.exists())
        elif action == "load-default-slots":
            slots = teams.load_default_slots(replace=options["replace"])
            self.stdout.write(_("%(n)d team slots configured.") % {"n": len(slots)})
            self._print_slots(configured=True)
        else:
            self._vacancies(options.get("street"), options.get("xlsx"))

    def _print_slots(self, *, configured: bool) -> None:
        if not configured:
            self.stdout.write(_("No slots configured; the defaults apply:"))
        groups = dict(TeamSlot.Group.choices)
        for s in teams.current_slots():
            self.stdout.write(
                f"{s.order:>4}  {s.role:<16} {s.label:<10} {groups[s.group]}  ≥ {s.minimum}"
            )

    def _vacancies(self, street: str | None, xlsx: str | None) -> None:
        try:
            report = selectors.vacancies(None, street_code=street)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        header, rows = selectors.vacancy_table(report)
        self.stdout.write("\t".join(header))
        for row in rows:
            self.stdout.write("\t".join(str(v) for v in row))
        s = report.summary
        self.stdout.write(
            _(
                "%(grids)d grids: %(full)d fully staffed, %(core)d missing their full-time "
                "grid worker, %(helper_grids)d missing helpers (%(helpers)d helper places "
                "empty), %(total)d places empty in all."
            )
            % {
                "grids": s.grids,
                "full": s.fully_staffed,
                "core": s.missing_core,
                "helper_grids": s.grids_missing_helpers,
                "helpers": s.missing_helpers,
                "total": s.missing_total,
            }
        )
        if xlsx:
            try:
                Path(xlsx).write_bytes(xlsx_bytes(header, rows))
            except OSError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(_("Wrote %(path)s.") % {"path": xlsx})
