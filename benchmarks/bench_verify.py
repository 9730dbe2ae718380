"""`onegrid verify` at scale: each check's time and peak memory on a synthetic history, against
baselines measured in the same run.

Data: a database written by `measures_data` (BENCH_VERIFY_URL, e.g.
sqlite:////tmp/og-bench/m100k.sqlite3; see bench_measures.py, which generates and keeps them).
Each measurement runs in a child process of its own, so its peak memory (ru_maxrss) is its own:

* baseline "read": every case and event row the history check reads, fetched and dropped;
* `history`: the replay of every case's history against its row (cases.integrity);
* `rollups`: the bounded comparison (cases.rollup_check: sums in temporary tables, compared
  in the database) against `cases.rollups.verify` (everything in memory), the old way.

Run: BENCH_VERIFY_URL=... .venv/bin/python benchmarks/bench_verify.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
import django
django.setup()
what = sys.argv[1]
started = time.perf_counter()
if what == "read":
    from onegrid.cases import integrity
    n = sum(1 for _ in integrity._case_rows()) + sum(1 for _ in integrity._event_rows())
elif what == "history":
    from onegrid.core import integrity
    report = integrity.run(only=["history"])
    n = report.results[0].counts["events"]
elif what == "rollups":
    from onegrid.core import integrity
    report = integrity.run(only=["rollups"])
    n = report.results[0].errors
elif what == "rollups-in-memory":
    from onegrid.cases import rollups
    n = len(rollups.verify(limit=100))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "n": n}))
"""


def measure(what: str) -> dict[str, float]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="onegrid.config.settings")
    env["DATABASE_URL"] = os.environ["BENCH_VERIFY_URL"]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, what], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if not os.environ.get("BENCH_VERIFY_URL"):
        sys.exit("set BENCH_VERIFY_URL to a database written by benchmarks/measures_data.py")
    began = time.perf_counter()
    read = measure("read")
    history = measure("history")
    print(
        f"history: {history['seconds']:.1f} s for {history['n']:,} events, "
        f"{history['seconds'] / read['seconds']:.2f}× a plain read of the same rows "
        f"({read['seconds']:.1f} s); peak {history['peak_mb']} MB (read: {read['peak_mb']} MB)"
    )
    bounded = measure("rollups")
    memory = measure("rollups-in-memory")
    print(
        f"rollups: bounded {bounded['seconds']:.1f} s, peak {bounded['peak_mb']} MB; "
        f"in memory (rollups.verify) {memory['seconds']:.1f} s, peak {memory['peak_mb']} MB: "
        f"time {bounded['seconds'] / memory['seconds']:.2f}×, "
        f"memory {bounded['peak_mb'] / memory['peak_mb']:.2f}×"
    )
    print(
        f"({time.perf_counter() - began:.0f} s in all; children's peak "
        f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024} MB)"
    )


if __name__ == "__main__":
    main()
