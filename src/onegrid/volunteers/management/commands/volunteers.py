"""`volunteers award-reports [--since ISO]`: points for verified reports (volunteers.
report_points), run every minute beside `onegrid tick` by `make serve`."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from onegrid.volunteers import report_points


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("a date and time (ISO 8601)")) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


class Command(BaseCommand):
    help = "Volunteers: points for verified reports."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        award = actions.add_parser(
            "award-reports",
            help="Award the district's 'report' rule for reports registered since the last run.",
        )
        award.add_argument(
            "--since",
            type=_moment,
            default=None,
            help="Reread the register events from this time (default: the last run's mark).",
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        n = report_points.award_verified_reports(since=options["since"])
        self.stdout.write(_("%(n)d reports earned points.") % {"n": n})
