"""吹哨报到 under any sequence of actions: whistles with any list, report-ins, feedback, ratings,
the timer and every other offered action, on cases already with a department (where the street
whistles). The invariants of the whole loop are in test_workflow_properties.py; these are the
summonses' own, and the rollups still equal a fold of the history."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from onegrid.cases import rollups, services, workflow
from onegrid.cases.access import LIVE_TASK_STATES
from onegrid.cases.history import replay_states
from onegrid.cases.models import Case, Task
from onegrid.cases.whistles import RATABLE_STATES
from onegrid.core import clock
from onegrid.core.errors import DomainError
from support.cases import ACTING_PEOPLE, act, drive, offered_actions, photo
from support.world import MONDAY_MORNING

LISTS = [["market"], ["ecology"], ["ecology", "market"], [], ["market", "market"], ["nowhere"], "x"]


def test_whistle_rows_keep_their_invariants(world):
    people = {name: getattr(world.people, name) for name in ACTING_PEOPLE}

    class Whistles(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            clock.set_now(MONDAY_MORNING)
            self.cases: list = []

        def teardown(self):
            differences = rollups.verify(limit=20)
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
            assert differences == [], "\n".join(map(str, differences))

        @initialize()
        def cases_with_a_department(self):
            self.cases = [drive(world, "dispatched").pk, drive(world, "in_progress").pk]
            joint = act(
                drive(world, "registered"),
                people["dispatcher"],
                "dispatch",
                co_departments=["ecology"],
            )
            self.cases.append(joint.pk)

        @rule(which=st.integers(0, 2), summoned=st.sampled_from(LISTS))
        def the_street_whistles(self, which, summoned):
            case_id = self.cases[which]
            before = Task.objects.filter(case=case_id).count()
            try:
                services.perform_action(
                    actor=people["shift_lead"],
                    case_id=case_id,
                    action="whistle",
                    reason="needs more than the street",
                    params={"departments": summoned},
                )
            except DomainError as error:
                if Case.objects.get(pk=case_id).state in workflow.WHISTLE_STATES:
                    assert error.field == "departments", (summoned, error.message)
                assert Task.objects.filter(case=case_id).count() == before
            else:
                assert Task.objects.filter(case=case_id).count() == before + len(summoned)

        @rule(which=st.integers(0, 2), pick=st.integers(0, 10_000), forward=st.booleans())
        def someone_takes_an_offered_action(self, which, pick, forward):
            case_id = self.cases[which]
            offers = offered_actions(people, case_id)
            if forward:  # the summonses' own rows first, then the main path
                order = ["report_in", "sign", "feed_back", "rate_whistle", "pass_check", "close"]
                offers = [o for o in offers if o[1] in order] or offers
                offers.sort(key=lambda o: order.index(o[1]) if o[1] in order else 99)
                pick = 0
            if not offers:
                return
            name, action = offers[pick % len(offers)]
            transition = workflow.BY_ACTION[action]
            try:
                services.perform_action(
                    actor=people[name],
                    case_id=case_id,
                    action=action,
                    reason="on the spot",
                    params={
                        "hours": 8,
                        "result": "confirmed",
                        "satisfaction": "satisfied",
                        "rating": ["satisfied", "unsatisfied", "basically_satisfied"][pick % 3],
                        "departments": ["market"],
                        # rate_whistle: the first summons waiting for the street's rating.
                        "task": next(
                            (
                                str(t.pk)
                                for t in Task.objects.filter(
                                    case=case_id,
                                    role=Task.Role.WHISTLE,
                                    state__in=RATABLE_STATES,
                                    rated_at=None,
                                )
                            ),
                            None,
                        ),
                    },
                    photo_files=[photo()] if transition.photo_kind else [],
                )
            except DomainError as error:
                assert error.field in transition.params, (action, error.field, error.message)
            taken.update(Case.objects.get(pk=case_id).events.values_list("action", flat=True))

        @rule(hours=st.sampled_from([1, 3, 9]))
        def time_passes_and_the_timer_runs(self, hours):
            clock.set_now(clock.now() + dt.timedelta(hours=hours))
            services.tick()
            services.tick()
            for case_id in self.cases:
                taken.update(Case.objects.get(pk=case_id).events.values_list("action", flat=True))

        @invariant()
        def summonses_agree_with_their_history(self):
            for case in Case.objects.all():
                events = list(case.events.order_by("seq"))
                assert replay_states(events)[-1] == case.state
            for task in Task.objects.filter(role=Task.Role.WHISTLE):
                events = list(task.events.values_list("action", flat=True))
                assert events.count("report_in") == (task.reported_in_at is not None)
                if task.reported_in_at is not None:
                    assert task.reported_in_on_time == (
                        task.reported_in_at <= task.report_in_due_at
                    )
                assert events.count("report_in_late") == task.report_in_overdue
                if task.report_in_overdue:
                    assert task.reported_in_on_time is not True
                assert events.count("rate_whistle") == (task.rated_at is not None)
                assert task.state != Task.State.RETURNED  # a summoned department never returns
            live = list(
                Task.objects.filter(state__in=LIVE_TASK_STATES).values_list(
                    "case_id", "department_id"
                )
            )
            assert len(live) == len(set(live))  # one live task per department and case

    taken: set[str] = set()
    run_state_machine_as_test(
        Whistles,
        settings=settings(
            max_examples=15,
            derandomize=True,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The street's rating is checked by the invariant whenever it happens; this exploration does
    # not reach it (tests/cases/test_whistle.py takes it on purpose).
    assert {"whistle", "report_in", "report_in_late"} <= taken, taken
