"""Separation of duties on one case (org.policies.EXCLUDED_AFTER): who handled a case for a
department does not check or close it, who passed its check does not close it, no one decides
their own extension request. Refused by the engine and never offered, the same way.

The people here hold roles on both axes at once, which the team policy no longer hands out
(org.policies.check_team_change) but which older assignments, or roles given outside the team
pages, can still produce: the case rule holds whatever roles a person has."""

from __future__ import annotations

import pytest

from onegrid.cases import selectors
from onegrid.core.errors import PermissionDenied
from onegrid.org.models import Role, RoleAssignment, User
from support.cases import act, drive, photo


def _person(username: str, *places) -> User:
    user = User.objects.create_user(username, password="pw-" + username, display_name=username)
    for role, where in places:
        RoleAssignment.objects.create(user=user, role=role, **where)
    return user


def _refused(case, who, action, **params):
    before = (case.state, case.events.count())
    with pytest.raises(PermissionDenied) as refused:
        act(case, who, action, **params)
    assert (refused.value.field, refused.value.code) == ("action", "separation_of_duties")
    case.refresh_from_db()
    assert (case.state, case.events.count()) == before


def _handled_by(world, who):
    """A rubbish case in grid 0 that `who` signed for and fed back on for city management."""
    case = drive(world, "dispatched")
    act(case, who, "sign")
    return act(case, who, "feed_back", reason="fixed", photos=[photo()])


@pytest.mark.parametrize("checker_role", [Role.GRID_WORKER, Role.GRID_HEAD])
def test_who_fed_back_may_not_check(world, checker_role):
    both = _person(
        "both",
        (Role.DEPT_HANDLER, {"department": world.city_mgmt}),
        (checker_role, {"grid": world.grids[0]}),
    )
    case = _handled_by(world, both)
    assert case.state == "checking"
    offered = selectors.allowed_actions(both, case)
    assert "pass_check" not in offered and "fail_check" not in offered
    _refused(case, both, "pass_check")
    _refused(case, both, "fail_check", reason="not done")
    # Someone who did not handle it checks it.
    assert "pass_check" in selectors.allowed_actions(world.people.worker, case)
    assert act(case, world.people.worker, "pass_check").state == "checked"


def test_who_only_signed_for_a_case_may_not_check_it_either(world):
    both = _person(
        "both",
        (Role.DEPT_HANDLER, {"department": world.city_mgmt}),
        (Role.GRID_WORKER, {"grid": world.grids[0]}),
    )
    case = drive(world, "dispatched")
    act(case, both, "sign")
    case = act(case, world.people.city_handler, "feed_back", reason="fixed", photos=[photo()])
    assert case.state == "checking"
    assert "pass_check" not in selectors.allowed_actions(both, case)
    _refused(case, both, "pass_check")


def test_who_passed_the_check_may_not_close(world):
    both = _person(
        "both",
        (Role.GRID_HEAD, {"grid": world.grids[0]}),
        (Role.SHIFT_LEAD, {"unit": world.street}),
    )
    case = drive(world, "checking")
    case = act(case, both, "pass_check")
    assert "close" not in selectors.allowed_actions(both, case)
    _refused(case, both, "close")
    assert act(case, world.people.acceptor, "close").state == "closed"


def test_no_one_approves_their_own_extension_request(world):
    both = _person(
        "both",
        (Role.DEPT_HANDLER, {"department": world.city_mgmt}),
        (Role.DISPATCHER, {"unit": world.street}),
    )
    case = drive(world, "dispatched")
    act(case, both, "sign")
    case = act(case, both, "request_extension", reason="parts on order", hours=8)
    offered = selectors.allowed_actions(both, case)
    assert "approve_extension" not in offered and "reject_extension" not in offered
    _refused(case, both, "approve_extension")
    _refused(case, both, "reject_extension", reason="no")
    assert "approve_extension" in selectors.allowed_actions(world.people.dispatcher, case)


def test_the_reporter_checks_the_repair_of_what_they_found(world):
    """Chosen: reporting is no share in the disposal being judged, and the grid worker who found
    the problem is the one who checks it on site."""
    case = drive(world, "checking")
    assert case.reporter == world.people.worker
    assert "pass_check" in selectors.allowed_actions(world.people.worker, case)
    assert act(case, world.people.worker, "pass_check").state == "checked"
