"""For every (state, person, row) of the workflow table: the row is offered to the person
(`selectors.allowed_actions`) exactly when the engine (`services.perform_action`) accepts it
with the input its form asks for. Both ask `cases.evaluator`; this test keeps them from drifting
apart again (a superuser without a desk role was offered Dispatch and then refused)."""

from __future__ import annotations

from django.db import transaction

from onegrid.cases import selectors, services, workflow
from onegrid.cases.access import LIVE_TASK_STATES
from onegrid.cases.models import Case
from onegrid.core.errors import DomainError
from onegrid.org.models import Role, RoleAssignment, User
from support.cases import act, drive, new_key, photo, report
from support.world import EVERYONE


class _Undo(Exception):
    """Raised inside a savepoint to undo an accepted action."""


def _cases(world, both: User) -> dict[str, Case]:
    """One case in each state the loop can reach, on more than one path where that matters."""
    p = world.people
    by_resident = report(world, who=p.resident, photo_files=[])
    verifying = act(
        report(world, who=p.resident, photo_files=[]), p.acceptor, "request_verification"
    )
    verified = act(
        act(report(world, who=p.resident, photo_files=[]), p.acceptor, "request_verification"),
        p.worker,
        "verify",
        result="confirmed",
    )
    joint = act(drive(world, "registered"), p.dispatcher, "dispatch", co_departments=["ecology"])
    act(joint, p.city_handler, "sign")
    act(joint, p.eco_handler, "sign")
    joint_half_fed_back = act(joint, p.city_handler, "feed_back", reason="ok", photos=[photo()])
    extension = act(
        drive(world, "in_progress"), p.city_handler, "request_extension", reason="r", hours=8
    )
    returned = act(drive(world, "dispatched"), p.city_handler, "return", reason="not ours")
    handled_by_both = drive(world, "dispatched")
    act(handled_by_both, both, "sign")
    handled_by_both = act(handled_by_both, both, "feed_back", reason="ok", photos=[photo()])
    merged = act(report(world), p.acceptor, "merge", target=drive(world, "registered").number)
    rated = act(
        drive(world, "closed"), p.worker, "rate", satisfaction="unsatisfied", reason="still there"
    )
    approved = report(world)
    approved = act(approved, p.acceptor, "approve_photo", photo=str(approved.photos.get().pk))
    # 吹哨报到: summoned; reported in; fed back and waiting for the street's rating; rated.
    summoned = act(
        drive(world, "in_progress"), p.shift_lead, "whistle", reason="r", departments=["market"]
    )
    reported_in = act(
        act(
            drive(world, "dispatched"), p.shift_lead, "whistle", reason="r", departments=["market"]
        ),
        p.market_handler,
        "report_in",
    )
    whistle_fed_back = act(
        act(summoned_case(world), p.market_handler, "report_in"),
        p.market_handler,
        "feed_back",
        reason="done",
    )
    whistle_rated = act(
        act(
            act(summoned_case(world), p.market_handler, "report_in"),
            p.market_handler,
            "feed_back",
            reason="done",
        ),
        p.shift_lead,
        "rate_whistle",
        rating="satisfied",
    )
    anonymous = services.report_anonymously(
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        description="rubbish by the gate",
        photo_files=[photo()],
        idempotency_key=new_key(),
    ).case
    return {
        "reported by the worker": report(world),
        "reported by a resident": by_resident,
        "hotline": report(world, who=p.acceptor, source="hotline", reporter_phone="13900000000"),
        "verifying": verifying,
        "verified": verified,
        "registered": drive(world, "registered"),
        "urgent, dispatched at once": act(
            report(world, case_class=world.manhole), p.acceptor, "register"
        ),
        "returned": returned,
        "dispatched": drive(world, "dispatched"),
        "joint, dispatched": act(
            drive(world, "registered"), p.dispatcher, "dispatch", co_departments=["market"]
        ),
        "in progress": drive(world, "in_progress"),
        "extension requested": extension,
        "joint, lead fed back": joint_half_fed_back,
        "checking": drive(world, "checking"),
        "checking, handled by a checker": handled_by_both,
        "checked": drive(world, "checked"),
        "closed": drive(world, "closed"),
        "self-closed": act(report(world), p.worker, "self_close", photos=[photo()]),
        "rejected": act(report(world), p.acceptor, "reject", reason="no"),
        "merged": merged,
        "police": drive(world, "dispatched", case_class=world.fight),
        "closed, rated unsatisfied": rated,
        "its photo approved": approved,
        "reported anonymously": anonymous,
        "whistled, summoned": summoned,
        "whistled, reported in": reported_in,
        "whistled, fed back": whistle_fed_back,
        "whistled, rated": whistle_rated,
    }


