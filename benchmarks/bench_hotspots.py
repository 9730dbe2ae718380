"""Hotspots, heat map, repeat places and surge alerts on the Beichen demo district (~1,300
grids), against a plain SQL count of the same cases per grid in the same run.

Draws, deterministically, BENCH_DAYS days (default 400: a year and the weeks the seasonal
baseline needs) of BENCH_PER_DAY reports a day (default 850, DOMAIN.md §9's district) as Case
rows (bulk inserts, not the services: the figures read nothing else). Grids get lognormal
intensities, twice as high in the urban streets, and a few planted clusters; points lie inside
their grid; classes follow a Zipf-like mix of the catalogue. Then times, best of BENCH_REPEAT
runs with the result cache off (HOTSPOT_CACHE_SECONDS=0):

- Gi* of the last 30 days over the whole district (command centre), first call (weights
  built) and warm; the same for one street (a street desk);
- the heat raster of the last 30 days; repeat places of the last 90 days; surge alerts;
- the whole /console/hotspots/ page (all three, rendered) for the command centre;
- baseline: SELECT grid_id, COUNT(*) … GROUP BY grid_id for the same 30 days.

Ratios are ours / baseline. No timed assertions.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DAYS = int(os.environ.get("BENCH_DAYS", 400))
PER_DAY = int(os.environ.get("BENCH_PER_DAY", 850))
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))
SEED = 20261110


def best(fn, repeat=REPEAT):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def synthesise(end: dt.datetime) -> int:
    import shapely
    from django.db import transaction

    from onegrid.cases.catalogue import load_default_catalogue
    from onegrid.cases.models import Case, CaseClass
    from onegrid.territory.models import Grid

    if not CaseClass.objects.exists():
        load_default_catalogue()
    rng = np.random.default_rng(SEED)
    grids = list(Grid.objects.values_list("pk", "community_id", "street_id", "geometry_wkb"))
    street_codes = dict(Grid.objects.values_list("pk", "street__code"))
    polys = shapely.from_wkb([bytes(g[3]) for g in grids])
    weight = rng.lognormal(0.0, 1.0, len(grids))
    urban = np.array([street_codes[g[0]][6:9] < "100" for g in grids])
    weight[urban] *= 2.0
    for centre in rng.choice(len(grids), 6, replace=False):  # planted clusters
        near = shapely.dwithin(polys, polys[centre], 0.01)
        weight[near] *= 4.0
    weight /= weight.sum()
    classes = list(CaseClass.objects.values_list("pk", flat=True))
    mix = 1.0 / np.arange(1, len(classes) + 1) ** 1.1
    mix /= mix.sum()
    total = DAYS * PER_DAY
    which = rng.choice(len(grids), total, p=weight)
    kinds = rng.choice(len(classes), total, p=mix)
    seconds = rng.uniform(0, DAYS * 86400, total)
    bounds = shapely.bounds(polys)
    lon = np.empty(total)
    lat = np.empty(total)
    todo = np.arange(total)
    while todo.size:  # rejection sampling inside each point's grid
        b = bounds[which[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(polys[which[todo]], x, y)
        lon[todo[inside]] = x[inside]
        lat[todo[inside]] = y[inside]
        todo = todo[~inside]
    start = end - dt.timedelta(days=DAYS)
    states = rng.choice(
        ["closed", "registered", "self_closed", "merged", "rejected"],
        total,
        p=[0.6, 0.2, 0.15, 0.02, 0.03],
    )
    batch = []
    with transaction.atomic():
        for i in range(total):
            g = grids[which[i]]
            batch.append(
                Case(
                    number=f"B{i:09d}",
                    state=states[i],
                    source="grid_worker",
                    case_class_id=classes[kinds[i]],
                    lon=float(lon[i]),
                    lat=float(lat[i]),
                    grid_id=g[0],
                    community_id=g[1],
                    street_id=g[2],
                    urgency="blue",
                    reported_at=start + dt.timedelta(seconds=float(seconds[i])),
                )
            )
            if len(batch) == 20_000:
                Case.objects.bulk_create(batch)
                batch = []
        Case.objects.bulk_create(batch)
    return total


def main() -> None:
    from _setup import django_with_district

    django_with_district()
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    settings.ONEGRID["HOTSPOTS"]["CACHE_SECONDS"] = 0
    from onegrid.cases.models import Case
    from onegrid.core import clock
    from onegrid.insight import alerts, hotspots
    from onegrid.org.models import Role, RoleAssignment, User
    from onegrid.territory.models import AdminUnit, Grid

    end = dt.datetime(2026, 3, 10, 9, 30, tzinfo=hotspots.TZ)
    clock.set_now(end)
    t0 = time.perf_counter()
    n = synthesise(end)
    print(
        f"{n:,} cases over {DAYS} days on {Grid.objects.count():,} grids "
        f"(inserted in {time.perf_counter() - t0:.0f} s)"
    )
    district = AdminUnit.objects.get(level="district")
    command = User.objects.create_user("bench-command", password="x")
    RoleAssignment.objects.create(user=command, role=Role.COMMAND_CENTRE, unit=district)
    street = AdminUnit.objects.filter(level="street").order_by("code").first()
    desk = User.objects.create_user("bench-desk", password="x")
    RoleAssignment.objects.create(user=desk, role=Role.ACCEPTOR, unit=street)
    first = (end - dt.timedelta(days=30)).date()
    last = end.date() + dt.timedelta(days=1)
    since = hotspots.moment(first)
    until = hotspots.moment(last)

    def baseline():
        return list(
            Case.objects.filter(reported_at__gte=since, reported_at__lt=until)
            .exclude(state__in=hotspots.NOT_COUNTED)
            .values_list("grid_id")
            .annotate(n=Count("pk"))
            .order_by()
        )

    base, rows = best(baseline)
    print(f"baseline SQL count per grid, 30 days: {base * 1000:.0f} ms ({len(rows)} grids)")

    hotspots._layer_cache.clear()
    start = time.perf_counter()
    cold = hotspots.hotspot_grids(command, start=first, end=last)
    cold_s = time.perf_counter() - start
    rows_out = [
        ("Gi* district, 30 days, first call (weights built)", cold_s, cold),
    ]
    for label, fn in (
        ("Gi* district, 30 days", lambda: hotspots.hotspot_grids(command, start=first, end=last)),
        (
            "Gi* district, 30 days, class A",
            lambda: hotspots.hotspot_grids(command, start=first, end=last, class_prefix="A"),
        ),
        (
            "Gi* one street (desk), 30 days",
            lambda: hotspots.hotspot_grids(desk, start=first, end=last),
        ),
        ("heat raster district, 30 days", lambda: hotspots.heat(command, start=first, end=last)),
        ("repeat places district, 90 days", lambda: hotspots.repeat_places(command)),
        ("surge alerts district (7 days vs 8 + seasonal)", lambda: alerts.surge_alerts(command)),
        ("surge alerts one street (desk)", lambda: alerts.surge_alerts(desk)),
    ):
        seconds, result = best(fn)
        rows_out.append((label, seconds, result))
    client = Client()
    client.force_login(command)
    page_s, response = best(lambda: client.get("/console/hotspots/"))
    assert response.status_code == 200, response.status_code
    rows_out.append(("/console/hotspots/ page (command centre)", page_s, None))
    for label, seconds, result in rows_out:
        extra = ""
        if isinstance(result, hotspots.HotspotResult):
            extra = f" — {len(result.grids)} grids, {len(result.hot)} hot, {len(result.cold)} cold"
        elif isinstance(result, hotspots.Heat):
            extra = f" — {result.cols}×{result.rows} cells of {result.cell_m:.0f} m"
        elif isinstance(result, hotspots.RepeatResult):
            extra = f" — {len(result.places)} places"
        elif isinstance(result, alerts.AlertResult):
            extra = (
                f" — {result.tested} series, {len(result.alerts)} alerts, {result.years} year(s)"
            )
        print(f"{label}: {seconds * 1000:.0f} ms ({seconds / base:.1f}× baseline){extra}")


if __name__ == "__main__":
    main()
