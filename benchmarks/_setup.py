"""Shared set-up for benchmarks: a throw-away database with the Beichen demo district."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
