"""`onegrid mediation tick`: the mediation timers (mediation.timers): tell the legal advisers
once of each question late for its answer. Run every minute beside `onegrid tick`; idempotent,
safe from several processes at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from onegrid.mediation import timers


class Command(BaseCommand):
    help = "People's mediation and legal advice: the timers (late answers)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("tick", help="Tell the legal advisers of questions late for an answer.")

    def handle(self, *args: str, action: str, **options: Any) -> None:
        done = timers.tick()
        self.stdout.write(
            _("%(late)d late questions to the legal adviser announced.")
            % {"late": done.get("legal_overdue", 0)}
        )
