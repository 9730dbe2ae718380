"""`onegrid mediation tick`: the mediation timers (mediation.timers): tell the legal advisers
once of each question late for its answer, and the mediators (and, once past, the judicial
office) of each mediation period ending soon or past. Run every minute beside `onegrid tick`;
idempotent, safe from several processes at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from onegrid.mediation import timers


class Command(BaseCommand):
    help = "People's mediation and legal advice: the timers (late answers, mediation periods)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "tick",
            help="Tell of questions late for an answer and of mediation periods ending or past.",
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        done = timers.tick()
        self.stdout.write(
            _(
                "%(late)d late questions to the legal adviser announced; %(soon)d mediation "
                "periods ending soon and %(over)d past told."
            )
            % {
                "late": done.get("legal_overdue", 0),
                "soon": done.get("mediation_due_soon", 0),
                "over": done.get("mediation_overdue", 0),
            }
        )
