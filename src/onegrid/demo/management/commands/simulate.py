"""`onegrid simulate --days N --seed S [--per-day K] [--start DATE]`: add simulated history."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from onegrid.cases.catalogue import load_default_catalogue
from onegrid.core.errors import DomainError
from onegrid.demo.addresses import load_demo_addresses
from onegrid.demo.beats import load_demo_beats
from onegrid.demo.district import DEFAULT_SEED, DISTRICT_CODE, build_beichen
from onegrid.demo.people import DEMO_PASSWORD, seed_people
from onegrid.demo.simulator import TZ, SimulationResult, simulate
from onegrid.insight.measures import compute_measures, format_report
from onegrid.territory import locator
from onegrid.territory.models import AdminUnit
from onegrid.territory.outline import district_outline

MAX_ERRORS_SHOWN = 10


def ensure_world(stdout, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """District, catalogue and people, each built only if missing; returns example logins."""
    if not AdminUnit.objects.filter(code=DISTRICT_CODE).exists():
        stdout.write(_("Building the Beichen district…"))
        try:
            summary = build_beichen(DEFAULT_SEED)
        except DomainError as exc:  # ONEGRID_DISTRICT_CODE names another district
            raise CommandError(str(exc.message)) from exc
        locator.invalidate()
        stdout.write(
            _(
                "  %(streets)d streets/towns, %(communities)d communities, %(grids)d "
                "grids in %(seconds).1f s"
            )
            % {
                "streets": summary.streets,
                "communities": summary.communities,
                "grids": summary.grids,
                "seconds": summary.seconds + summary.write_seconds,
            }
        )
    load_default_catalogue()
    logins = seed_people(password)
    if load_demo_beats(district_outline(DISTRICT_CODE)):
        stdout.write(_("  police beats drawn apart from the grids, ready to check and fuse"))
    if added := load_demo_addresses():
        stdout.write(_("  %(n)d standard addresses located to their grids") % {"n": added})
    return logins


def report_simulation(stdout, result: SimulationResult) -> None:
    stdout.write(result.summary())
    if result.replayed:
        stdout.write(
            _("%(n)d reports had already been simulated with this seed and start and were skipped.")
            % {"n": result.replayed}
        )
    for error in result.errors[:MAX_ERRORS_SHOWN]:
        stdout.write(f"  ! {error}")
    stdout.write("")
    measures = compute_measures(result.start, result.end, as_of=result.end)
    stdout.write(format_report(measures))


def parse_start(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--start takes a date such as 2026-03-01.")) from None
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ)


class Command(BaseCommand):
    help = (
        "Simulate days of reports and their handling through the real services, then "
        "print the evaluation measures of the simulated period."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="days to simulate (default 7)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--per-day", type=int, default=120, help="reports on a working day (default 120)"
        )
        parser.add_argument(
            "--start",
            help="first simulated day, YYYY-MM-DD (default: the history ends at today's midnight)",
        )

    def handle(self, *args, days: int, seed: int, per_day: int, start: str | None, **options):
        if days < 1 or per_day < 1:
            raise CommandError(_("--days and --per-day must be at least 1."))
        ensure_world(self.stdout)
        result = simulate(
            days, seed, start=parse_start(start), reports_per_day=per_day, out=self.stdout
        )
        report_simulation(self.stdout, result)
