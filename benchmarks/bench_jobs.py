"""Background jobs and the notification fan-out (onegrid.notify).

For each job backend, in a fresh process with its own SQLite database: a plain insert of one
row (autocommit, one at a time: the baseline), enqueueing `notify.jobs.deliver` for that many
SMS deliveries, and running them (the database queue: the embedded worker's loop, what
`onegrid notify worker` runs; Redis: what `onegrid rqworker notify` runs, an RQ SimpleWorker in
burst mode, and rq's default forking worker on BENCH_FORKED_JOBS (200) more).
Then the fan-out of 10,000 case events (report, register, dispatch, start_check of 2,500 cases
in a small street) into notifications and their deliveries, on the database backend.

Prints jobs/s and the ratios to the plain insert. BENCH_JOBS (default 2000) sets the job count,
BENCH_EVENTS (10000) the events; REDIS_URL (default redis://127.0.0.1:6379/13) the Redis
database used (its notify queue is emptied first); the RQ run is skipped when Redis is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
JOBS = int(os.environ.get("BENCH_JOBS", 2000))
EVENTS = int(os.environ.get("BENCH_EVENTS", 10000))
FORKED = int(os.environ.get("BENCH_FORKED_JOBS", 200))


def _django(backend: str) -> Path:
    var = Path(tempfile.mkdtemp(prefix="onegrid-bench-jobs-"))
    (var / "static").mkdir()
    os.environ["ONEGRID_VAR_DIR"] = str(var)
    os.environ["ONEGRID_TASKS"] = backend
    os.environ["ONEGRID_SMS_BACKEND"] = "file"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    os.environ["DJANGO_SETTINGS_MODULE"] = "onegrid.config.settings"
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return var


def _pending_sms(n: int, start: int = 0) -> list[str]:
    from onegrid.core import clock
    from onegrid.notify.models import Delivery

    now = clock.now()
    rows = [
        Delivery(
            channel="sms",
            address=f"139{i:08d}",
            payload={"kind": "code", "text": f"bench {i}"},
            next_attempt_at=now,
            created_at=now,
            key=f"bench:{i}",
        )
        for i in range(start, start + n)
    ]
    Delivery.objects.bulk_create(rows, batch_size=1000)
    return [str(d.pk) for d in rows]


def child(backend: str) -> dict:
    _django(backend)
    from onegrid.notify.jobs import deliver
    from onegrid.notify.models import Delivery, FanOutMark

    out: dict = {"backend": backend, "jobs": JOBS}
    began = time.perf_counter()
    for i in range(JOBS):
        FanOutMark.objects.create(name=f"bench-{i}")
    out["insert_per_s"] = JOBS / (time.perf_counter() - began)

    ids = _pending_sms(JOBS)
    if backend == "rq":
        import django_rq

        queue = django_rq.get_queue("notify")
        queue.connection.ping()
        queue.empty()
    began = time.perf_counter()
    for delivery_id in ids:
        deliver.enqueue(delivery_id)
    out["enqueue_per_s"] = JOBS / (time.perf_counter() - began)

    began = time.perf_counter()
    if backend == "rq":
        from django_rq import get_worker

        # What `onegrid rqworker notify` runs (settings.RQ: django-tasks-rq's job class, a
        # SimpleWorker: each job in the worker's process). rq's default worker forks a process
        # per job: it is timed on its own share of the jobs below.
        get_worker("notify").work(burst=True, logging_level="WARNING")
    else:
        from onegrid.notify.worker import Worker

        worker = Worker(queues=["notify"], max_jobs_per_round=JOBS)
        while worker.run_jobs():
            pass
    seconds = time.perf_counter() - began
    sent = Delivery.objects.filter(state="sent").count()
    out["deliver_per_s"] = sent / seconds
    out["sent"] = sent
    if backend == "rq":
        from django_rq import get_worker
        from rq.worker import Worker as ForkingWorker

        from onegrid.notify.rqworkers import StopsAtOnce

        forked = _pending_sms(FORKED, start=JOBS)
        for delivery_id in forked:
            deliver.enqueue(delivery_id)
        began = time.perf_counter()
        # (with the same prompt stop: rq's own may wait a minute at the end, see rqworkers.py)
        forking = type("Forking", (StopsAtOnce, ForkingWorker), {})
        get_worker("notify", worker_class=forking).work(burst=True, logging_level="WARNING")
        seconds = time.perf_counter() - began
        done = Delivery.objects.filter(state="sent", pk__in=forked).count()
        out["forked_per_s"] = done / seconds
        out["forked"] = done
    if backend == "database":
        out.update(fan_out_bench())
    return out


def fan_out_bench() -> dict:
    """EVENTS case events in a small street (2 desks, 2 dispatchers, 3 handlers, 2 checkers, a
    resident reporter) fanned out in one pass; the deliveries' jobs are enqueued with them."""
    import datetime as dt

    from shapely import box

    from onegrid.cases.models import Case, CaseClass, CaseEvent, MajorClass, Task
    from onegrid.core import clock
    from onegrid.notify.models import Delivery, Notification
    from onegrid.notify.services import fan_out
    from onegrid.org.models import Department, Role, RoleAssignment, User
    from onegrid.territory.models import AdminUnit, Grid

    district = AdminUnit.objects.create(code="120113000000", name="北辰区", level="district")
    street = AdminUnit.objects.create(
        code="120113001000", name="果园新村街道", level="street", parent=district
    )
    community = AdminUnit.objects.create(
        code="120113001001", name="第1社区", level="community", parent=street
    )
    shape = box(117.10, 39.20, 117.11, 39.21)
    grid = Grid.objects.create(
        code="120113001001001",
        name="第001网格",
        community=community,
        street=street,
        geometry_wkb=shape.wkb,
        area_m2=1e6,
        label_lon=shape.centroid.x,
        label_lat=shape.centroid.y,
    )
    dept = Department.objects.create(code="city_management", name="城管委")
    cls = CaseClass.objects.create(
        code="A0102",
        major=MajorClass.objects.create(code="A", name="城市管理"),
        name="暴露垃圾",
        time_limit=4,
        time_unit="hours",
        default_department=dept,
    )

    def person(name: str, role: str, **where) -> User:
        user = User.objects.create(username=name, phone="13812345678")
        RoleAssignment.objects.create(user=user, role=role, **where)
        return user

    for i in range(2):
        person(f"acceptor{i}", Role.ACCEPTOR, unit=street)
        person(f"dispatcher{i}", Role.DISPATCHER, unit=street)
        person(f"worker{i}", Role.GRID_WORKER, grid=grid)
    for i in range(3):
        person(f"handler{i}", Role.DEPT_HANDLER, department=dept)
    resident = person("resident", Role.RESIDENT, unit=district)

    now = clock.now()
    n_cases = EVENTS // 4
    cases = [
        Case(
            number=f"B-{i:06d}",
            state="checking",
            source="resident",
            case_class=cls,
            lon=shape.centroid.x,
            lat=shape.centroid.y,
            grid=grid,
            community=community,
            street=street,
            reporter=resident,
            urgency="blue",
            reported_at=now,
            **({"tracking_code": f"T{i:09d}"} if hasattr(Case, "tracking_code") else {}),
        )
        for i in range(n_cases)
    ]
    Case.objects.bulk_create(cases, batch_size=1000)
    tasks = [
        Task(case=c, department=dept, role="lead", state="fed_back", dispatched_at=now, due_at=now)
        for c in cases
    ]
    Task.objects.bulk_create(tasks, batch_size=1000)
    steps = [
        ("report", "", "reported"),
        ("register", "reported", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("start_check", "in_progress", "checking"),
    ]
    events = []
    for c, t in zip(cases, tasks, strict=True):
        for seq, (action, from_state, to_state) in enumerate(steps, 1):
            events.append(
                CaseEvent(
                    case=c,
                    seq=seq,
                    action=action,
                    from_state=from_state,
                    to_state=to_state,
                    at=now + dt.timedelta(microseconds=seq),
                    data={"tasks": [str(t.pk)]} if action == "dispatch" else {},
                )
            )
    CaseEvent.objects.bulk_create(events, batch_size=1000)

    from django.urls import reverse

    reverse("web:case", args=["x"])  # import the URL conf first, as a running worker has
    began = time.perf_counter()
    made = fan_out(now=now + dt.timedelta(seconds=1))
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    again = fan_out(now=now + dt.timedelta(seconds=2))
    rescan = time.perf_counter() - began
    return {
        "events": len(events),
        "notifications": made,
        "notifications_in_db": Notification.objects.count(),
        "deliveries": Delivery.objects.exclude(key__startswith="bench:").count(),
        "fan_out_s": seconds,
        "fan_out_per_s": made / seconds,
        "rescan_new": again,
        "rescan_s": rescan,
    }


def redis_up() -> bool:
    try:
        import redis

        url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def run_child(backend: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", backend],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"Background jobs: {JOBS} SMS deliveries per backend (SQLite database, file SMS gateway)")
    results = [run_child("database")]
    if redis_up():
        results.append(run_child("rq"))
    else:
        print("  Redis not reachable: the RQ run is skipped")
    for r in results:
        base = r["insert_per_s"]
        print(
            f"  {r['backend']:<8} plain insert {base:8.0f} rows/s"
            f" | enqueue {r['enqueue_per_s']:8.0f} jobs/s ({r['enqueue_per_s'] / base:.2f}× insert)"
            f" | deliver {r['deliver_per_s']:7.0f} jobs/s ({r['deliver_per_s'] / base:.2f}× insert;"
            f" {r['sent']}/{r['jobs']} sent)"
        )
    for r in results:
        if "forked_per_s" in r:
            print(
                f"  rq with its default (forking) worker: deliver {r['forked_per_s']:.0f} jobs/s"
                f" ({r['forked']} jobs; the line above: SimpleWorker, no fork)"
            )
    if len(results) == 2:
        db, rq = results
        print(
            f"  rq/database: enqueue {rq['enqueue_per_s'] / db['enqueue_per_s']:.2f}×, "
            f"deliver {rq['deliver_per_s'] / db['deliver_per_s']:.2f}×"
        )
    f = results[0]
    print(
        f"Fan-out: {f['events']} events → {f['notifications']} notifications and "
        f"{f['deliveries']} deliveries (jobs enqueued with them) in {f['fan_out_s']:.2f} s: "
        f"{f['fan_out_per_s']:.0f} notifications/s, {f['events'] / f['fan_out_s']:.0f} events/s; "
        f"a second pass over the same window: {f['rescan_new']} new in {f['rescan_s']:.2f} s"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
    else:
        main()
