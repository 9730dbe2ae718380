"""Nobody names themselves secretary of a Party organisation: a unit's secretary reports the
unit in (双报到), claims for it and records its service, so an administrator (who keeps the
tree's shape) or Party staff naming their own account would give themselves those powers."""

from __future__ import annotations

import pytest

from onegrid.core.errors import PermissionDenied
from onegrid.org.models import Role
from onegrid.party import services
from onegrid.party.models import Organisation
from support.people import person

pytestmark = pytest.mark.django_db


def test_an_administrator_does_not_name_themselves_secretary(party, world):
    admin = person("admin_x", Role.ADMIN, unit=world.district)
    with pytest.raises(PermissionDenied) as refused:
        services.set_secretary(actor=admin, organisation=party.grid_group, secretary=admin)
    assert refused.value.field == "secretary"
    assert Organisation.objects.get(pk=party.grid_group.pk).secretary_id is None


def test_party_staff_do_not_name_themselves_but_name_others(party, world):
    staff = party.street_staff
    with pytest.raises(PermissionDenied):
        services.set_secretary(actor=staff, organisation=party.grid_group, secretary=staff)
    head = person("head", Role.GRID_HEAD, grid=world.grids[0])
    named = services.set_secretary(actor=staff, organisation=party.grid_group, secretary=head)
    assert named.secretary == head
    # Taking a secretary away is no self-appointment.
    assert (
        services.set_secretary(actor=staff, organisation=party.grid_group, secretary=None).secretary
        is None
    )
