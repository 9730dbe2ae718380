"""`org purge-access-log --older-than DAYS`: retention of the log of reads of personal data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from onegrid.org import access_log


def _days(text: str) -> int:
    import argparse

    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("a whole number of days")) from None
    if not 1 <= days <= 36500:
        raise argparse.ArgumentTypeError(_("between 1 and 36500 days"))
    return days


class Command(BaseCommand):
    help = "People and access: the retention of the log of reads of personal data."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        purge = actions.add_parser(
            "purge-access-log", help="Delete the reads of personal data older than DAYS days."
        )
        purge.add_argument("--older-than", metavar="DAYS", type=_days, required=True)

    def handle(self, *args: str, action: str, **options: Any) -> None:
        n = access_log.purge(older_than_days=options["older_than"])
        self.stdout.write(
            _("%(n)d reads of personal data older than %(days)d days deleted.")
            % {"n": n, "days": options["older_than"]}
        )
