"""The demo's grid teams: deterministic, mostly staffed, with a realistic minority of vacancies."""

from __future__ import annotations

from onegrid.demo.people import seed_people, seed_teams
from onegrid.org import selectors
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import Grid


def test_demo_teams_are_mostly_staffed_but_not_all(beichen, db):
    seed_people("pw-teams")
    grids = Grid.objects.count()
    s = selectors.vacancies(None).summary
    assert s.grids == grids > 1000
    assert s.missing_core == 0  # every grid has its full-time grid worker
    helper_places = 3 * grids
    # Most helper places are filled, but not all: the report has something to show.
    assert 0.03 * helper_places < s.missing_helpers < 0.12 * helper_places
    assert 0 < s.grids_missing_helpers < 0.3 * grids
    assert s.fully_staffed == grids - s.grids_missing_helpers
    # One community police officer serves several grids of one community.
    officers = {}
    for user_id, grid_id in RoleAssignment.objects.filter(role=Role.POLICE_OFFICER).values_list(
        "user_id", "grid_id"
    ):
        officers.setdefault(user_id, set()).add(grid_id)
    assert max(len(g) for g in officers.values()) > 1
    communities = dict(Grid.objects.values_list("id", "community_id"))
    assert all(len({communities[g] for g in served}) == 1 for served in officers.values())
    # Volunteers and Party members on many grids; none of these people can sign in.
    assert RoleAssignment.objects.filter(role=Role.VOLUNTEER).count() > grids
    assert RoleAssignment.objects.filter(role=Role.PARTY_MEMBER).count() > grids // 2
    head = User.objects.get(username=f"gh-{Grid.objects.order_by('code').first().code}")
    assert head.phone and not head.has_usable_password()


def test_demo_teams_are_deterministic_and_idempotent(beichen, db):
    seed_people("pw-teams")
    before = sorted(
        RoleAssignment.objects.filter(role__in=[Role.GRID_HEAD, Role.POLICE_OFFICER]).values_list(
            "user__username", "user__display_name", "role", "grid__code"
        )
    )
    assert seed_teams() == 0  # nothing missing, nothing made
    RoleAssignment.objects.filter(user__username__startswith="gh-").delete()
    User.objects.filter(username__startswith="gh-").delete()
    assert seed_teams() > 0  # made again, the same people in the same places
    after = sorted(
        RoleAssignment.objects.filter(role__in=[Role.GRID_HEAD, Role.POLICE_OFFICER]).values_list(
            "user__username", "user__display_name", "role", "grid__code"
        )
    )
    assert after == before
