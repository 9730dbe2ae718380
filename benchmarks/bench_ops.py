"""What the operations middleware (config/ops.py: request id, timing, counters, the request
log, the database-error wrapper) costs a request, in-process.

Baseline: the same minimal JSON view (bench_urls.minimal) through the same middleware stack
without OpsMiddleware, in the same process and run, interleaved round by round. Printed: the
median time a request takes with and without it, the difference and the ratio; with
ONEGRID_LOG_FORMAT=json the request log line is included (written to /dev/null), and with
--multiprocess the counters go to PROMETHEUS_MULTIPROC_DIR's files (gunicorn's set-up).
Also the time of one /metrics scrape.

    python benchmarks/bench_ops.py [--multiprocess] [--json-log] [--rounds 15] [--per-round 400]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--multiprocess", action="store_true")
    parser.add_argument("--json-log", action="store_true")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=400)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="onegrid-bench-ops-"))
    (var / "static").mkdir()
    os.environ["ONEGRID_VAR_DIR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    os.environ["ONEGRID_METRICS"] = "on"
    if args.multiprocess:
        (var / "metrics").mkdir()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(var / "metrics")
    if args.json_log:
        os.environ["ONEGRID_LOG_FORMAT"] = "json"
    sys.path.insert(0, str(HERE))
    import django

    django.setup()
    import logging

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    for handler in logging.getLogger().handlers:  # the request lines, formatted, to nowhere
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115

    with_ops = Client()
    stack = list(settings.MIDDLEWARE)
    assert stack[0] == "onegrid.config.ops.OpsMiddleware"

    def without_ops() -> Client:
        settings.MIDDLEWARE = stack[1:]
        client = Client()
        client.handler.load_middleware()
        settings.MIDDLEWARE = stack
        return client

    plain = without_ops()
    with_ops.handler.load_middleware()

    def timed(client: Client) -> float:
        started = time.perf_counter()
        for n in range(args.per_round):
            response = client.post("/bench/minimal", {"n": n}, content_type="application/json")
            assert response.status_code == 201
        return (time.perf_counter() - started) / args.per_round

    for client in (plain, with_ops):  # warm up
        timed(client)
    ops_times, plain_times = [], []
    for _ in range(args.rounds):
        plain_times.append(timed(plain))
        ops_times.append(timed(with_ops))
    base, ops = statistics.median(plain_times), statistics.median(ops_times)
    scrape = []
    for _ in range(20):
        started = time.perf_counter()
        assert with_ops.get("/metrics").status_code == 200
        scrape.append(time.perf_counter() - started)
    mode = ("multi-process" if args.multiprocess else "one process") + (
        ", JSON request log" if args.json_log else ""
    )
    print(f"ops middleware ({mode}), {args.rounds} rounds × {args.per_round} requests:")
    print(f"  without OpsMiddleware (baseline): {base * 1e6:8.1f} µs per request")
    print(f"  with OpsMiddleware:               {ops * 1e6:8.1f} µs per request")
    print(f"  cost: {(ops - base) * 1e6:+.1f} µs, ratio {ops / base:.3f}×")
    print(f"  one /metrics scrape: median {statistics.median(scrape) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
