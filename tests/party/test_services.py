"""The tree's shape rules and the members' history, case by case, through party.services."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.org.models import Role, User
from onegrid.party import selectors, services
from onegrid.party.models import Membership, Organisation
from support.people import person
from support.world import MONDAY_MORNING

Kind = Organisation.Kind


def _create(actor, **kw):
    return services.create_organisation(actor=actor, name=kw.pop("name", "x"), **kw)


@pytest.mark.parametrize(
    "kind, where, parent, field",
    [
        (Kind.STREET_COMMITTEE, "community", "district", "unit"),
        (Kind.COMMUNITY_COMMITTEE, "community", "other_street", "parent"),
        (Kind.GRID_GROUP, "grid2", "community", "parent"),  # grid 2 lies in the other street
        (Kind.UNIT, "community", "grid_group", "parent"),
        (Kind.UNIT, "street", "district", "unit"),
        (Kind.DISTRICT_COMMITTEE, "district", None, "kind"),  # one per district
        (Kind.COMMUNITY_BRANCH, "community", "district", "parent"),
    ],
)
def test_shape_breaks_are_refused_naming_the_field(party, world, kind, where, parent, field):
    places = {
        "community": {"unit": world.community},
        "street": {"unit": world.street},
        "district": {"unit": world.district},
        "grid2": {"grid": world.grids[2]},
    }
    before = Organisation.objects.count()
    with pytest.raises((InvalidInput, Conflict)) as refused:
        _create(
            party.district_staff,
            code="NEW",
            kind=kind,
            parent=getattr(party, parent) if parent else None,
            unit_kind="organ" if kind == Kind.UNIT else "",
            **places[where],
        )
    assert refused.value.field == field
    assert Organisation.objects.count() == before


def test_a_grid_group_may_sit_under_its_grid_branch_and_a_branch_under_a_committee(party, world):
    branch = _create(
        party.street_staff,
        code="GB",
        kind=Kind.GRID_BRANCH,
        grid=world.grids[1],
        parent=party.community,
    )
    group = _create(
        party.street_staff, code="GG", kind=Kind.GRID_GROUP, grid=world.grids[1], parent=branch
    )
    assert group.unit == world.community
    with pytest.raises(InvalidInput):  # another grid's branch is no parent of this group
        services.move_organisation(
            actor=party.street_staff, organisation=party.grid_group, parent=branch
        )


def test_moves_never_make_a_cycle(party):
    with pytest.raises(InvalidInput) as refused:
        services.move_organisation(
            actor=party.district_staff, organisation=party.street, parent=party.community
        )
    assert refused.value.field == "parent"
    party.street.refresh_from_db()
    assert party.street.parent == party.district


def test_the_code_is_the_retry_key(party, world):
    again = _create(
        party.street_staff,
        code="U1",
        kind=Kind.UNIT,
        unit=world.community,
        parent=party.community,
        unit_kind="new_economic",
    )
    assert again == party.firm
    with pytest.raises(Conflict):
        _create(
            party.street_staff,
            code="U1",
            kind=Kind.GRID_GROUP,
            grid=world.grids[1],
            parent=party.community,
        )


def test_who_keeps_what(party, world):
    admin = person("adm", Role.ADMIN, unit=world.district)
    # Administrators keep the tree's shape, not its members.
    _create(
        admin, code="C9", kind=Kind.COMMUNITY_BRANCH, unit=world.community, parent=party.community
    )
    with pytest.raises(PermissionDenied):
        services.join(actor=admin, organisation=party.community, name="李四", category="retired")
    root = User.objects.create_superuser("root", password="pw")
    with pytest.raises(PermissionDenied):
        services.join(actor=root, organisation=party.community, name="李四", category="retired")
    # Party staff of another street keep neither.
    with pytest.raises(PermissionDenied):
        _create(
            party.other_staff,
            code="C8",
            kind=Kind.COMMUNITY_BRANCH,
            unit=world.community,
            parent=party.community,
        )
    with pytest.raises(PermissionDenied):
        services.leave(actor=party.other_staff, member=party.member)


def test_a_transfer_closes_and_opens_on_the_same_day_and_keeps_the_history(party):
    clock.set_now(MONDAY_MORNING + dt.timedelta(days=3))
    new = services.transfer(
        actor=party.street_staff, member=party.member, to=party.firm, reason="工作调动"
    )
    old = Membership.objects.get(member=party.member, organisation=party.grid_group)
    assert (old.end, old.ended_on) == (Membership.End.TRANSFERRED_OUT, new.started_on)
    assert new.start == Membership.Start.TRANSFERRED_IN
    party.member.refresh_from_db()
    assert party.member.organisation == party.firm
    assert [m.organisation for m in selectors.memberships_of(party.member)] == [
        party.grid_group,
        party.firm,
    ]
    with pytest.raises(InvalidInput):  # to where they are already
        services.transfer(actor=party.street_staff, member=party.member, to=party.firm, reason="x")


def test_dissolving_needs_no_members_and_no_live_children(party):
    with pytest.raises(InvalidInput):
        services.dissolve_organisation(actor=party.street_staff, organisation=party.grid_group)
    with pytest.raises(InvalidInput):
        services.dissolve_organisation(actor=party.street_staff, organisation=party.community)
    services.leave(actor=party.street_staff, member=party.member, end="died")
    services.dissolve_organisation(actor=party.street_staff, organisation=party.grid_group)
    with pytest.raises(InvalidInput):  # nobody joins or transfers into a dissolved one
        services.join(
            actor=party.street_staff, organisation=party.grid_group, name="李四", category="other"
        )


def test_retried_leave_replays_and_records_who_closed_it(party):
    first = services.leave(actor=party.street_staff, member=party.member, client_key="k1")
    again = services.leave(actor=party.street_staff, member=party.member, client_key="k1")
    assert first.pk == again.pk and first.ended_by == party.street_staff


def test_organisations_at_a_community_are_its_own(party, world):
    assert set(selectors.organisations_at(world.community)) == {
        party.community,
        party.grid_group,
        party.firm,
    }
