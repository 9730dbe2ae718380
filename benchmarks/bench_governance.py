"""The measures of 自治 and 法治 (insight.governance) district-wide: queries and time.

Builds the Beichen district (24 streets, ~250 communities, ~1,300 grids) in a throw-away SQLite
database (or DATABASE_URL), writes a year of rows directly with the models — sized as a
district might have them: BENCH_GOV_DISPUTES disputes (3,000), a screening for every grid and
month (~15,600), 600 risks with a follow-up each, 400 topics with 5 co-signatures each, a
ballot, a decision and a project with 3 milestones for half of them — and reads the whole
district's tables for the year, then for one month, as a district leader: the number of
queries (which must not grow with the number of streets) and the time of each read.

Not part of `make bench`; run `python benchmarks/bench_governance.py`.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal

from _setup import django_with_district

DISPUTES = int(os.environ.get("BENCH_GOV_DISPUTES", 3000))
RUNS = int(os.environ.get("BENCH_GOV_RUNS", 5))
TZ = dt.timezone(dt.timedelta(hours=8))
YEAR = 2026


def main() -> None:
    django_with_district()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from onegrid.core import clock
    from onegrid.deliberation.models import (
        Ballot,
        CoSignature,
        Decision,
        Milestone,
        Project,
        Proposal,
        Topic,
        Voter,
    )
    from onegrid.insight import governance, periods
    from onegrid.mediation.models import Dispute, MediationType, Risk, RiskFollowUp, Screening
    from onegrid.org.models import Role, User
    from onegrid.org.policies import reader_holding
    from onegrid.territory.models import Address, AdminUnit, Grid

    rng = random.Random(13)
    clock.set_now(dt.datetime(YEAR + 1, 1, 10, 9, 0, tzinfo=TZ))
    grids = list(Grid.objects.select_related("community"))
    for g in grids:
        g.population = rng.randint(800, 4000)
    Grid.objects.bulk_update(grids, ["population"])
    kinds = [
        MediationType.objects.get_or_create(code=f"B{i}", name=f"类型{i}")[0] for i in range(6)
    ]
    owner = User.objects.create_user("bench_owner", password="x")

    def moment() -> dt.datetime:
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
        return dt.datetime(day.year, day.month, day.day, rng.randrange(8, 20), tzinfo=TZ)

    disputes = []
    for i in range(DISPUTES):
        g = rng.choice(grids)
        registered = moment()
        outcome = registered + dt.timedelta(days=rng.randrange(1, 40))
        state = rng.choice(["agreed", "failed", "closed", "mediating"])
        disputes.append(
            Dispute(
                number=f"TJ-B{i}",
                type=rng.choice(kinds),
                title="t",
                facts="f",
                source="walk_in",
                grid=g,
                community=g.community,
                street_id=g.street_id,
                state=state,
                registered_at=registered,
                accepted_at=registered,
                due_on=(registered + dt.timedelta(days=30)).date(),
                outcome_at=None if state == "mediating" else outcome,
                failure_reason="x" if state == "failed" else "",
            )
        )
    Dispute.objects.bulk_create(disputes, batch_size=1000)
    Screening.objects.bulk_create(
        [
            Screening(
                grid=g,
                month=dt.date(YEAR, m, 1),
                screened_at=dt.datetime(YEAR, m, 20, tzinfo=TZ),
                disputes_found=rng.randrange(3),
                risk_level="low",
                stable=rng.random() > 0.05,
            )
            for g in grids
            for m in range(1, 13)
            if rng.random() > 0.03
        ],
        batch_size=2000,
    )
    risks = []
    for i in range(600):
        g = rng.choice(grids)
        raised = moment()
        risks.append(
            Risk(
                number=f"FX-B{i}",
                title="r",
                description="d",
                level=rng.choice(["low", "medium", "high"]),
                grid=g,
                community=g.community,
                street_id=g.street_id,
                state="open",
                owner=owner,
                raised_at=raised,
                escalated_at=raised if rng.random() < 0.1 else None,
            )
        )
    Risk.objects.bulk_create(risks)
    RiskFollowUp.objects.bulk_create(
        [
            RiskFollowUp(
                risk=r,
                at=r.raised_at + dt.timedelta(days=5),
                note="n",
                level_before=r.level,
                level_after="low",
            )
            for r in Risk.objects.all()
        ]
    )
    communities = list(AdminUnit.objects.filter(level="community"))
    voters = []
    for i in range(2000):
        g = rng.choice(grids)
        user = User(username=f"bench_voter{i}")
        user.set_unusable_password()
        voters.append((user, g))
    User.objects.bulk_create([u for u, _g in voters])
    addresses = Address.objects.bulk_create(
        [
            Address(code=f"BA{i}", name="户", lon=g.label_lon, lat=g.label_lat, grid=g)
            for i, (_u, g) in enumerate(voters)
        ]
    )
    roll = Voter.objects.bulk_create(
        [
            Voter(
                user=u,
                household=a,
                community_id=g.community_id,
                state="verified",
                applied_at=dt.datetime(YEAR, 1, 1, tzinfo=TZ),
            )
            for (u, g), a in zip(voters, addresses, strict=True)
        ]
    )
    for i in range(400):
        community = rng.choice(communities)
        raised = moment()
        topic = Topic.objects.create(
            number=f"YS-B{i}",
            title="t",
            body="b",
            scope="community",
            community=community,
            state=rng.choice(["decided", "collecting", "voting", "rejected", "lapsed"]),
            raised_at=raised,
        )
        CoSignature.objects.bulk_create(
            [
                CoSignature(topic=topic, voter=v, signed_at=raised + dt.timedelta(hours=1))
                for v in rng.sample(roll, 5)
            ]
        )
        if i % 2:
            continue
        proposal = Proposal.objects.create(topic=topic, title="p", body="b", proposed_at=raised)
        closed = raised + dt.timedelta(days=10)
        ballot = Ballot.objects.create(
            topic=topic,
            proposal=proposal,
            mode=rng.choice(["online", "meeting"]),
            counting="person",
            electorate=200,
            opens_at=raised,
            closes_at=closed,
            state="closed",
            turnout=rng.randrange(50, 200),
            closed_at=closed,
        )
        decision = Decision.objects.create(
            number=f"JY-B{i}",
            topic=topic,
            ballot=ballot,
            text="d",
            state=rng.choice(["published", "carried_out"]),
            published_at=closed,
        )
        project = Project.objects.create(
            decision=decision, title="p", budget=Decimal(1000), state="underway", created_at=closed
        )
        Milestone.objects.bulk_create(
            [
                Milestone(
                    project=project,
                    title="m",
                    due_on=(closed + dt.timedelta(days=10 * k)).date(),
                    done_at=closed + dt.timedelta(days=10 * k - rng.randrange(-3, 3)),
                )
                for k in range(1, 4)
            ]
        )
    district = AdminUnit.objects.get(level="district")
    leader = reader_holding([(Role.LEADER, district)], username="bench_leader")
    for label, period in (
        ("year", periods.year(YEAR)),
        ("month", periods.month(YEAR, 6)),
    ):
        scope = governance.resolve_scope(leader, kind="district")
        slow: list[tuple[float, str]] = []

        def timed(execute, sql, params, many, context, slow=slow):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                slow.append(((time.perf_counter() - started) * 1000, sql))

        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
            table = governance.governance(leader, period=period, scope=scope)
        times = []
        for _run in range(RUNS):
            started = time.perf_counter()
            governance.governance(leader, period=period, scope=scope)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"district, {label}: {len(table.rows) - 1} streets, {len(captured)} queries, "
            f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms "
            f"({connection.vendor}, {DISPUTES} disputes)"
        )
        for ms, sql in sorted(slow, reverse=True)[:3]:
            print(f"    {ms:6.0f} ms  {sql[:150]}")


if __name__ == "__main__":
    main()
