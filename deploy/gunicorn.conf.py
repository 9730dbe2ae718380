"""gunicorn's configuration for OneGrid's app processes (`gunicorn -c deploy/gunicorn.conf.py
onegrid.config.wsgi`; deploy/systemd/onegrid-app.service). Every value can be changed from the
environment (deploy/onegrid.env.example) without editing this file.

Threads: each worker is one process with GUNICORN_THREADS threads (gthread), as `make serve`
runs them; a request mostly waits for the database, so threads keep a core busy. Workers:
one or two per core (docs/operations.md "Capacity"). A worker is replaced after about
GUNICORN_MAX_REQUESTS requests (jittered, so they do not all restart together).

Prometheus (config/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, the master empties that
directory when it starts and marks each worker that exits as dead, so /metrics adds up the
live and past workers' counters without counting a gauge of a dead one.
"""

import multiprocessing
import os
import shutil
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count(), 16))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # below nginx's upstream keepalive_timeout (60 s)
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# nginx on the same machine or the internal network: X-Forwarded-* from these addresses only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "onegrid"
# The app logs every request itself (config/requestlog.py: one JSON line with the request id,
# ONEGRID_LOG_FORMAT=json); gunicorn's own access log only when asked for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Where worker heartbeat files live: memory, not a disk that may stall (gunicorn's advice).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def on_starting(server):  # noqa: ARG001 — gunicorn's hook signature
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)


def child_exit(server, worker):  # noqa: ARG001 — gunicorn's hook signature
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
