"""What a city's district overrides and district calendar days cost a case's clock.

Times, in one process, `cases.rules.disposal_due` (the class's limit as the case's district has
it, counted on that district's calendar) and `cases.selectors.timer_colour` for one case:

* baseline — one district, no overrides, no district days (the single-district installation);
* a city with overrides and days in district B, the case in district A (no days of its own);
* the same, the case in district B (its override and its own rest day apply).

Prints microseconds per call, the ratio to the baseline, and the queries per call once the
per-process caches are warm (they must be 0). Set DATABASE_URL for PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
N = int(os.environ.get("BENCH_CALLS", 20000))


def _django() -> None:
    var = Path(tempfile.mkdtemp(prefix="onegrid-bench-"))
    (var / "static").mkdir()
    os.environ["ONEGRID_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.config.settings")
    sys.path.insert(0, str(HERE))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _timed(label: str, work, baseline: float | None) -> float:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work()  # warm the caches
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        for _ in range(N):
            work()
        spent = (time.perf_counter() - began) / N * 1e6
    ratio = f"{spent / baseline:5.2f}x" if baseline else "1.00x (baseline)"
    print(f"  {label:<44} {spent:8.2f} µs/call  {ratio}  queries/call {len(queries) / N:.3f}")
    return spent


def main() -> None:
    _django()
    from django.conf import settings

    from onegrid.cases import overrides, rules, selectors
    from onegrid.cases.models import Case, CaseClass, MajorClass
    from onegrid.core import district_days
    from onegrid.org.models import Department
    from onegrid.territory.models import AdminUnit

    settings.ONEGRID = {**settings.ONEGRID, "CALENDAR_RECHECK_SECONDS": 3600}
    tz = dt.timezone(dt.timedelta(hours=8))
    city = AdminUnit.objects.create(code="120100000000", name="天津市", level="city")
    streets = []
    for code in ("120113", "120110"):
        district = AdminUnit.objects.create(
            code=code + "000000", name=code, level="district", parent=city
        )
        streets.append(
            AdminUnit.objects.create(
                code=code + "001000", name=code, level="street", parent=district
            )
        )
    dept = Department.objects.create(code="city_management", name="城管委")
    cls = CaseClass.objects.create(
        code="A0102",
        major=MajorClass.objects.create(code="A", name="城市管理"),
        name="暴露垃圾",
        time_limit=2,
        time_unit="days",
        default_department=dept,
    )
    start = dt.datetime(2026, 3, 10, 15, 30, tzinfo=tz)
    home = Case(case_class=cls, street=streets[0], state="dispatched")
    east = Case(case_class=cls, street=streets[1], state="dispatched")
    for case in (home, east):
        case.dispatched_at, case.due_at = start, start + dt.timedelta(days=2)

    def clock(case):
        return lambda: (rules.disposal_due(case, start), selectors.timer_colour(case))

    print(f"disposal deadline + timer colour, {N} calls each")
    base = _timed("one district, no overrides, no district days", clock(home), None)
    east_district = AdminUnit.objects.get(code="120110000000")
    overrides.set_override(district=east_district, case_class=cls, urgency="red", by="bench")
    overrides.set_override(
        district=east_district, case_class=cls, time_limit=3, time_unit="days", by="bench"
    )
    district_days.add_day(district="120110", day="2026-03-11", kind="休", added_by="bench")
    _timed("city: the case's district has none of its own", clock(home), base)
    _timed("city: the case's district overrides + rest day", clock(east), base)
    assert rules.disposal_due(east, start) == dt.datetime(2026, 3, 16, 15, 30, tzinfo=tz)
    assert rules.disposal_due(home, start) == dt.datetime(2026, 3, 12, 15, 30, tzinfo=tz)


if __name__ == "__main__":
    main()
