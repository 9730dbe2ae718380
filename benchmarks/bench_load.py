"""Load test (issue 14 §4): a city's peak-hour mix against several app processes on PostgreSQL
and Redis, with the queue workers running, driven by locust (benchmarks/load/locustfile.py).

What it runs (loopback only):
- PostgreSQL database `og_load` (DATABASE_URL overrides): migrated, with the demo's Beichen
  district, catalogue and people (`onegrid demo`'s world, about 15 s the first time, kept after);
- Redis database 7 (BENCH_LOAD_REDIS) as the cache and the job queue (ONEGRID_TASKS=rq),
  emptied first;
- BENCH_LOAD_APPS gunicorn app processes (default 3; deploy/gunicorn.conf.py when it exists,
  else `make serve`'s flags: one worker of 4 threads each) behind a private nginx on port 18000
  (least_conn, as deploy/ would put them behind nginx); without nginx the locust users spread
  over the app ports themselves;
- `onegrid notify worker` and `onegrid forwarding worker`, as `make serve` runs them.

The mix (locust users, no think time, so the figures are the most this set-up takes): grid
workers reporting with a photo through the API (Idempotency-Key, retried with the same key on
a failure); desks walking reported cases through the whole loop through the API (register,
dispatch, sign, feed back with a photo, pass the check with a photo, close — each action a
request as the acceptor, dispatcher, department handler and grid worker it belongs to); the
console's and the live map's polls (GET /console/ as refresh.js fetches it, /map/live.json
?since= as map.js does); residents following their report by its tracking code
(/public/reports/<code>/, from many addresses as nginx would forward them).

Scale. A city peaks at 4,000 reports an hour with bursts of ten times that (issue 14). "The
peak hour × 100 in 10 minutes" would be 400,000 reports in 10 minutes (667 reports/s), far past
what one 2-core machine serves; so the test offers the peak hour's mix as fast as the app takes
it, bounded by time (BENCH_LOAD_MINUTES, default 10) and by count (BENCH_LOAD_REPORTS, default
400,000 × minutes/10: it stops at whichever comes first), and prints the reports it stored per
hour as a multiple of the city's peak hour (4,000/h) and its bursts (40,000/h). BENCH_LOAD_USERS
(default 40) sets the concurrent users.

Afterwards it waits for the queue to drain, then checks: zero failed requests (any failure:
exit 1), every report acknowledged stored exactly once (its key's record names the case the
client was given, one case per key), every case's history replays to its state (`onegrid
verify` when the project has it, else cases.history.replay_states here), no notification or
delivery twice (their keys are unique; the SMS outbox names each key once).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent

MINUTES = float(os.environ.get("BENCH_LOAD_MINUTES", 10))
USERS = int(os.environ.get("BENCH_LOAD_USERS", 40))
APPS = int(os.environ.get("BENCH_LOAD_APPS", 3))
REPORTS = int(os.environ.get("BENCH_LOAD_REPORTS", round(400_000 * MINUTES / 10)))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/og_load")
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS", "redis://127.0.0.1:6379/7")
PORT = int(os.environ.get("BENCH_LOAD_PORT", 18000))
GRIDS = 60  # grids (and their grid workers) the reports come from, spread over the streets
PEAK_PER_HOUR = 4000
MEDIA = ROOT / "var" / "bench" / "load" / "media"


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


def ensure_database() -> None:
    """The database, kept between runs with its photos under var/bench/load/media; made afresh
    when those are gone (or with BENCH_REBUILD=1), so that its rows and files agree."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    fresh = os.environ.get("BENCH_REBUILD") == "1" or not MEDIA.exists()
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    MEDIA.mkdir(parents=True, exist_ok=True)


