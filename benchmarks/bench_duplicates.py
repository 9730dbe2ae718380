"""Likely duplicates: precision and recall on the demo's month, and the cost of the checks.

1. The demo's own plan (`onegrid demo`: 30 days to today, 60 reports a working day, its seed)
   scored pair by pair as the live check would (smart.evaluation), at the threshold, with the
   earlier case's words and without them (the hint about cases the reporter may not see);
   against it, the rule the platform had before (same minor class within the radius).
2. On the demo's database: the field app's check (`smart.duplicates.check_report`, what
   POST /api/v1/smart/duplicates runs) at the points of real cases, and the desk's console page
   (`for_many` over 50 queued cases), each against a plain query of the same box in the same
   run (the candidates' rows alone, nothing scored).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time

from _setup import DEMO_SEED, django_with_demo, percentile

CHECKS = int(os.environ.get("BENCH_CHECKS", 300))


def timed(fn, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        began = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - began) * 1000)
    return out


def main() -> None:
    django_with_demo()
    from django.conf import settings
    from django.db.models import Q

    from onegrid.cases.facts import bounding_box
    from onegrid.cases.models import Case
    from onegrid.cases.states import OPEN_STATES
    from onegrid.demo.management.commands.duplicates import labelled
    from onegrid.demo.simulator import default_start, make_plan
    from onegrid.org.models import User
    from onegrid.smart import duplicates, evaluation

    radius = settings.ONEGRID["DUPLICATE_RADIUS_M"]
    window = dt.timedelta(days=settings.ONEGRID["DUPLICATE_WINDOW_DAYS"])
    cut = duplicates.threshold()

    # 1. precision and recall on the demo's plan
    plan = make_plan(30, DEMO_SEED, default_start(30), 60)
    items = labelled(plan)
    print(f"demo plan: {len(items)} reports, radius {radius:.0f} m, window {window.days} days")
    for label, read_text in (("with words", True), ("without (hint)", False)):
        pairs = evaluation.pairs(items, radius_m=radius, window=window, read_text=read_text)
        m = evaluation.measure(pairs, evaluation.model_scores(duplicates.MODEL, pairs), cut)
        print(
            f"  score >= {cut:.2f}, {label}: precision {m.precision:.3f}, recall {m.recall:.3f}, "
            f"F1 {m.f1:.3f} ({m.pairs} pairs, {m.positives} duplicates); best candidate right "
            f"for {m.top1}/{m.reports} ({m.top1_rate:.3f})"
        )
    pairs = evaluation.pairs(items, radius_m=radius, window=window)
    rule = evaluation.measure(pairs, [float(p.evidence.same_class) for p in pairs], 0.5)
    print(
        f"  before (same minor class within {radius:.0f} m): precision {rule.precision:.3f}, "
        f"recall {rule.recall:.3f}, F1 {rule.f1:.3f}"
    )

    # 2. the checks on the demo's database
    rng = random.Random(7)
    cases = list(
        Case.objects.select_related("case_class__major").order_by("reported_at")[: CHECKS * 3]
    )
    sample = rng.sample(cases, min(CHECKS, len(cases)))
    worker = User.objects.filter(username__startswith="gw-").order_by("username").first()
    resident = User.objects.get(username="resident1")
    now = max(c.reported_at for c in cases) + dt.timedelta(hours=1)

    def near(case, since):
        west, east, south, north = bounding_box(case.lon, case.lat, radius)
        return Q(
            lon__range=(west, east),
            lat__range=(south, north),
            case_class__major_id=case.case_class.major_id,
            reported_at__gte=since,
        )

    def box(case):
        return Case.objects.filter(near(case, now - window), state__in=OPEN_STATES)

    from onegrid.core import clock

    found = 0
    with clock.frozen_at(now):
        for who in (worker, resident):

            def check(i, who=who):
                nonlocal found
                c = sample[i]
                _r, hits = duplicates.check_report(
                    actor=who,
                    lon=c.lon + 1e-4,
                    lat=c.lat,
                    class_code=c.case_class.code,
                    text=c.description,
                )
                found += bool(hits)

            check(0)  # warm the caches (locator, catalogue)
            ms = timed(check, len(sample))
            base = timed(lambda i: list(box(sample[i])), len(sample))
            print(
                f"  check before sending ({who.username}): p50 {percentile(ms, 50):.1f} ms, "
                f"p95 {percentile(ms, 95):.1f} ms; plain box query p50 "
                f"{percentile(base, 50):.1f} ms ({percentile(ms, 50) / percentile(base, 50):.1f}×)"
            )
    print(f"  checks with at least one likely duplicate: {found} of {2 * len(sample)}")

    queue = list(
        Case.objects.filter(state__in=["reported", "verifying", "registered"])
        .select_related("case_class__major")
        .order_by("-reported_at")[:50]
    )
    desk = User.objects.filter(username__startswith="acc-").order_by("username").first()
    ms = timed(lambda i: duplicates.for_many(desk, queue, limit=1), 30)
    near_any = Q()
    for c in queue:
        near_any |= near(c, c.reported_at - window)
    base = timed(lambda i: list(Case.objects.filter(near_any, state__in=OPEN_STATES)), 30)
    print(
        f"  console page ({len(queue)} cases, {desk.username}): p50 {percentile(ms, 50):.1f} ms; "
        f"plain query of their boxes p50 {percentile(base, 50):.1f} ms "
        f"({percentile(ms, 50) / percentile(base, 50):.1f}×)"
    )


if __name__ == "__main__":
    main()
