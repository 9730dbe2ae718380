"""The roll of a topic's place: who counts for a community, a grid, a building; people or
households; only verified entries (roll_selectors)."""

from __future__ import annotations

from onegrid.deliberation import roll_selectors
from onegrid.deliberation.models import Topic, Voter
from support import deliberation_votes as dv


def test_place_person_and_household_counts(world):
    g0, g1, g_other = world.grids
    flat_a = dv.household(g0, "1号楼")
    flat_b = dv.household(g0, "1号楼")
    flat_c = dv.household(g0, "2号楼")
    flat_d = dv.household(g1, "1号楼")
    far = dv.household(g_other, "1号楼")
    a1 = dv.voter(flat_a)
    a2 = dv.voter(flat_a)  # the same household
    b = dv.voter(flat_b)
    c = dv.voter(flat_c)
    d = dv.voter(flat_d)
    dv.voter(far)  # another community
    dv.voter(dv.household(g0, "1号楼"), state=Voter.State.PENDING)
    dv.voter(dv.household(g0, "1号楼"), state=Voter.State.REMOVED)
    dv.voter(dv.household(g0, "1号楼"), state=Voter.State.REFUSED)

    community = dv.topic(g0, Topic.Scope.COMMUNITY)
    grid = dv.topic(g0, Topic.Scope.GRID)
    building = dv.topic(g0, Topic.Scope.BUILDING, building="1号楼")

    assert set(roll_selectors.voters_in_place(community)) == {a1, a2, b, c, d}
    assert set(roll_selectors.voters_in_place(grid)) == {a1, a2, b, c}
    assert set(roll_selectors.voters_in_place(building)) == {a1, a2, b}

    assert roll_selectors.electorate(community, "person") == 5
    assert roll_selectors.electorate(community, "household") == 4
    assert roll_selectors.electorate(grid, "person") == 4
    assert roll_selectors.electorate(grid, "household") == 3
    assert roll_selectors.electorate(building, "person") == 3
    assert roll_selectors.electorate(building, "household") == 2


def test_a_household_moved_to_another_grid_follows_its_address(world):
    g0, g1, _ = world.grids
    flat = dv.household(g0)
    v = dv.voter(flat)
    grid_topic = dv.topic(g0, Topic.Scope.GRID)
    assert roll_selectors.voter_for(v.user, grid_topic) == v
    flat.grid = g1  # the layer was redrawn: the address now lies in the other grid
    flat.save()
    assert roll_selectors.voter_for(v.user, grid_topic) is None
    assert roll_selectors.voter_for(v.user, dv.topic(g1, Topic.Scope.GRID)) == v


def test_voter_for(world):
    g0, _, g_other = world.grids
    here = dv.voter(dv.household(g0, "1号楼"))
    far = dv.voter(dv.household(g_other))
    pending = dv.voter(dv.household(g0, "1号楼"), state=Voter.State.PENDING)
    building = dv.topic(g0, Topic.Scope.BUILDING, building="1号楼")
    other_building = dv.topic(g0, Topic.Scope.BUILDING, building="9号楼")
    assert roll_selectors.voter_for(here.user, building) == here
    assert roll_selectors.voter_for(here.user, other_building) is None
    assert roll_selectors.voter_for(far.user, building) is None
    assert roll_selectors.voter_for(pending.user, building) is None
    assert roll_selectors.voter_for(world.people.acceptor, building) is None
    assert roll_selectors.voter_for(None, building) is None
