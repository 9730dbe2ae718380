"""Every transition of the workflow table, tried by every kind of person: exactly the roles the
table names may take it (over this case's place), everyone else is refused and nothing changes."""

from __future__ import annotations

import pytest

from onegrid.cases import workflow
from onegrid.cases.models import Case
from onegrid.core.errors import Conflict, NotFound, PermissionDenied
from support.cases import act, drive, photo, report
from support.world import EVERYONE

# Who may take each action on a rubbish case in grid 1 of street 1, handled by city management.
ALLOWED = {
    "self_close": {"worker"},
    "request_verification": {"acceptor", "shift_lead"},
    "verify": {"worker"},
    "register": {"acceptor", "shift_lead"},
    "reject": {"acceptor", "shift_lead"},
    "merge": {"acceptor", "shift_lead", "dispatcher"},
    "reclassify": {"acceptor", "shift_lead", "dispatcher"},
    "dispatch": {"dispatcher", "shift_lead", "command"},
    "arbitrate": {"command", "shift_lead"},
    "sign": {"city_handler"},
    "return": {"city_handler"},
    "request_extension": {"city_handler"},
    "approve_extension": {"dispatcher", "shift_lead", "command"},
    "reject_extension": {"dispatcher", "shift_lead", "command"},
    "feed_back": {"city_handler"},
    "fail_check": {"worker"},
    "pass_check": {"worker"},
    "close": {"acceptor", "shift_lead"},
    "revisit": {"callback", "acceptor", "shift_lead"},
    "reopen": {"callback", "shift_lead", "worker"},  # the worker reported it
    "urge": {"dispatcher", "shift_lead", "command"},
    "rate": {"worker"},  # the reporter
    # On a reported case: no department has a task on it yet.
    "comment": {"worker", "acceptor", "shift_lead", "callback", "dispatcher", "command"},
    "approve_photo": {"acceptor", "shift_lead", "command"},
    # 吹哨报到: the street's shift lead whistles for the market office, which reports in.
    "whistle": {"shift_lead"},
    "report_in": {"market_handler"},
    "rate_whistle": {"shift_lead"},
}


def case_ready_for(world, action) -> Case:
    p = world.people
    if action == "request_verification":
        return report(world, who=p.resident, photo_files=[])
    if action == "verify":
        case = report(world, who=p.resident, photo_files=[])
        return act(case, p.acceptor, "request_verification")
    if action == "arbitrate":
        return act(drive(world, "dispatched"), p.city_handler, "return", reason="not ours")
    if action in ("approve_extension", "reject_extension"):
        case = drive(world, "in_progress")
        return act(case, p.city_handler, "request_extension", reason="big", hours=8)
    if action in ("report_in", "rate_whistle"):
        case = act(
            drive(world, "in_progress"), p.shift_lead, "whistle", reason="r", departments=["market"]
        )
        if action == "report_in":
            return case
        case = act(case, p.market_handler, "report_in")
        return act(case, p.market_handler, "feed_back", reason="done")
    transition = workflow.BY_ACTION[action]
    order = ["reported", "registered", "dispatched", "in_progress", "checking", "checked", "closed"]
    return drive(world, next(s for s in order if s in transition.sources))


def test_the_table_covers_every_action_people_take():
    people_actions = {
        t.action for t in workflow.TABLE if t.action != "report" and t.roles != {workflow.SYSTEM}
    }
    assert people_actions == set(ALLOWED)


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_only_the_roles_in_the_table_may_act(world, action):
    transition = workflow.BY_ACTION[action]
    for name in EVERYONE:
        case = case_ready_for(world, action)
        before = (case.state, case.events.count())
        params = {
            "reason": "because",
            "hours": 8,
            "result": "confirmed",
            "satisfaction": "satisfied",
            "class_code": world.building.code,
            "departments": ["market"],
            "rating": "satisfied",
        }
        if action == "merge":
            params["target"] = drive(world, "registered").number
        if action == "approve_photo":
            params["photo"] = str(case.photos.get().pk)
        photos = [photo()] if transition.photo_kind else []
        try:
            act(case, getattr(world.people, name), action, photos=photos, **params)
        except (PermissionDenied, NotFound, Conflict) as refused:
            assert name not in ALLOWED[action], (action, name, refused.message)
            case.refresh_from_db()
            assert (case.state, case.events.count()) == before
        else:
            assert name in ALLOWED[action], (action, name)
            assert case.events.count() > before[1]
