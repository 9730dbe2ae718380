"""The cost of keeping the rollups in the transaction of each event, and of rebuilding them.

Plays BENCH_DAYS days of the demo simulation (the real services: reports with photos, desk,
department and check work, the timer) on a fresh database and measures, in the same run, the
time every `cases.history.append_event` call spends in the rollups hook (cases.rollups.Keeper:
read the case's facts, fold the event, add the difference to the totals, write the facts) against
the whole time of the simulation's service calls. Then times `onegrid rollups rebuild` and
`verify` on that history, and the district month from the rollups against the full recompute.
Set DATABASE_URL for PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

from _setup import django_with_district

DAYS = int(os.environ.get("BENCH_DAYS", 7))
PER_DAY = int(os.environ.get("BENCH_PER_DAY", 120))


def main() -> None:
    django_with_district()
    from django.core.management.base import OutputWrapper

    from onegrid.cases import rollups
    from onegrid.cases.models import Case, CaseEvent
    from onegrid.demo.management.commands.simulate import ensure_world
    from onegrid.demo.simulator import simulate
    from onegrid.insight.measures import compute_measures, recompute_measures

    ensure_world(OutputWrapper(sys.stderr))
    spent = [0.0]
    calls = [0]
    # rollups.start and finish: the keeper's work and the savepoints it runs in.
    original_start, original_finish = rollups.start, rollups.finish

    def timed_start(case, action, data):
        began = time.perf_counter()
        out = original_start(case, action, data)
        spent[0] += time.perf_counter() - began
        return out

    def timed_finish(keeper, event):
        began = time.perf_counter()
        original_finish(keeper, event)
        spent[0] += time.perf_counter() - began
        calls[0] += 1

    rollups.start = timed_start  # type: ignore[assignment]
    rollups.finish = timed_finish  # type: ignore[assignment]
    began = time.perf_counter()
    result = simulate(DAYS, 7, reports_per_day=PER_DAY)
    total = time.perf_counter() - began
    rollups.start, rollups.finish = original_start, original_finish  # type: ignore[assignment]
    events = CaseEvent.objects.count()
    cases = Case.objects.count()
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"rollups hook ({engine}): {DAYS} simulated days, {cases} cases, {events} events")
    print(f"  simulation (service calls, timer, photos) {total:.1f} s: {result.summary().strip()}")
    print(
        f"  hook: {spent[0]:.2f} s in {calls[0]} events = {spent[0] / calls[0] * 1000:.2f} ms "
        f"per event ({spent[0] / total * 100:.1f}% of the run; "
        f"{total / calls[0] * 1000:.2f} ms per event in all)"
    )

    began = time.perf_counter()
    rebuilt = rollups.rebuild_rollups()
    seconds = time.perf_counter() - began
    print(
        f"  rebuild: {seconds:.2f} s for {rebuilt.cases} cases "
        f"({rebuilt.cases / seconds:.0f} cases/s, {events / seconds:.0f} events/s)"
    )
    began = time.perf_counter()
    differences = rollups.verify()
    print(f"  verify: {time.perf_counter() - began:.2f} s, {len(differences)} differences")

    end = result.end.astimezone(dt.timezone(dt.timedelta(hours=8)))
    end = end.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    start = end - dt.timedelta(days=30)
    began = time.perf_counter()
    fast = compute_measures(start, end)
    fast_s = time.perf_counter() - began
    began = time.perf_counter()
    slow = recompute_measures(start, end)
    slow_s = time.perf_counter() - began
    same = fast.items == slow.items
    print(
        f"  district, 30 days: rollups {fast_s * 1000:.1f} ms, full recompute "
        f"{slow_s * 1000:.0f} ms; equal: {same}"
    )
    if differences or not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
