"""No sequence of creations, moves, dissolutions, joins, transfers and leaves through the services
breaks the tree or the members' history."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from onegrid.core import clock
from onegrid.core.errors import DomainError
from onegrid.party import services
from onegrid.party.models import Member, Membership, Organisation
from support.world import MONDAY_MORNING

Kind = Organisation.Kind
LEVEL_OF = {
    Kind.DISTRICT_COMMITTEE: "district",
    Kind.STREET_COMMITTEE: "street",
    Kind.COMMUNITY_COMMITTEE: "community",
    Kind.COMMUNITY_BRANCH: "community",
    Kind.GRID_BRANCH: "community",
    Kind.GRID_GROUP: "community",
    Kind.UNIT: "community",
}


def _consistent(o: Organisation) -> bool:
    """The place rules, restated independently of services._check_shape."""
    unit, parent = o.unit, o.parent
    if unit.level != LEVEL_OF[o.kind]:
        return False
    if (o.grid_id is not None) != (o.kind in (Kind.GRID_BRANCH, Kind.GRID_GROUP)):
        return False
    if o.grid_id is not None and o.grid.community_id != unit.pk:
        return False
    if o.kind == Kind.DISTRICT_COMMITTEE:
        return parent is None
    if parent is None:
        return False
    ancestors_units = {unit.pk, unit.parent_id}
    street = unit.parent
    if street is not None:
        ancestors_units.add(street.parent_id)
    # A parent stands on the same place or above it, never elsewhere on the territory.
    return parent.unit_id in ancestors_units


def test_no_sequence_breaks_the_tree_or_the_history(party, world):
    actor = party.district_staff
    places = [world.district, world.street, world.other_street, world.community]
    grids = world.grids[:2]

    class Tree(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            clock.set_now(MONDAY_MORNING)
            self.day = 0
            self.history: dict[int, list[tuple]] = {}
            self.serial = 0

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _orgs(self):
            return list(Organisation.objects.order_by("pk"))

        def _members(self):
            return list(Member.objects.order_by("pk"))

        @rule(
            kind=st.sampled_from(Kind.values),
            place=st.integers(0, 3),
            grid=st.integers(0, 2),
            parent=st.integers(0, 30),
        )
        def create(self, kind, place, grid, parent):
            orgs = self._orgs()
            self.serial += 1
            with contextlib.suppress(DomainError):
                services.create_organisation(
                    actor=actor,
                    code=f"X{self.serial}",
                    name=f"组织{self.serial}",
                    kind=kind,
                    unit=places[place] if grid == 2 else None,
                    grid=grids[grid] if grid < 2 else None,
                    parent=orgs[parent % len(orgs)] if parent < 25 else None,
                    unit_kind="enterprise" if kind == Kind.UNIT else "",
                )

        @rule(org=st.integers(0, 30), parent=st.integers(0, 30))
        def move(self, org, parent):
            orgs = self._orgs()
            with contextlib.suppress(DomainError):
                services.move_organisation(
                    actor=actor,
                    organisation=orgs[org % len(orgs)],
                    parent=orgs[parent % len(orgs)] if parent < 28 else None,
                )

        @rule(org=st.integers(0, 30))
        def dissolve(self, org):
            orgs = self._orgs()
            with contextlib.suppress(DomainError):
                services.dissolve_organisation(actor=actor, organisation=orgs[org % len(orgs)])

        @rule(org=st.integers(0, 30))
        def join(self, org):
            orgs = self._orgs()
            with contextlib.suppress(DomainError):
                services.join(
                    actor=actor,
                    organisation=orgs[org % len(orgs)],
                    name="某某",
                    category="retired",
                )

        @rule(member=st.integers(0, 30), to=st.integers(0, 30), later=st.booleans())
        def transfer(self, member, to, later):
            self._pass_days(later)
            members, orgs = self._members(), self._orgs()
            with contextlib.suppress(DomainError):
                services.transfer(
                    actor=actor,
                    member=members[member % len(members)],
                    to=orgs[to % len(orgs)],
                    reason="工作调动",
                )

        @rule(member=st.integers(0, 30), died=st.booleans())
        def leave(self, member, died):
            members = self._members()
            with contextlib.suppress(DomainError):
                services.leave(
                    actor=actor,
                    member=members[member % len(members)],
                    end="died" if died else "left",
                )

        def _pass_days(self, later):
            if later:
                self.day += 1
                clock.set_now(MONDAY_MORNING + dt.timedelta(days=self.day))

        @invariant()
        def every_organisation_stands_in_one_place_under_a_fitting_parent(self):
            for o in Organisation.objects.select_related("unit__parent", "parent", "grid"):
                assert _consistent(o), (o.code, o.kind, o.unit.level, o.parent_id)
                seen = {o.pk}
                up = o.parent
                while up is not None:
                    assert up.pk not in seen, f"cycle at {o.code}"
                    seen.add(up.pk)
                    up = up.parent
                if o.dissolved_at is not None:
                    assert not o.memberships.filter(ended_on__isnull=True).exists()
                    assert not o.children.filter(dissolved_at__isnull=True).exists()

        @invariant()
        def memberships_chain_and_history_never_shrinks(self):
            for member in Member.objects.all():
                stays = list(member.memberships.order_by("started_on", "id"))
                assert sum(s.ended_on is None for s in stays) <= 1
                for earlier, later in zip(stays, stays[1:], strict=False):
                    # Only the last may be open; each transfer's out-date is the next in-date.
                    assert earlier.ended_on is not None
                    assert earlier.end == Membership.End.TRANSFERRED_OUT
                    assert later.start == Membership.Start.TRANSFERRED_IN
                    assert earlier.ended_on == later.started_on
                open_stay = next((s for s in stays if s.ended_on is None), None)
                assert member.organisation_id == (open_stay.organisation_id if open_stay else None)
                rows = [(s.pk, s.organisation_id, s.started_on, s.start) for s in stays]
                before = self.history.get(member.pk, [])
                # What was recorded stays recorded, unchanged (only an end is ever added).
                assert rows[: len(before)] == before
                self.history[member.pk] = rows

    run_state_machine_as_test(
        Tree,
        settings=settings(
            max_examples=25,
            derandomize=True,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
