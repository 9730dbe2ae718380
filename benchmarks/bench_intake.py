"""Intake at city rate (issue 14): reports through the real API against a bare view, same server.

One gunicorn with `make serve`'s workers and threads (read from the Makefile: WORKERS, THREADS)
serves both paths in the same run on the same database:

- report: POST /api/v1/cases, multipart, one photo, a bearer token of a grid worker bound to
  ONE grid (as a real one is): auth, validation, locate, class, case, reporter, history,
  idempotency and the photo with its copies.
- bare: POST /bench/bare, the SAME multipart body with the SAME photo; Django parses it, stores
  the photo through default_storage (as the app does) and inserts one row in a transaction.

For each: the throughput of closed-loop clients (the ratio report/bare is the goal: ≥ 0.5), p99
at a fixed offered rate (open loop: request i is sent at t0 + i/RATE by whichever client is free,
its latency counted from that scheduled time, so a server that falls behind shows it), the
gunicorn workers' CPU per request (utime+stime from /proc, stable on a noisy machine) and the
database queries per request (counted in-process, once, through Django's test client).

BENCH_DATABASE: sqlite, postgresql or both (default; PostgreSQL at BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/og_bench_intake, dropped and made afresh; skipped with a note
when it does not answer). BENCH_REQUESTS (closed loop, per path), BENCH_CONCURRENCY (closed-loop
clients), BENCH_RATE (req/s offered), BENCH_SECONDS (open-loop length).
"""

from __future__ import annotations

import http.client
import io
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from _setup import HERE, ROOT, django_with_district, percentile

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 400))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 8))
RATE = float(os.environ.get("BENCH_RATE", 200))
SECONDS = float(os.environ.get("BENCH_SECONDS", 5))
PHOTO_PX = os.environ.get("BENCH_PHOTO_PX", "320x240")
OPEN_CLIENTS = int(os.environ.get("BENCH_OPEN_CLIENTS", 48))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/og_bench_intake")
TICK = os.sysconf("SC_CLK_TCK")


