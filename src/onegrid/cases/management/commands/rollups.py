"""`onegrid rollups rebuild`, `onegrid rollups verify`: the measures' rollups and the history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.cases import rollups


class Command(BaseCommand):
    help = (
        "The rollups the measures read (case facts, daily totals per grid × class × "
        "department, per person): rebuild them from the case history, or check them against it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "rebuild",
            help="Recompute every rollup from the case history, in one transaction (after an "
            "upgrade, a bulk load that bypassed the services, or a change of the recurrence "
            "settings).",
        )
        verify = actions.add_parser(
            "verify",
            help="Compare the rollups with a full recompute from the history; exit status 1 "
            "and the differences when they disagree.",
        )
        verify.add_argument(
            "--limit", type=int, default=100, help="show at most this many differences"
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        if action == "rebuild":
            self._rebuild()
        else:
            self._verify(options["limit"])

    def _rebuild(self) -> None:
        def progress(cases: int) -> None:
            if cases % 100_000 == 0:
                self.stdout.write(_("%(n)d cases folded…") % {"n": cases})

        result = rollups.rebuild_rollups(progress=progress)
        self.stdout.write(
            _(
                "Rollups rebuilt from the history of %(cases)d cases in %(seconds).1f s: "
                "%(totals)d daily total rows, %(people)d person rows, %(closes)d closes."
            )
            % {
                "cases": result.cases,
                "seconds": result.seconds,
                "totals": result.total_rows,
                "people": result.person_rows,
                "closes": result.closes,
            }
        )

    def _verify(self, limit: int) -> None:
        if limit < 1:
            raise CommandError(_("--limit: give a number of 1 or more."))
        differences = rollups.verify(limit=limit)
        if not differences:
            self.stdout.write(_("The rollups agree with the case history."))
            return
        for difference in differences:
            self.stdout.write(str(difference))
        raise CommandError(
            _(
                "The rollups disagree with the case history (%(n)d differences shown): run "
                "`onegrid rollups rebuild`."
            )
            % {"n": len(differences)}
        )
