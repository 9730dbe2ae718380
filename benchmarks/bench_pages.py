"""Pages: p50/p95 server time of each main page with a month of demo history, vs a bare page.

Loads `onegrid demo`'s default history (the Beichen district, 30 days at 60 reports a working
day, played through the real services by the simulator; cached under var/bench/, see
_setup.django_with_demo), then asks each page in-process through Django's test Client as a demo
person who has data on it. Server time is the time to produce the whole response: middleware,
session, queries, template rendering. Requests go round-robin over the pages, so every page is
timed over the same stretch of the run, and each page's p95 is printed as a ratio against the
bare page frame (web/base.html with the person's navigation, bench_urls.minimal_page) for the
same signed-in person in the same run. The target is p95 under 100 ms; nothing fails on it.

Environment: BENCH_PAGE_REQUESTS (60), BENCH_PAGE_WARMUP (5), BENCH_PROFILE=<page name or
"all"> prints a cProfile of that page, BENCH_REBUILD=1 rebuilds the cached demo database.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from _setup import django_with_demo, percentile

REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", 60))
WARMUP = int(os.environ.get("BENCH_PAGE_WARMUP", 5))
CAPTURED = 3  # requests whose queries are recorded (separately from the timed ones)
PROFILE = os.environ.get("BENCH_PROFILE", "")
TARGET_MS = 100.0
BASELINE = "/bench/page/"


@dataclass
class Page:
    name: str
    username: str
    url: str
    note: str = ""
    times: list[float] = field(default_factory=list)
    status: int = 0
    size: int = 0
    queries: int = 0
    repeats: int = 0  # the most times one query shape ran in one request: N+1 shows here
    error: str = ""

    def p(self, q: float) -> float:
        return percentile(self.times, q) * 1000


def subjects() -> tuple[list[Page], str]:
    """The pages to time, each for a demo person who has data on it; and a line on the data."""
    from django.db.models import Count, Q

    from onegrid.cases.models import Case, CaseEvent, Photo, Task
    from onegrid.cases.states import State
    from onegrid.demo.people import department_username, desk_username, grid_worker_username
    from onegrid.insight.periods import TZ
    from onegrid.org.models import Department
    from onegrid.territory.models import Address, AdminUnit, Grid

    # The grid whose worker has the most on-site tasks (verify, check) now, then most cases.
    on_site = Q(cases__state__in=(State.VERIFYING, State.CHECKING))
    grid = (
        Grid.objects.annotate(tasks=Count("cases", filter=on_site), n=Count("cases"))
        .order_by("-tasks", "-n", "code")
        .first()
    )
    street_counts = Counter(Case.objects.values_list("street_id", flat=True))
    street = AdminUnit.objects.get(pk=street_counts.most_common(1)[0][0])
    majors = Counter(
        Case.objects.filter(street=street).values_list("case_class__major__code", flat=True)
    )
    major = majors.most_common(1)[0][0]
    department = (
        Department.objects.select_related("street")
        .annotate(n=Count("tasks"))
        .order_by("-n", "code")
        .first()
    )
    case = (
        Case.objects.annotate(
            n_events=Count("events", distinct=True), n_photos=Count("photos", distinct=True)
        )
        .filter(n_photos__gte=2)
        .order_by("-n_events", "-n_photos", "number")
        .select_related("street")
        .first()
    )
    acceptor = desk_username("acc", street)
    acceptor_of_grid = desk_username("acc", grid.street)
    address = Address.objects.filter(grid=grid).order_by("code").first() or Address.objects.first()
    word = address.name[:3]
    # The measures pages read the month with the most history (the demo's month may straddle two).
    reported = Case.objects.values_list("reported_at", flat=True)
    months = Counter(f"{moment.astimezone(TZ):%Y-%m}" for moment in reported)
    month = months.most_common(1)[0][0]
    pages = [
        Page(
            "field app",
            grid_worker_username(grid.code),
            "/field/",
            f"on-site tasks: {grid.tasks}, cases in the grid: {grid.n}",
        ),
        Page("street console", acceptor, "/console/", f"{street.name}, incoming tab"),
        Page("street console, all", acceptor, "/console/?tab=all", "first 50 of all cases"),
        Page(
            "street console, filtered",
            acceptor,
            f"/console/?tab=all&class={major}&source=grid_worker",
            f"class {major}, source grid worker",
        ),
        Page("department inbox", department_username(department), "/inbox/", department.name),
        Page(
            "case page",
            desk_username("acc", case.street),
            f"/cases/{case.number}/",
            f"{case.n_events} events, {case.n_photos} photos",
        ),
        Page("measures", "leader", f"/console/measures/?month={month}", f"district, {month}"),
        Page(
            "measures, a street",
            acceptor,
            f"/console/measures/?month={month}",
            f"{street.name}, {month}",
        ),
        Page(
            "measures drill-down",
            "leader",
            f"/console/measures/cases/?key=closure_rate&part=denominator&month={month}",
            f"cases due in {month}, first 50",
        ),
        Page("big screen", "command", "/bigscreen/"),
        Page("bigscreen/data.json", "command", "/bigscreen/data.json"),
        Page("live map", "command", "/map/"),
        Page("map/live.json", "command", "/map/live.json"),
        Page("map/grids.json", "command", "/map/grids.json"),
        Page("map/grid/<code>.json", "command", f"/map/grid/{grid.code}.json", f"{grid.code}"),
        Page("grid teams", "command", "/console/teams/", "district, first 50 grids"),
        Page("grid teams, last page", "command", "/console/teams/?page=last"),
        Page("grid team", acceptor_of_grid, f"/console/teams/{grid.code}/", grid.code),
        Page("team vacancies", "command", "/console/teams/vacancies/", "whole district"),
        Page("addresses", "command", "/console/addresses/", "district, first 50"),
        Page("addresses, search", "command", f"/console/addresses/?q={word}", word),
        Page("address", "command", f"/console/addresses/{address.code}/", address.code),
        Page(
            "api/v1/addresses near",
            grid_worker_username(grid.code),
            f"/api/v1/addresses?near_lon={address.lon}&near_lat={address.lat}&limit=10",
            "10 nearest a point",
        ),
    ]
    data = (
        f"{Case.objects.count():,} cases, {Task.objects.count():,} tasks, "
        f"{CaseEvent.objects.count():,} events, {Photo.objects.count():,} photos; "
        f"street {street.name} ({street_counts[street.pk]} cases), "
        f"department {department.name} ({department.n} tasks)"
    )
    return pages, data


def query_shape(sql: str) -> str:
    """The query with its literals taken out, so the same query for another row compares equal."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"\((?:\?, )*\?\)", "(?...)", sql)


