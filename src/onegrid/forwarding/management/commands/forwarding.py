"""`forwarding run|worker|reconcile|status|retry --dead`: forwarding cases to outside systems."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from onegrid.forwarding import health, services
from onegrid.forwarding.models import Forward, Mark, Target
from onegrid.notify.worker import Worker


def drain_queue() -> None:
    """Run the "forwarding" jobs waiting in the queue until none is ready, with notify's job
    runner: the database queue, or with ONEGRID_TASKS=rq Redis (RQ in this process, with the
    deferred jobs whose time has come); `onegrid rqworker` processes may run them too."""
    Worker(queues=["forwarding"], max_jobs_per_round=None).run_jobs()


class Command(BaseCommand):
    help = "Forward cases to outside systems (webhook, Open311): run, worker, reconcile, status."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "run",
            help="One pass: read the case history for new forwards, then attempt every forward "
            "that is due, here and now.",
        )
        worker = actions.add_parser(
            "worker",
            help="Run until stopped: every few seconds read the case history, requeue lost jobs "
            "and run the database queue's forwarding jobs (SIGTERM finishes the pass in hand).",
        )
        worker.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")
        reconcile = actions.add_parser(
            "reconcile",
            help="Ask the remotes about forwards not acknowledged yet (and Open311 ones "
            "acknowledged lately): resolve tokens, find lost acknowledgements, send again what "
            "the remote does not have.",
        )
        reconcile.add_argument(
            "--days", type=int, default=7, help="Check acknowledged forwards this many days back."
        )
        actions.add_parser("status", help="Forwards per target and state, and what is failing.")
        retry = actions.add_parser("retry", help="Send dead forwards again (after a fix).")
        retry.add_argument("--dead", action="store_true", required=True)
        retry.add_argument("--target", help="Only this target's (by name).")

    def handle(self, *args: str, action: str, **options: Any) -> None:
        if action == "run":
            result = services.run_once()
            counts = services.deliver_due()
            drain_queue()  # the jobs the scan queued find their forwards done
            self.stdout.write(
                _("%(created)d new forwards; attempted: %(attempted)s")
                % {
                    "created": result.created,
                    "attempted": ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "0",
                }
            )
        elif action == "worker":
            self._worker(options["interval"])
        elif action == "reconcile":
            outcome = services.reconcile(days=options["days"])
            for line in outcome.details:
                self.stdout.write(line)
            self.stdout.write(
                _(
                    "Acknowledgements found: %(ack)d; sent again: %(resend)d; "
                    "remote not reachable: %(down)d."
                )
                % {
                    "ack": outcome.acknowledged,
                    "resend": outcome.resend,
                    "down": outcome.unreachable,
                }
            )
            drain_queue()
        elif action == "status":
            self._status()
        else:
            target = options.get("target")
            if target and not Target.objects.filter(name=target).exists():
                raise CommandError(_("No forwarding target is named %(name)s.") % {"name": target})
            count = services.retry_dead(target=target)
            self.stdout.write(_("%(n)d dead forwards will be sent again.") % {"n": count})
            drain_queue()

    def _worker(self, interval: float) -> None:
        running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(_("Forwarding worker started (every %(s)g s).") % {"s": interval})
        while running:
            close_old_connections()
            result = services.run_once()
            if result.created:
                self.stdout.write(_("%(n)d new forwards.") % {"n": result.created})
            drain_queue()
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.1)
                slept += 0.1
        self.stdout.write(_("Forwarding worker stopped."))

    def _status(self) -> None:
        mark = Mark.objects.filter(name=services.MARK).first()
        self.stdout.write(
            _("History read up to: %(at)s")
            % {
                "at": timezone.localtime(mark.scanned_at).strftime("%Y-%m-%d %H:%M:%S")
                if mark and mark.scanned_at
                else "—"
            }
        )
        rows = (
            Forward.objects.values("target__name", "state")
            .annotate(n=Count("pk"))
            .order_by("target__name", "state")
        )
        labels = dict(Forward.State.choices)
        for row in rows:
            state = labels.get(row["state"], row["state"])
            self.stdout.write(f"{row['target__name']}\t{state}\t{row['n']}")
        failing = health.failing_forwards()
        for item in failing:
            self.stdout.write(
                _("ALERT %(target)s: %(dead)d dead, %(retrying)d failing, %(unack)d unacknowledged")
                % {
                    "target": item.target,
                    "dead": item.dead,
                    "retrying": item.retrying,
                    "unack": item.unacknowledged,
                }
            )
        if not failing:
            self.stdout.write(_("Nothing failing."))
