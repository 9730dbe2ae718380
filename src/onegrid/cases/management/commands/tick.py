from django.core.management.base import BaseCommand

from onegrid.cases import services


class Command(BaseCommand):
    help = "Mark overdue tasks and escalate each overdue step exactly once (safe to run often)."

    def handle(self, *args, **options):
        result = services.tick()
        self.stdout.write(
            f"checked {result.checked_tasks} late tasks, escalated {result.escalated} steps"
        )