def summoned_case(world) -> Case:
    return act(
        drive(world, "in_progress"),
        world.people.shift_lead,
        "whistle",
        reason="needs the market office",
        departments=["market"],
    )


def _accepted(person: User, case: Case, transition, merge_target: Case | None = None) -> bool:
    """Whether the engine takes the row from `person`, given everything its form asks for."""
    params = {
        "hours": 8,
        "result": "confirmed",
        "satisfaction": "satisfied",
        "target": merge_target.number if merge_target else None,
        # A class none of the cases has (they are rubbish, manhole or fight cases).
        "class_code": "A0101",
        # approve_photo: a photo of the case no one approved yet (when it has one).
        "photo": next((str(p.pk) for p in case.photos.filter(approved_at=None)), None),
        # whistle: a department with no live task on the case.
        "departments": [
            next(
                d
                for d in ("ecology", "market", "city_management")
                if not case.tasks.filter(department__code=d, state__in=LIVE_TASK_STATES).exists()
            )
        ],
        "rating": "satisfied",
    }
    try:
        with transaction.atomic():
            services.perform_action(
                actor=person,
                case_id=case.pk,
                action=transition.action,
                reason="because",
                params=params,
                photo_files=[photo()] if transition.photo_kind else [],
                idempotency_key=new_key(),
            )
            raise _Undo
    except _Undo:
        return True
    except DomainError:
        return False


def test_offered_actions_are_exactly_what_the_engine_accepts(world):
    both = User.objects.create_user("both", password="pw-both")
    RoleAssignment.objects.create(user=both, role=Role.DEPT_HANDLER, department=world.city_mgmt)
    RoleAssignment.objects.create(user=both, role=Role.GRID_WORKER, grid=world.grids[0])
    root = User.objects.create_superuser("root", password="pw-root")
    people = {name: getattr(world.people, name) for name in EVERYONE} | {"both": both, "root": root}
    cases = _cases(world, both)
    merge_target = drive(world, "registered")
    assert {c.state for c in cases.values()} >= set(workflow.STATE_LABELS)
    mismatches = []
    taken = set()
    for label, case in cases.items():
        for name, person in people.items():
            offered = set(selectors.allowed_actions(person, Case.objects.get(pk=case.pk)))
            for transition in workflow.TABLE:
                if transition.action == "report":
                    continue
                # Rows of other states are refused by the state check the engine makes first
                # (tests/cases/test_workflow_roles.py tries those); asking saves minutes here.
                accepted = case.state in transition.sources and _accepted(
                    person, case, transition, merge_target
                )
                if accepted != (transition.action in offered):
                    mismatches.append((label, name, transition.action, accepted))
                if accepted:
                    taken.add(transition.action)
    assert not mismatches
    # The comparison covered every action a person can take.
    assert taken == {t.action for t in workflow.TABLE if workflow.SYSTEM not in t.roles} - {
        "report"
    } | {"dispatch"}


def test_a_superuser_without_a_desk_role_takes_no_case_action(world):
    """Decided in org.policies: a superuser holds the administrator role, which no row names."""
    root = User.objects.create_superuser("root", password="pw-root")
    case = drive(world, "registered")
    assert selectors.allowed_actions(root, case) == []
    assert not _accepted(root, case, workflow.BY_ACTION["dispatch"])
    # With a desk role of its own it dispatches like any dispatcher.
    RoleAssignment.objects.create(user=root, role=Role.DISPATCHER, unit=world.street)
    root = User.objects.get(pk=root.pk)
    assert "dispatch" in selectors.allowed_actions(root, case)
    assert _accepted(root, case, workflow.BY_ACTION["dispatch"])