def serve_setup() -> tuple[int, int]:
    """`make serve`'s gunicorn workers and threads, as the Makefile sets them."""
    text = (ROOT / "Makefile").read_text()
    found = {
        name: int(m.group(1))
        for name in ("WORKERS", "THREADS")
        if (m := re.search(rf"^{name} \?= (\d+)\s*$", text, re.M))
    }
    if len(found) != 2 or "--threads $(THREADS)" not in text:
        raise SystemExit("Makefile: serve's WORKERS ?= / THREADS ?= not found")
    return found["WORKERS"], found["THREADS"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jpeg() -> bytes:
    """A small phone photo (BENCH_PHOTO_PX, default 320x240), noisy enough to compress like a
    picture. Each request's copy differs (unique_photo): both paths store it by its hash."""
    from PIL import Image

    width, height = (int(v) for v in PHOTO_PX.split("x"))
    rng = random.Random(3)
    small = Image.new("RGB", (max(1, width // 8), max(1, height // 8)))
    small.putdata(
        [tuple(rng.randrange(256) for _ in range(3)) for _ in range(small.width * small.height)]
    )
    buffer = io.BytesIO()
    small.resize((width, height), Image.Resampling.BILINEAR).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def unique_photo(photo: bytes, tag: str) -> bytes:
    """The same picture with a JPEG comment segment naming `tag`: another file, same pixels."""
    comment = tag.encode()
    return photo[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + photo[2:]


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
        f'filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def workers_cpu(master: int) -> float:
    """CPU seconds (user + system, every thread) of the gunicorn master's worker processes."""
    total = 0
    for task in Path(f"/proc/{master}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / TICK


def send(conn: http.client.HTTPConnection, request) -> int:
    method, path, body, headers = request
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def closed_loop(port: int, requests: list, concurrency: int) -> tuple[float, list[float], int]:
    """Every client sends its next request as soon as the last is answered."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    todo = iter(requests)

    def client():
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                request = next(todo, None)
            if request is None:
                break
            started = time.perf_counter()
            status = send(conn, request)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                failures += status >= 300
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, failures


def open_loop(port: int, requests: list, rate: float) -> tuple[list[float], int, float]:
    """Request i is due at t0 + i/rate; a free client sends it then (or late, if none was free)
    and its latency runs from the due time. Bounded: a request not sent within twice the run's
    length is not sent at all and counts as a failure with its lateness so far as latency (a
    server that falls that far behind has failed the rate). Returns latencies, failures (and
    requests not sent), the rate answered."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    todo = iter(enumerate(requests))
    t0 = time.perf_counter() + 0.2
    give_up = t0 + 2 * len(requests) / rate + 1

    def client():
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                item = next(todo, None)
            if item is None:
                break
            i, request = item
            due = t0 + i / rate
            now = time.perf_counter()
            if now > give_up:
                with lock:
                    latencies.append(now - due)
                    failures += 1
                continue
            if due > now:
                time.sleep(due - now)
            status = send(conn, request)
            done = time.perf_counter()
            with lock:
                latencies.append(done - due)
                failures += status >= 300
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(OPEN_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failures, (len(requests) - failures) / (time.perf_counter() - t0)


def queries_per_request(make_request) -> tuple[int, int]:
    """Queries of one report and one bare request, through Django's test client in-process,
    each the second of its kind (a live process's caches are warm)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = []
    for request in make_request:
        _method, path, body, headers = request
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        ctype = extra.pop("HTTP_CONTENT_TYPE")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(path, data=body, content_type=ctype, **extra)
        assert response.status_code == 201, (path, response.status_code, response.content[:300])
        counts.append(len(queries))
    return counts[2], counts[3]


def run_one(database: str) -> None:
    """One database: set up, serve, measure, print (in a process of its own)."""
    if database == "postgresql":
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    var = django_with_district(settings="bench_settings")
    from django.db import connection, connections

    from onegrid.cases.catalogue import load_default_catalogue
    from onegrid.cases.models import CaseClass
    from onegrid.org.models import Role, RoleAssignment, User
    from onegrid.org.services import issue_token
    from onegrid.territory.models import Grid

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (id integer PRIMARY KEY, name varchar(200), "
            "photo varchar(200), size integer, at timestamp)"
            if connection.vendor == "sqlite"
            else "CREATE TABLE bench_bare (id bigserial PRIMARY KEY, name varchar(200), "
            "photo varchar(200), size integer, at timestamptz)"
        )
    load_default_catalogue()
    grid = Grid.objects.filter(retired_in__isnull=True).order_by("code")[7]
    worker = User.objects.create_user("bench-worker", password="bench-password-1")
    RoleAssignment.objects.create(user=worker, role=Role.GRID_WORKER, grid=grid)
    token, _ = issue_token(username="bench-worker", password="bench-password-1")
    classes = list(CaseClass.objects.filter(active=True).values_list("code", flat=True))
    photo = jpeg()
    rng = random.Random(7)
    auth = {"Authorization": f"Bearer {token}"}

    def requests(n: int, tag: str) -> tuple[list, list]:
        """n report requests and n bare ones with the same body (fields and photo)."""
        reports, bares = [], []
        for i in range(n):
            key = f"{tag}-{i}-{uuid.uuid4().hex[:12]}"
            body, ctype = multipart(
                {
                    "lon": grid.label_lon + rng.uniform(-1e-6, 1e-6),
                    "lat": grid.label_lat + rng.uniform(-1e-6, 1e-6),
                    "class_code": rng.choice(classes),
                    "description": "路灯不亮 bench",
                    "idempotency_key": key,
                },
                unique_photo(photo, key),
            )
            headers = {"Content-Type": ctype}
            reports.append(("POST", "/api/v1/cases", body, {**auth, **headers}))
            bares.append(("POST", "/bench/bare", body, headers))
        return reports, bares

    warm, counted = requests(1, "q0"), requests(1, "q1")
    q_report, q_bare = queries_per_request([warm[0][0], warm[1][0], counted[0][0], counted[1][0]])
    connections.close_all()
    workers, threads = serve_setup()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(HERE), "DJANGO_SETTINGS_MODULE": "bench_settings"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "onegrid.config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    results = {}
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        warm_r, warm_b = requests(40, "warm")
        closed_loop(port, warm_b, CONCURRENCY)
        closed_loop(port, warm_r, CONCURRENCY)
        closed_r, closed_b = requests(REQUESTS, "closed")
        open_n = int(RATE * SECONDS)
        open_r, open_b = requests(open_n, "open")
        for name, closed, opened in (("bare", closed_b, open_b), ("report", closed_r, open_r)):
            cpu0 = workers_cpu(server.pid)
            seconds, lat, fail = closed_loop(port, closed, CONCURRENCY)
            cpu = (workers_cpu(server.pid) - cpu0) / len(closed)
            open_lat, open_fail, achieved = open_loop(port, opened, RATE)
            results[name] = {
                "rate": len(closed) / seconds,
                "p99": percentile(lat, 99) * 1000,
                "cpu": cpu * 1000,
                "open_p50": percentile(open_lat, 50) * 1000,
                "open_p99": percentile(open_lat, 99) * 1000,
                "achieved": achieved,
                "failures": fail + open_fail,
                "closed_failures": fail,
            }
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    bare, report = results["bare"], results["report"]
    print(
        f"intake on {connection.vendor} (gunicorn {workers} workers × {threads} threads as "
        f"`make serve`; {PHOTO_PX} photo of {len(photo) // 1024} KB; "
        f"{CONCURRENCY} closed-loop clients × {REQUESTS} requests; "
        f"{RATE:.0f} req/s offered for {SECONDS:.0f} s)"
    )
    for name, r in (("bare view", bare), ("report (API)", report)):
        print(
            f"  {name:13}: {r['rate']:7.1f} req/s  p99 {r['p99']:7.1f} ms (closed)  |  at "
            f"{RATE:.0f}/s: p50 {r['open_p50']:7.1f} ms  p99 {r['open_p99']:7.1f} ms  "
            f"({r['achieved']:.0f}/s answered)  |  CPU {r['cpu']:5.2f} ms/req  "
            f"failed or not sent {r['failures']}"
        )
    print(
        f"  ratio report/bare: throughput {report['rate'] / bare['rate']:.2f}x (goal ≥ 0.5)  "
        f"CPU/request {report['cpu'] / bare['cpu']:.2f}x  p99 at {RATE:.0f}/s "
        f"{report['open_p99']:.1f} ms (goal < 50)"
    )
    print(f"  queries per request: report {q_report}, bare {q_bare}  (scratch data under {var})")
    if report["closed_failures"] or bare["closed_failures"]:
        raise SystemExit("some requests failed")


def postgres_answers() -> bool:
    try:
        import psycopg

        base = PG_URL.rpartition("/")[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            name = PG_URL.rpartition("/")[2]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL here
        print(f"intake on postgresql: skipped ({error})")
        return False


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        run_one(sys.argv[2])
        return
    wanted = os.environ.get("BENCH_DATABASE", "both")
    databases = ["sqlite", "postgresql"] if wanted == "both" else [wanted]
    failed = False
    for database in databases:
        if database not in ("sqlite", "postgresql"):
            raise SystemExit(f"BENCH_DATABASE: sqlite, postgresql or both, not {database}")
        if database == "postgresql" and not postgres_answers():
            continue
        done = subprocess.run([sys.executable, __file__, "--one", database], check=False)
        failed |= done.returncode != 0
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
