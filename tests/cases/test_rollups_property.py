"""After any history made through the real services, the rollups equal a full recompute.

Random people take random actions (and the actions offered to them, to carry cases along the
loop): reports at points near and far from each other, registration, dispatch with
co-departments, sign-for, extensions, feedback, passed and failed checks, closes, call-backs,
reopens, self-closes, merges, a class changed by a workflow event, and the timer. After each
example the rollups kept event by event must equal a rebuild from the history
(`rollups.verify`), and `insight.totals` read from them must equal the full recompute for
random periods, scopes and groupings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

from onegrid.cases import history, rollups, services, workflow
from onegrid.cases.models import Case, CaseClass
from onegrid.core import clock
from onegrid.core.errors import DomainError
from onegrid.insight import totals
from support.cases import ACTING_PEOPLE, PERSON_ACTIONS, new_key, offered_actions, photo
from support.world import MONDAY_MORNING

FORWARD = [
    "register",
    "dispatch",
    "sign",
    "approve_extension",
    "feed_back",
    "pass_check",
    "close",
    "self_close",
    "revisit",
]
# Metres east of the world's point: within the recurrence radius (100 m) of it, and outside.
OFFSETS_M = [0, 40, 90, 160, 400]


@dataclass(frozen=True)
class _Beat:
    kind: str
    code: str
    pk: int | None
    grid_ids: tuple[int, ...]


def _scopes(world):
    from onegrid.insight.measures import Scope

    return [
        None,
        Scope("street", world.street.code, world.street.name, world.street.pk),
        Scope("street", world.other_street.code, world.other_street.name, world.other_street.pk),
        Scope("community", world.community.code, world.community.name, world.community.pk),
        Scope("grid", world.grids[0].code, world.grids[0].name, world.grids[0].pk),
        Scope("department", "city_management", "", None),
        Scope("department", "ecology", "", None),
        Scope("department", f"police_{world.street.code}", "", None),
        _Beat("beat", "B1", None, (world.grids[0].pk, world.grids[2].pk)),
    ]


def test_rollups_equal_a_full_recompute_after_random_histories(world):
    people = {name: getattr(world.people, name) for name in ACTING_PEOPLE}
    classes = [world.rubbish, world.building, world.manhole, world.fight]
    scopes = _scopes(world)
    lon0, lat0 = world.point
    seen: dict[str, int] = {}

    class History(RuleBasedStateMachine):
        cases = Bundle("cases")

        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            clock.set_now(MONDAY_MORNING)

        def teardown(self):
            try:
                self.check()
            finally:
                transaction.set_rollback(True)
                self.atomic.__exit__(None, None, None)

        @rule(
            target=cases,
            who=st.sampled_from(["worker", "worker2", "resident", "acceptor"]),
            case_class=st.sampled_from(classes),
            offset=st.sampled_from(OFFSETS_M),
            far=st.booleans(),
        )
        def report(self, who, case_class, offset, far):
            extra = {"photo_files": [photo()]} if who.startswith("worker") else {}
            if who == "acceptor":
                extra.update(source="hotline", reporter_phone="13900000000")
            lon, lat = world.far_point if far else (lon0 + offset / 86_000, lat0)
            outcome = services.report_case(
                actor=people[who],
                lon=lon,
                lat=lat,
                class_code=case_class.code,
                idempotency_key=new_key(),
                **extra,
            )
            clock.set_now(clock.now() + dt.timedelta(minutes=7))
            return outcome.case.pk

        @rule(
            case_id=cases,
            action=st.sampled_from(PERSON_ACTIONS),
            who=st.sampled_from(ACTING_PEOPLE),
            department=st.sampled_from(
                ["city_management", "ecology", "market", "police_120113001000", None]
            ),
            co=st.sampled_from([[], ["ecology"], ["market", "ecology"], ["police_120113001000"]]),
            satisfaction=st.sampled_from(["satisfied", "basically_satisfied", "unsatisfied"]),
            other=cases,
        )
        def act(self, case_id, action, who, department, co, satisfaction, other):
            target = Case.objects.get(pk=other).number
            self._try(
                people[who],
                case_id,
                action,
                {
                    "department": department,
                    "co_departments": co,
                    "hours": 8,
                    "result": "confirmed",
                    "satisfaction": satisfaction,
                    "target": target,
                },
            )

        @rule(case_id=cases, steps=st.integers(1, 10), pick=st.integers(0, 1000))
        def the_case_moves_along(self, case_id, steps, pick):
            for step in range(steps):
                offers = offered_actions(people, case_id)
                forward = [o for o in offers if o[1] in FORWARD]
                offers = sorted(
                    forward or offers, key=lambda o: FORWARD.index(o[1]) if o[1] in FORWARD else 99
                )
                if not offers:
                    return
                name, action = offers[(pick + step) % len(offers) if step % 3 == 2 else 0]
                co = ["ecology"] if (pick + step) % 4 == 0 else []
                self._try(
                    people[name],
                    case_id,
                    action,
                    {
                        "hours": 8,
                        "result": "confirmed",
                        "satisfaction": ["satisfied", "unsatisfied"][(pick + step) % 2],
                        "co_departments": co,
                    },
                )

        @rule(case_id=cases, case_class=st.sampled_from(classes))
        def the_class_is_corrected(self, case_id, case_class):
            # What a "reclassify" workflow row does: the effect changes the class, the engine
            # appends the event; the rollups move the case's contributions to the new class.
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                if case.case_class_id == case_class.pk:
                    return
                case.case_class = CaseClass.objects.get(pk=case_class.pk)
                history.append_event(
                    case=case,
                    action="reclassify",
                    from_state=case.state,
                    to_state=case.state,
                    actor=people["acceptor"],
                    actor_role="acceptor",
                    at=clock.now(),
                )
                case.save()
            seen["reclassify"] = seen.get("reclassify", 0) + 1

        @rule(hours=st.sampled_from([1, 5, 20, 100, 24 * 20]))
        def time_passes_and_the_timer_runs(self, hours):
            clock.set_now(clock.now() + dt.timedelta(hours=hours))
            services.tick()

        def _try(self, actor, case_id, action, params):
            transition = workflow.BY_ACTION[action]
            try:
                services.perform_action(
                    actor=actor,
                    case_id=case_id,
                    action=action,
                    reason="because",
                    params=params,
                    photo_files=[photo()] if transition.photo_kind else [],
                )
            except DomainError:
                return
            seen[action] = seen.get(action, 0) + 1
            clock.set_now(clock.now() + dt.timedelta(minutes=13))

        def check(self):
            differences = rollups.verify(limit=20)
            assert differences == [], "\n".join(map(str, differences))
            now = clock.now()
            today = now.astimezone(totals.TZ).date()

            def assert_the_same(start, end, scope, group_by):
                fast = totals.totals(start, end, scope=scope, group_by=group_by)
                slow = totals.recompute_totals(
                    totals.day_start(start),
                    totals.day_start(end),
                    as_of=now,
                    scope=scope,
                    group_by=group_by,
                )
                if group_by is None:
                    slow = slow or {None: totals.Counts()}
                assert fast == slow, (scope, group_by, start, end)

            for i, scope in enumerate(scopes):
                start = today - dt.timedelta(days=(i * 3) % 40)
                end = today + dt.timedelta(days=1 + (i * 5) % 9)
                group_by = [None, "grid", "department", "class", "day", "week", "month", "major"][
                    i % 8
                ]
                assert_the_same(start, end, scope, group_by)
            # Whole months (read from the month tables) with days at either end (from the
            # daily totals), for scopes and groupings each month table answers and does not.
            month = today.replace(day=1)
            before = (month - dt.timedelta(days=1)).replace(day=1)
            after = (month + dt.timedelta(days=32)).replace(day=1)
            for i, scope in enumerate(scopes):
                start = before if i % 2 else before + dt.timedelta(days=9)
                end = after if i % 3 else after + dt.timedelta(days=3)
                for group_by in (None, "street", "grid", "class", "department", "month"):
                    assert_the_same(start, end, scope, group_by)
            # A period ending before now: the same from rollups and recompute.
            assert_the_same(today - dt.timedelta(days=60), today, None, "street")

    run_state_machine_as_test(
        History,
        settings=settings(
            max_examples=25,
            derandomize=True,
            stateful_step_count=35,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The histories must reach the counters, or the equality proves little.
    for action in ("dispatch", "feed_back", "pass_check", "close", "revisit", "reclassify"):
        assert seen.get(action), (action, seen)
