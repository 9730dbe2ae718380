"""Intake: reports/s and p99 through the real API vs a minimal Django JSON view, same server.

Both run under the same gunicorn (WSGI, the same workers and threads) in the same run; the
report path does auth, validation, GCJ/WGS handling, locate, catalogue lookup, insert, history
and photo storage. Prints each figure and the ratio report/minimal.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from _setup import HERE, django_with_district, percentile

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 600))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 4))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
        f'filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def load(port: int, make_request, n: int, concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(n))

    def worker():
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = make_request(i)
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status >= 300:
                    failures += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, failures


def main() -> None:
    var = django_with_district(settings="bench_settings")
    from onegrid.cases.catalogue import load_default_catalogue
    from onegrid.org.models import Role, RoleAssignment, User
    from onegrid.org.services import issue_token
    from onegrid.territory.models import Grid

    load_default_catalogue()
    grids = list(Grid.objects.all()[:200])
    worker = User.objects.create_user("bench-worker", password="bench-password-1")
    for grid in grids:
        RoleAssignment.objects.create(user=worker, role=Role.GRID_WORKER, grid=grid)
    token, _ = issue_token(username="bench-worker", password="bench-password-1")
    from onegrid.cases.models import CaseClass

    classes = list(CaseClass.objects.filter(active=True).values_list("code", flat=True))

    from django.db import connections

    connections.close_all()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(HERE), "DJANGO_SETTINGS_MODULE": "bench_settings"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "onegrid.config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--threads",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        photo = jpeg()
        rng = random.Random(7)
        auth = {"Authorization": f"Bearer {token}"}

        def report_request(i):
            grid = rng.choice(grids)
            body, ctype = multipart(
                {
                    "lon": grid.label_lon,
                    "lat": grid.label_lat,
                    "class_code": rng.choice(classes),
                    "description": "bench",
                    "idempotency_key": f"bench-{i}-{uuid.uuid4().hex[:8]}",
                },
                photo,
            )
            return "POST", "/api/v1/cases", body, {**auth, "Content-Type": ctype}

        def minimal_request(i):
            return (
                "POST",
                "/bench/minimal",
                json.dumps({"n": i}),
                {"Content-Type": "application/json"},
            )

        load(port, minimal_request, 50, CONCURRENCY)  # warm both paths
        load(port, report_request, 20, CONCURRENCY)
        base_s, base_lat, base_fail = load(port, minimal_request, REQUESTS, CONCURRENCY)
        rep_s, rep_lat, rep_fail = load(port, report_request, REQUESTS, CONCURRENCY)
    finally:
        server.terminate()
        server.wait(10)
    base_rate, rep_rate = REQUESTS / base_s, REQUESTS / rep_s
    base_p99 = percentile(base_lat, 99) * 1000
    rep_p99 = percentile(rep_lat, 99) * 1000
    db = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    print(
        f"intake ({db}, gunicorn {WORKERS} workers x 2 threads, {CONCURRENCY} clients, "
        f"{REQUESTS} requests each)"
    )
    print(
        f"  minimal JSON view : {base_rate:8.1f} req/s   p99 {base_p99:7.1f} ms"
        f"   failures {base_fail}"
    )
    print(
        f"  report via API    : {rep_rate:8.1f} req/s   p99 {rep_p99:7.1f} ms   failures {rep_fail}"
    )
    print(
        f"  ratio report/minimal: throughput {rep_rate / base_rate:.2f}x, "
        f"p99 {rep_p99 / base_p99:.2f}x"
    )
    print(f"  (scratch data under {var})")


if __name__ == "__main__":
    main()
