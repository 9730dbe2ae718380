from typing import Any

from django.core.management.base import BaseCommand

from onegrid.cases import services
from onegrid.core import clock, holiday_schedule, workdays


class Command(BaseCommand):
    help = (
        "Mark overdue tasks and escalate each overdue step exactly once (safe to run often). "
        "From 1 December it warns on standard error while next year has no holiday schedule."
    )

    def handle(self, *args: str, **options: Any) -> None:
        result = services.tick()
        self.stdout.write(
            f"checked {result.checked_tasks} late tasks, escalated {result.escalated} steps, "
            f"marked {result.late_report_ins} late report-ins"
        )
        # tick runs from cron, whose mail carries standard error to whoever keeps the server.
        for year in workdays.years_without_calendar(clock.now()):
            self.stderr.write(holiday_schedule.missing_year_message(year))
