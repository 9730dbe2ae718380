"""Shared set-up for benchmarks: a throw-away database with the Beichen demo district."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src" / "onegrid"
BENCH_CACHE = ROOT / "var" / "bench"
# `onegrid demo`'s seed (demo.DEMO_SEED, which needs Django to import; checked once it is up).
DEMO_SEED = 1128


def django_with_district(*, settings: str = "onegrid.config.settings") -> Path:
    """Point Django at a fresh SQLite file (unless DATABASE_URL is set), migrate, build Beichen."""
    var = Path(tempfile.mkdtemp(prefix="onegrid-bench-"))
    (var / "static").mkdir()  # whitenoise expects it; benchmarks serve no static files
    os.environ["ONEGRID_VAR_DIR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    sys.path.insert(0, str(HERE))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from onegrid.demo.district import build_beichen

    build_beichen()
    return var


def demo_cache_key(days: int, seed: int, per_day: int) -> str:
    """What the cached demo database depends on: the arguments, the day it ends, and the code.

    The simulated history ends at today's local midnight (simulator.default_start), so the key
    includes today's date: a cache from an earlier day would be missing the last days' history.
    The code part hashes the migrations (the schema), the demo package (district, people,
    simulator) and the default catalogue; set BENCH_REBUILD=1 after changing the services.
    """
    digest = hashlib.sha256()
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    digest.update(f"days={days} seed={seed} per_day={per_day} today={today}\n".encode())
    sources = [
        *sorted(SRC.glob("*/migrations/*.py")),
        *sorted((SRC / "demo").rglob("*.py")),
        SRC / "cases" / "data" / "default_catalogue.csv",
    ]
    for path in sources:
        digest.update(str(path.relative_to(SRC)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"demo-{today:%Y%m%d}-{digest.hexdigest()[:12]}"


def _load_demo(days: int, seed: int, per_day: int) -> None:
    """What `onegrid demo` does: district, catalogue and people, then simulated history."""
    from django.core.management.base import OutputWrapper

    from onegrid.cases.models import Case
    from onegrid.demo.management.commands.simulate import ensure_world
    from onegrid.demo.people import people_seeded
    from onegrid.demo.simulator import simulate

    if people_seeded() and Case.objects.exists():
        return
    out = OutputWrapper(sys.stderr)
    began = time.perf_counter()
    ensure_world(out)
    result = simulate(days, seed, reports_per_day=per_day, out=out)
    out.write(result.summary())
    out.write(f"  demo loaded in {time.perf_counter() - began:.0f} s")


def django_with_demo(
    *,
    days: int = 30,
    seed: int = DEMO_SEED,
    per_day: int = 60,
    settings: str = "onegrid.config.settings",
) -> Path:
    """Django on a database with the Beichen demo and `days` of simulated history.

    The defaults are `onegrid demo`'s (30 days, 60 reports a working day, its seed). Without
    DATABASE_URL the loaded SQLite file (and its photos) is cached under var/bench/<key>/ and
    each run works on a copy of it in a scratch directory, so only the first run of a day pays
    the one to two minutes of simulation. With DATABASE_URL the demo is loaded into that
    database unless it holds one already. Returns the scratch directory (ONEGRID_VAR_DIR).
    """
    var = Path(tempfile.mkdtemp(prefix="onegrid-bench-"))
    (var / "static").mkdir()
    os.environ["ONEGRID_VAR_DIR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    sys.path.insert(0, str(HERE))
    cache = cached_db = None
    if not os.environ.get("DATABASE_URL"):
        cache = BENCH_CACHE / demo_cache_key(days, seed, per_day)
        cached_db = cache / "onegrid.sqlite3"
        if os.environ.get("BENCH_REBUILD") == "1" or not cached_db.exists():
            shutil.rmtree(cache, ignore_errors=True)
            (cache / "media").mkdir(parents=True)
        else:
            shutil.copyfile(cached_db, var / "onegrid.sqlite3")
        os.environ["ONEGRID_MEDIA_ROOT"] = str(cache / "media")
    import django
    from django.core.management import call_command

    django.setup()
    from onegrid.demo.management.commands import demo

    if demo.DEMO_SEED != DEMO_SEED:
        raise RuntimeError("onegrid demo's seed changed: update DEMO_SEED in benchmarks/_setup.py")
    call_command("migrate", verbosity=0)
    _load_demo(days, seed, per_day)
    if cache is not None and not cached_db.exists():
        from django.db import connections

        connections.close_all()
        with sqlite3.connect(var / "onegrid.sqlite3") as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial = cache / "onegrid.sqlite3.partial"
        shutil.copyfile(var / "onegrid.sqlite3", partial)
        partial.rename(cached_db)
        for stale in BENCH_CACHE.glob("demo-*"):
            if stale != cache:
                shutil.rmtree(stale, ignore_errors=True)
    return var


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
