"""`onegrid notify worker|fanout --once|status|retry --dead`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils.translation import gettext as _

from onegrid.notify import services, worker
from onegrid.notify.models import Delivery, FanOutMark, Notification


class Command(BaseCommand):
    help = "Notifications: the worker that fans case events out and delivers them, and its tools."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser(
            "worker",
            help="Fan out, warn of tasks due soon, wake lost deliveries every few seconds and "
            "run the queue's jobs (the database's, or Redis' with ONEGRID_TASKS=rq), until "
            "stopped (SIGTERM finishes the job in hand).",
        )
        run.add_argument(
            "--queues",
            default="*",
            help="Queues whose jobs to run, comma-separated (default: all).",
        )
        run.add_argument(
            "--period", type=float, default=None, help="Seconds between sweeps (default 2)."
        )
        fan = actions.add_parser("fanout", help="Fan the case history out now.")
        fan.add_argument("--once", action="store_true", help="One pass, then exit (the default).")
        actions.add_parser("status", help="Deliveries by channel and state, the fan-out mark.")
        retry = actions.add_parser("retry", help="Send dead letters again.")
        retry.add_argument("--dead", action="store_true", help="Dead deliveries back to pending.")

    def handle(self, *args: str, action: str, **options: Any) -> None:
        if action == "worker":
            queues = [q.strip() for q in options["queues"].split(",") if q.strip()] or ["*"]
            period = options["period"]
            if period is not None and not 0.05 <= period <= 3600:
                raise CommandError(_("--period must be between 0.05 and 3600 seconds."))
            self.stdout.write(_("Notification worker started (Ctrl-C stops it)."))
            worker.Worker(queues=queues, period=period).run_forever(report=self._report)
            self.stdout.write(_("Notification worker stopped."))
        elif action == "fanout":
            made = services.fan_out()
            due = services.sweep_due_soon()
            self.stdout.write(
                _("%(n)d notifications from case events, %(d)d of tasks due soon or overdue.")
                % {"n": made, "d": due}
            )
        elif action == "status":
            self._status()
        else:
            if not options["dead"]:
                raise CommandError(_("Say what to retry: --dead."))
            n = services.retry_dead()
            self.stdout.write(_("%(n)d dead deliveries are pending again.") % {"n": n})

    def _report(self, result: worker.StepResult) -> None:
        if result.notifications or result.due_soon or result.requeued:
            self.stdout.write(
                _("%(n)d notifications, %(d)d due soon, %(r)d deliveries woken again.")
                % {"n": result.notifications, "d": result.due_soon, "r": result.requeued}
            )
        for error in result.errors:
            self.stderr.write(error)

    def _status(self) -> None:
        mark = FanOutMark.objects.filter(name=services.MARK).first()
        self.stdout.write(
            _("Fan-out mark: %(at)s") % {"at": mark.at.isoformat() if mark and mark.at else "-"}
        )
        self.stdout.write(
            _("Notifications: %(n)d (%(u)d unread)")
            % {
                "n": Notification.objects.count(),
                "u": Notification.objects.filter(read_at__isnull=True).count(),
            }
        )
        rows = Delivery.objects.values("channel", "state").annotate(n=Count("id"))
        table: dict[str, dict[str, int]] = {}
        for r in rows:
            table.setdefault(r["channel"], {})[r["state"]] = r["n"]
        # Tab-separated, in words: the states' codes beside Chinese lines read as untranslated,
        # and Chinese labels do not line up in fixed-width columns.
        states = list(Delivery.State)
        self.stdout.write("\t".join([str(_("Channel")), *(str(s.label) for s in states)]))
        for channel in Delivery.Channel:
            counts = table.get(channel.value, {})
            self.stdout.write(
                "\t".join([str(channel.label), *(str(counts.get(s.value, 0)) for s in states)])
            )