def set_up(var: Path) -> dict:
    """Migrate, build the demo's world if missing, and write the plan the locust users read."""
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        ONEGRID_VAR_DIR=str(var),
        ONEGRID_MEDIA_ROOT=str(MEDIA),
        DJANGO_SETTINGS_MODULE="onegrid.config.settings",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from onegrid.demo.management.commands.simulate import ensure_world
    from onegrid.demo.people import department_username, desk_username, grid_worker_username
    from onegrid.org.models import Department, User
    from onegrid.org.services import token_for
    from onegrid.territory.models import Grid

    class Quiet:
        def write(self, text: str) -> None:
            print(text, file=sys.stderr)

    ensure_world(Quiet())
    grids = list(Grid.objects.select_related("street").order_by("code"))
    step = max(1, len(grids) // GRIDS)
    chosen = grids[::step][:GRIDS]
    department = (
        Department.objects.filter(code="city_management").first()
        or Department.objects.filter(street__isnull=True).order_by("code").first()
    )
    assert department is not None, "the demo has no district department"
    tokens: dict[str, str] = {}

    def token(username: str) -> str:
        if username not in tokens:
            tokens[username] = token_for(User.objects.get(username=username))[0]
        return tokens[username]

    plan_grids = []
    for grid in chosen:
        plan_grids.append(
            {
                "code": grid.code,
                "lon": grid.label_lon,
                "lat": grid.label_lat,
                "worker": token(grid_worker_username(grid.code)),
                "acceptor": token(desk_username("acc", grid.street)),
                "dispatcher": token(desk_username("disp", grid.street)),
            }
        )
    from onegrid.cases.models import CaseClass

    # Not the urgent (red) classes, which the dispatch rule sends to their own department at
    # registration, nor those routed to the street's police: the desks dispatch every case.
    classes = list(
        CaseClass.objects.filter(active=True, route_to_street_police=False)
        .exclude(urgency=CaseClass.Urgency.RED)
        .order_by("code")
        .values_list("code", flat=True)
    )
    plan = {
        "run": uuid.uuid4().hex[:8],
        "grids": plan_grids,
        "department": department.code,
        "handler": token(department_username(department)),
        "classes": classes[:: max(1, len(classes) // 20)],
        "console": [desk_username("acc", g.street) for g in chosen[:4]] + ["command"],
        "password": "onegrid-demo",
        "max_reports": REPORTS,
        "acks": str(var / "acks.tsv"),
        "stats": str(var / "stats.json"),
    }
    (var / "plan.json").write_text(json.dumps(plan))
    from django.db import connections

    connections.close_all()
    return plan


def nginx_conf(var: Path, ports: list[int]) -> Path:
    upstream = "".join(f"    server 127.0.0.1:{p};\n" for p in ports)
    conf = var / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {var}/nginx.pid;
error_log {var}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {var}/nginx-body;
  proxy_temp_path {var}/nginx-proxy;
  fastcgi_temp_path {var}/nginx-fcgi;
  uwsgi_temp_path {var}/nginx-uwsgi;
  scgi_temp_path {var}/nginx-scgi;
  client_max_body_size 20m;
  upstream onegrid {{
    least_conn;
{upstream}    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{PORT};
    location / {{
      proxy_pass http://onegrid;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $http_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"""
    )
    return conf


def start(var: Path, env: dict) -> tuple[list[subprocess.Popen], str]:
    procs: list[subprocess.Popen] = []
    ports = [PORT + 1 + i for i in range(APPS)]
    conf = ROOT / "deploy" / "gunicorn.conf.py"
    for port in ports:
        args = [str(BIN / "gunicorn"), "onegrid.config.wsgi", "--bind", f"127.0.0.1:{port}"]
        if conf.exists():
            args += ["--config", str(conf), "--workers", "1"]
        else:
            args += ["--workers", "1", "--threads", "4"]
        args += ["--log-level", "warning"]
        log = open(var / f"app-{port}.log", "ab")  # noqa: SIM115 (the process keeps it)
        procs.append(subprocess.Popen(args, env=env, stdout=log, stderr=log))
    for name in ("notify", "forwarding"):
        log = open(var / f"{name}-worker.log", "ab")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [str(BIN / "onegrid"), name, "worker"], env=env, stdout=log, stderr=log
            )
        )
    for port in ports:
        wait_port(port, 60)
    warm_up(json.loads((var / "plan.json").read_text()), ports)
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx:
        conf_path = nginx_conf(var, ports)
        log = open(var / "nginx.log", "ab")  # noqa: SIM115
        procs.append(
            subprocess.Popen([nginx, "-c", str(conf_path), "-p", str(var)], stdout=log, stderr=log)
        )
        wait_port(PORT)
        hosts = f"http://127.0.0.1:{PORT}"
    else:
        hosts = ",".join(f"http://127.0.0.1:{p}" for p in ports)
    return procs, hosts


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def queue_drained(seconds: float = 120) -> bool:
    """Wait until the RQ queues are empty and the notification fan-out has caught up."""
    import django_rq

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        waiting = sum(django_rq.get_queue(q).count for q in ("default", "notify", "forwarding"))
        if waiting == 0:
            return True
        time.sleep(1)
    return False


def warm_up(plan: dict, ports: list[int]) -> None:
    """A report with a photo and a list on each app process before the clock starts: a fresh
    process loads the grids' index, the catalogue and the templates on its first requests."""
    import io

    import requests  # locust's own dependency
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 30)).save(buffer, "JPEG")
    grid = plan["grids"][0]
    headers = {"Authorization": f"Bearer {grid['worker']}"}
    for port in ports:
        for _ in range(3):
            answer = requests.post(
                f"http://127.0.0.1:{port}/api/v1/cases",
                data={
                    "lon": grid["lon"],
                    "lat": grid["lat"],
                    "class_code": plan["classes"][0],
                    "description": "warm-up",
                },
                files={"photos": ("p.jpg", buffer.getvalue(), "image/jpeg")},
                headers={**headers, "Idempotency-Key": f"warm-{uuid.uuid4().hex}"},
                timeout=120,
            )
            answer.raise_for_status()
            requests.get(
                f"http://127.0.0.1:{port}/api/v1/cases?limit=5", headers=headers, timeout=120
            ).raise_for_status()


def check_stored(plan: dict, var: Path) -> list[str]:
    """Every report acknowledged is stored exactly once and its history replays."""
    from onegrid.cases.history import replay_states
    from onegrid.cases.models import Case, CaseEvent, IdempotencyRecord
    from onegrid.notify.models import Delivery, Notification

    problems: list[str] = []
    acked: dict[str, str] = {}
    acks = Path(plan["acks"])
    for line in acks.read_text().splitlines() if acks.exists() else []:
        key, case_id = line.split("\t")
        if acked.setdefault(key, case_id) != case_id:
            problems.append(f"key {key} answered with two cases")
    prefix = f"load {plan['run']} "
    stored = Counter(
        Case.objects.filter(description__startswith=prefix).values_list("description", flat=True)
    )
    doubled = [d for d, n in stored.items() if n > 1]
    if doubled:
        problems.append(f"{len(doubled)} reports stored more than once, e.g. {doubled[0]!r}")
    keys = set(acked)
    records = (
        dict(IdempotencyRecord.objects.filter(key__in=keys).values_list("key", "case_id"))
        if len(keys) < 60_000
        else {}
    )
    for key, case_id in acked.items():
        if f"{prefix}{key}" not in stored:
            problems.append(f"report {key} was acknowledged but is not stored")
            break
        if records and str(records.get(key)) != case_id:
            problems.append(f"report {key}: its idempotency record names another case")
            break
    broken = 0
    events: dict = {}
    cases = Case.objects.filter(description__startswith=prefix).values_list("id", "state")
    for event in CaseEvent.objects.filter(case__description__startswith=prefix).order_by(
        "case_id", "seq"
    ):
        events.setdefault(event.case_id, []).append(event)
    for case_id, state in cases:
        try:
            if replay_states(events.get(case_id, []))[-1:] != [state]:
                broken += 1
        except ValueError:
            broken += 1
    if broken:
        problems.append(f"{broken} cases whose history does not replay to their state")
    for model in (Notification, Delivery):
        if model.objects.values("key").distinct().count() != model.objects.count():
            problems.append(f"a {model.__name__} key twice")
    outbox = var / "sms" / "outbox.jsonl"
    if outbox.exists():
        sent = Counter(json.loads(line)["key"] for line in outbox.read_text().splitlines())
        twice = [k for k, n in sent.items() if n > 1]
        if twice:
            problems.append(f"{len(twice)} text messages sent twice, e.g. {twice[0]}")
    print(
        f"  stored: {len(acked)} reports acknowledged, {sum(stored.values())} stored "
        f"({len(stored)} distinct), {len(cases)} histories replayed"
    )
    return problems


def run_verify(env: dict) -> list[str]:
    from django.core.management import get_commands

    if "verify" not in get_commands():
        return []
    done = subprocess.run(
        [str(BIN / "onegrid"), "verify"], env=env, capture_output=True, text=True, timeout=600
    )
    print("  onegrid verify:", (done.stdout.strip().splitlines() or ["(no output)"])[-1])
    return [] if done.returncode == 0 else [f"onegrid verify failed: {done.stdout}{done.stderr}"]


def main() -> int:
    var = Path(tempfile.mkdtemp(prefix="og-load-"))
    (var / "static").mkdir()
    ensure_database()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    began = time.perf_counter()
    plan = set_up(var)
    print(f"load test: set-up in {time.perf_counter() - began:.0f} s (scratch: {var})")
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "ONEGRID_TASKS": "rq",
        "ONEGRID_VAR_DIR": str(var),
        "ONEGRID_MEDIA_ROOT": str(MEDIA),
        "ONEGRID_PROXY_COUNT": "1",
        "DJANGO_SETTINGS_MODULE": "onegrid.config.settings",
        "LOAD_PLAN": str(var / "plan.json"),
    }
    os.environ.update(REDIS_URL=REDIS_URL, ONEGRID_TASKS="rq")
    procs, hosts = start(var, env)
    seconds = max(10, round(MINUTES * 60))
    try:
        locust = subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(HERE / "load" / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(max(1, USERS // 5)),
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "30",
                "--host",
                hosts.split(",")[0],
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**env, "LOAD_HOSTS": hosts},
            timeout=seconds + 180,
        )
        drained = queue_drained()
    finally:
        stop(procs)
    figures = json.loads(Path(plan["stats"]).read_text())
    db = DATABASE_URL.split(":")[0]
    print(
        f"\nload test ({db}, {APPS} app processes x 4 threads "
        f"{'behind nginx' if ',' not in hosts else 'direct'}, Redis cache + RQ, "
        f"{USERS} users, {seconds} s, {os.cpu_count()} cores)"
    )
    print(
        f"  {'endpoint':<44} {'requests':>9} {'fails':>6} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>7}"
    )
    for row in figures["rows"]:
        print(
            f"  {row['name']:<44} {row['requests']:>9} {row['failures']:>6} "
            f"{row['p50']:>7.0f} {row['p99']:>7.0f} {row['rps']:>7.1f}"
        )
    total = figures["rows"][-1]
    failures = total["failures"]
    reports = sum(
        r["requests"] - r["failures"]
        for r in figures["rows"][:-1]
        if r["name"].startswith("report")
    )
    per_hour = reports / max(total["seconds"], 1e-9) * 3600
    print(
        f"  reports stored: {reports} = {per_hour:,.0f}/h = {per_hour / PEAK_PER_HOUR:.1f}x the "
        f"city's peak hour (4,000/h), {per_hour / (10 * PEAK_PER_HOUR):.2f}x its bursts"
    )
    for error in figures["errors"]:
        print(f"  error x{error['count']}: {error['name']}: {error['error'][:300]}")
    problems = []
    if failures or locust.returncode:
        problems.append(f"{failures} requests failed (locust exit {locust.returncode})")
    if not drained:
        problems.append("the job queue did not drain within 2 minutes")
    problems += check_stored(plan, var)
    problems += run_verify(env)
    for problem in problems:
        print("  FAIL:", problem)
    print("  OK: zero errors, nothing lost or doubled" if not problems else "")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
