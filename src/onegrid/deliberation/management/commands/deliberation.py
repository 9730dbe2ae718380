"""`onegrid deliberation tick`: the deliberation timers (deliberation.timers): close and count
the ballots whose window has passed, lapse topics past their co-signing window, settle the
decisions whose projects and cases are done. Run every
minute beside `onegrid tick` by `make serve`; idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from onegrid.deliberation import timers


class Command(BaseCommand):
    help = "Resident deliberation: the timers (ballots, topics, decisions)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "tick", help="Close due ballots, lapse topics past co-signing, settle decisions."
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        done = timers.tick()
        self.stdout.write(
            _(
                "%(ballots)d ballots closed, %(topics)d topics lapsed, "
                "%(decisions)d decisions carried out."
            )
            % {
                "ballots": done["ballots_closed"],
                "topics": done["topics_lapsed"],
                "decisions": done["decisions_settled"],
            }
        )