def fetch(client, url: str):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def main() -> None:
    began = time.perf_counter()
    var = django_with_demo(settings="bench_settings")
    loaded = time.perf_counter() - began
    try:
        failed = measure(loaded)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var, ignore_errors=True)
    if failed:
        sys.exit(1)


def measure(loaded: float) -> bool:
    """Time every page and print the table; True when a page did not answer 200."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import get_resolver

    from onegrid.org.models import User

    try:
        get_resolver().url_patterns  # noqa: B018 - a page still being written breaks the import
    except Exception as error:
        print(f"bench_pages: the URL configuration does not load: {error!r}", file=sys.stderr)
        return True
    pages, data = subjects()
    clients: dict[str, Client] = {}
    for username in dict.fromkeys(p.username for p in pages):
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=username))
        clients[username] = client
    baselines = {u: Page("bare page", u, BASELINE) for u in clients}
    everything = [*baselines.values(), *pages]

    for page in everything:  # warm up: imports, template loading, per-process caches
        for _ in range(WARMUP):
            page.status, body = fetch(clients[page.username], page.url)
            if page.status != 200:
                page.error = f"HTTP {page.status}"
                break
        page.size = len(body)
    live = [p for p in everything if not p.error]
    for _ in range(REQUESTS):
        for page in live:
            client = clients[page.username]
            started = time.perf_counter()
            fetch(client, page.url)
            page.times.append(time.perf_counter() - started)
    for page in live:
        counts = []
        for _ in range(CAPTURED):
            with CaptureQueriesContext(connection) as captured:
                fetch(clients[page.username], page.url)
            counts.append(len(captured))
        page.queries = round(statistics.median(counts))
        shapes = Counter(query_shape(q["sql"]) for q in captured.captured_queries)
        page.repeats = max(shapes.values(), default=0)

    db = connection.vendor
    print(
        f"pages ({db}, in-process Django test Client, {REQUESTS} requests each after "
        f"{WARMUP} warm-up, round-robin, {os.cpu_count()} CPUs; demo ready in {loaded:.0f} s)"
    )
    print(f"  data: {data}")
    header = (
        f"  {'page':<26} {'as':<22} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'same':>4} "
        f"{'KB':>6} {'p95/bare':>8}  target < {TARGET_MS:.0f} ms"
    )
    print(header)
    for page in everything:
        if page.error:
            print(f"  {page.name:<26} {page.username:<22} {page.error}: {page.url}")
            continue
        base = baselines[page.username]
        ratio = page.p(95) / base.p(95) if base.times else float("nan")
        verdict = "ok" if page.p(95) < TARGET_MS else "over"
        print(
            f"  {page.name:<26} {page.username:<22} {page.p(50):7.1f} {page.p(95):7.1f} "
            f"{page.queries:7d} {page.repeats:4d} {page.size / 1024:6.1f} {ratio:7.1f}x  "
            f"{verdict}" + (f"  ({page.note})" if page.note else "")
        )
    print(
        "  (queries: per request; same: the most times one query ran with other literals in "
        "one request, an N+1 when it grows with the rows shown)"
    )
    failed = [p for p in pages if p.error]
    if failed:
        print(f"  {len(failed)} page(s) did not answer 200 and were not timed")

    for page in live:
        if PROFILE and PROFILE in ("all", page.name):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(10):
                fetch(clients[page.username], page.url)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            print(f"\n--- profile of {page.name} ({page.url}), 10 requests ---")
            print(out.getvalue())
    return bool(failed)


if __name__ == "__main__":
    main()
