"""RQ worker classes for django-tasks' jobs on Redis (ONEGRID_TASKS=rq).

`Worker` is settings.RQ's WORKER_CLASS, what `onegrid rqworker notify forwarding default` runs:
rq's SimpleWorker (each job in the worker's own process, no fork per job) that stops at once.
rq 3.0 tells its command listener thread (redis-py's pubsub thread) to stop only after
unsubscribing; with redis-py 8 that thread may by then be waiting a full minute for a
subscription that never comes, and stopping joins it: a SIGTERM took up to 60 s. Here the
thread is told first, so the unsubscribe reply ends it.

`RoundWorker` is what `onegrid notify worker` runs each round with Redis (burst mode): no
command channel (it lives one round) and no signal handlers of its own (the notify worker's
stop it after the job in hand)."""

from __future__ import annotations

from typing import Any

from rq.worker import BaseWorker, SimpleWorker


class StopsAtOnce(BaseWorker):
    def unsubscribe(self) -> None:
        thread = getattr(self, "pubsub_thread", None)
        if thread is not None:
            thread._running.clear()
        super().unsubscribe()


class Worker(StopsAtOnce, SimpleWorker):
    pass


class RoundWorker(SimpleWorker):
    ran = 0

    def _install_signal_handlers(self) -> None:
        pass

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass

    def execute_job(self, job: Any, queue: Any) -> None:
        self.ran += 1
        super().execute_job(job, queue)
