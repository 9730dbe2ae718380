"""`onegrid measures`: the DOMAIN.md §5 measures of a period, for the district or one scope.

A police beat is measured on the grids it held in a chosen grid layer version
(`--grid-version`), so one period can be compared before and after a fusion.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from onegrid.insight.measures import compute_measures, format_report
from onegrid.territory.selectors import version_exists

SCOPES = ("street", "community", "grid", "department", "beat")


class Command(BaseCommand):
    help = (
        "The §5 measures (on-time disposal, closure, proactive share, …) of a period, for the "
        "district or one street, community, grid, department or police beat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--as-of", help="evaluate as at this day's end (default: now)")
        for scope in SCOPES:
            parser.add_argument(f"--{scope}", metavar="CODE", help=f"only this {scope}")
        parser.add_argument(
            "--grid-version",
            type=int,
            help="with --beat: the grid layer version whose beat membership counts",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="print JSON instead of a table"
        )

    def handle(self, *args, start, end, as_of, grid_version, as_json: bool, **options):
        first = _day(start, "--from")
        last = _day(end, "--to")
        if last < first:
            raise CommandError(_("--to: the last day comes before the first."))
        scope = {k: options[k] for k in SCOPES if options.get(k)}
        if len(scope) > 1:
            raise CommandError(
                _("Give at most one of %(options)s.")
                % {"options": ", ".join(f"--{k}" for k in SCOPES)}
            )
        if grid_version is not None and "beat" not in scope:
            raise CommandError(_("--grid-version: only with --beat."))
        if grid_version is not None and not version_exists("grids", grid_version):
            raise CommandError(
                _("--grid-version: the grid layer has no version %(n)d.") % {"n": grid_version}
            )
        try:
            measures = compute_measures(
                first,
                last + dt.timedelta(days=1),
                as_of=_day(as_of, "--as-of") + dt.timedelta(days=1) if as_of else None,
                layer_version=grid_version,
                **scope,
            )
        except ObjectDoesNotExist:
            kind, code = next(iter(scope.items()))
            raise CommandError(
                _("--%(option)s: nothing has the code %(code)s.") % {"option": kind, "code": code}
            ) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        if as_json:
            self.stdout.write(_dumps(measures.as_dict()))
        else:
            self.stdout.write(format_report(measures))


def _day(text: str, option: str) -> dt.datetime:
    """Midnight of a day in the district's time zone."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(option)s: %(text)s is not a date (YYYY-MM-DD).") % {"option": option, "text": text}
        ) from None
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
