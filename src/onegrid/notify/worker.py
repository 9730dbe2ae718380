"""The embedded worker (`onegrid notify worker`): every NOTIFY_WORKER_SECONDS it fans the case
history out, warns of tasks due soon and wakes lost deliveries, and in between runs the jobs of
the database queue (django-tasks-db) until stopped. SIGTERM or Ctrl-C lets the job in hand
finish, then it stops; SIGKILL loses nothing either (the Delivery rows are the truth).

With ONEGRID_TASKS=rq it runs the Redis queues' jobs the same way (an RQ SimpleWorker in burst
mode each round, with django-tasks-rq's job class), and moves the deferred ones whose time has
come onto their queues (RQ's scheduler); `onegrid rqworker notify forwarding default` processes
beside it add throughput at city scale."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from onegrid.core import clock

from . import services

logger = logging.getLogger(__name__)

PRUNE_SECONDS = 3600


@dataclass
class StepResult:
    notifications: int = 0
    due_soon: int = 0
    requeued: int = 0
    jobs: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(*, now: dt.datetime | None = None) -> StepResult:
    """One round of the sweeps; a failing sweep is logged and the others still run."""
    result = StepResult()
    steps: Sequence[tuple[str, Callable[..., int]]] = (
        ("notifications", services.fan_out),
        ("due_soon", services.sweep_due_soon),
        ("requeued", services.requeue),
    )
    for name, run in steps:
        try:
            setattr(result, name, run(now=now or clock.now()))
        except Exception as e:
            logger.exception("notify sweep %s failed", name)
            result.errors.append(f"{name}: {type(e).__name__}: {e}")
    return result


def uses_database_queue() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def uses_rq() -> bool:
    return type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__module__.startswith("django_tasks_rq")


def make_rq_worker(queues: Sequence[str], *, name: str | None = None) -> Any:
    """An RQ worker for django-tasks' jobs on these queues ("*": all the backend's), running
    them in this process (no fork) and leaving SIGTERM/SIGINT to the caller: set its
    `_stop_requested` to stop it after the job in hand."""
    import django_rq
    from django_tasks_rq.backend import Job

    names = list(queues)
    if "*" in names:
        names = sorted(task_backends[DEFAULT_TASK_BACKEND_ALIAS].queues)
    return django_rq.get_worker(
        *names, job_class=Job, worker_class="onegrid.notify.rqworkers.RoundWorker", name=name
    )


class Worker:
    def __init__(
        self,
        *,
        queues: Sequence[str] = ("*",),
        period: float | None = None,
        max_jobs_per_round: int | None = 200,
    ) -> None:
        self.queues = list(queues)
        self.period = settings.ONEGRID["NOTIFY_WORKER_SECONDS"] if period is None else period
        self.max_jobs = max_jobs_per_round
        self.stopping = threading.Event()
        self.worker_id = f"notify-{get_random_string(12)}"
        self._db_worker: Any = None
        self._rq_worker: Any = None

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self.stopping.set()
        if self._db_worker is not None:
            self._db_worker.running = False  # finish the job in hand, then return
        if self._rq_worker is not None:
            self._rq_worker._stop_requested = True

    def run_jobs(self) -> int:
        """Run the queue's ready jobs (at most max_jobs_per_round; None: until none is ready);
        how many ran."""
        if uses_rq():
            return self.run_rq_jobs()
        if not uses_database_queue():
            return 0
        from django_tasks_db.management.commands.db_worker import Worker as DbWorker

        db_worker = DbWorker(
            queue_names=self.queues,
            interval=0,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=self.max_jobs,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        self._db_worker = db_worker
        try:
            if not self.stopping.is_set():
                db_worker.run()
        finally:
            self._db_worker = None
        return db_worker._run_tasks

    def run_rq_jobs(self) -> int:
        """Redis: move the deferred jobs whose time has come onto their queues, then run the
        ready ones in this process (burst: until the queues are empty or max_jobs_per_round)."""
        if self.stopping.is_set():
            return 0
        rq_worker = make_rq_worker(self.queues)
        self._rq_worker = rq_worker
        rq_worker._stop_requested = self.stopping.is_set()  # a stop while it was being made
        try:
            rq_worker.work(
                burst=True, max_jobs=self.max_jobs, with_scheduler=True, logging_level="WARNING"
            )
        finally:
            self._rq_worker = None
        return int(rq_worker.ran)

    def prune(self) -> None:
        """Drop the database queue's finished job rows (the Delivery rows keep the story):
        successful ones after a day, failed ones after two weeks."""
        if not uses_database_queue():
            return
        from django.core.management import call_command

        try:
            call_command(
                "prune_db_task_results",
                queue_name="*",
                min_age_days=1,
                failed_min_age_days=14,
                verbosity=0,
            )
        except Exception:
            logger.exception("notify worker: pruning finished jobs failed")

    def run_forever(self, *, report: Callable[[StepResult], None] | None = None) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.stop)
        next_sweep = 0.0
        next_prune = time.monotonic() + PRUNE_SECONDS
        while not self.stopping.is_set():
            close_old_connections()
            if time.monotonic() >= next_prune:
                self.prune()
                next_prune = time.monotonic() + PRUNE_SECONDS
            if time.monotonic() >= next_sweep:
                result = sweep()
                next_sweep = time.monotonic() + self.period
            else:
                result = StepResult()
            try:
                result.jobs = self.run_jobs()
            except Exception as e:  # the database away for a moment: try again next round
                logger.exception("notify worker: running jobs failed")
                result.errors.append(f"jobs: {type(e).__name__}: {e}")
            if report is not None:
                report(result)
            if not result.jobs:
                self.stopping.wait(min(self.period, max(0.0, next_sweep - time.monotonic())))
            close_old_connections()
