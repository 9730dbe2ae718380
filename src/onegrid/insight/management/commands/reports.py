"""`onegrid reports monthly`: write the monthly PDF reports (insight/reports.py).

    onegrid reports monthly [--month YYYY-MM] [--street CODE | --district] [--if-missing]

Without --street or --district: the district's report and every street's. Without --month:
the last full month (Beijing time). A report written again replaces its file; --if-missing
keeps those already written, and costs a few file checks when all are there: `make serve`
runs it once a minute for the month before. One writer at a time: a run that finds another
one writing says so and stops (exit status 0 with --if-missing, for the loop; 1 otherwise).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from onegrid.core.errors import InvalidInput
from onegrid.insight import periods, reports


class Command(BaseCommand):
    help = "Write the monthly PDF reports of the district and its streets."
    # Run every minute by `make serve`: the system checks would import every URLconf and view
    # (seconds of CPU) for a run that usually only looks at a few files.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        monthly = sub.add_parser("monthly", help="the monthly reports of one month")
        monthly.add_argument("--month", help="YYYY-MM (default: the last full month)")
        which = monthly.add_mutually_exclusive_group()
        which.add_argument("--street", metavar="CODE", help="only this street's report")
        which.add_argument("--district", action="store_true", help="only the district's report")
        monthly.add_argument(
            "--if-missing",
            action="store_true",
            help="write only the reports not yet written (for the schedule)",
        )

    def handle(self, *args, verb, month, street, district, if_missing, **options):
        try:
            period = periods.parse_period({"month": month}) if month else None
        except InvalidInput as error:
            raise CommandError(f"--{error.message}") from None
        period = period or periods.last_full_month()
        if street:
            scope = reports.street_scope(street)
            if scope is None:
                raise CommandError(
                    _("--street: no street has the code %(code)s.") % {"code": street}
                )
            scopes = [scope]
        elif district:
            scopes = [reports.district_scope()]
        else:
            scopes = reports.report_scopes()
        try:
            outcomes = reports.generate_monthly(
                period, scopes, if_missing=if_missing, wait=not if_missing
            )
        except reports.Busy:
            self.stderr.write(_("Another process is writing reports now; try again later."))
            if if_missing:
                return
            raise CommandError(_("Reports are being written by another process.")) from None
        except reports.ReportFontMissing as error:
            raise CommandError(str(error)) from None
        written = [o for o in outcomes if o.written]
        for outcome in written:
            self.stdout.write(str(outcome.path))
        if written or not if_missing:
            self.stdout.write(
                _("%(month)s: %(written)d written, %(kept)d kept.")
                % {
                    "month": period.key,
                    "written": len(written),
                    "kept": len(outcomes) - len(written),
                }
            )
