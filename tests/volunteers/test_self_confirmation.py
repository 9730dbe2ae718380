"""Nobody confirms their own service: an organiser who also volunteers does not confirm the
hours of their own sign-up, and a list keeper who is also a Party member (or a unit's
secretary) does not confirm their own claim — the confirmation is the community's check on
the claimant, and hours and claims earn points."""

from __future__ import annotations

import pytest

from onegrid.core import clock
from onegrid.core.errors import PermissionDenied
from onegrid.org import policies
from onegrid.org.models import Role, RoleAssignment
from onegrid.volunteers import activities, list_selectors, lists, points
from onegrid.volunteers.models import Claim, PointsRule, SignUp
from support.community_lists import build, new_key
from support.volunteering import END, START, make

pytestmark = pytest.mark.django_db


def test_an_organiser_does_not_confirm_the_hours_of_their_own_sign_up(world):
    PointsRule.objects.create(kind="hours", points=10, changed_at=clock.now())
    v = make(world)
    # The volunteer is also an organiser of the community (a resident helping out).
    RoleAssignment.objects.create(user=v.resident, role=Role.ORGANISER, unit=world.community)
    policies.forget(v.resident)
    activities.sign_up(actor=v.resident, activity_id=v.activity.pk, idempotency_key="s-1")
    lon, lat = v.activity.lon, v.activity.lat
    clock.set_now(START)
    activities.check_in(
        actor=v.resident, activity_id=v.activity.pk, lon=lon, lat=lat, idempotency_key="i"
    )
    clock.set_now(END)
    activities.check_out(
        actor=v.resident, activity_id=v.activity.pk, lon=lon, lat=lat, idempotency_key="o"
    )
    row = SignUp.objects.get()
    with pytest.raises(PermissionDenied):
        activities.confirm_hours(actor=v.resident, sign_up_id=row.pk)
    row.refresh_from_db()
    assert row.confirmed_at is None and points.balance(v.resident) == 0
    assert activities.confirm_hours(actor=v.organiser, sign_up_id=row.pk).confirmed_at


def test_a_keeper_does_not_confirm_their_own_members_claim(world):
    lw = build(world)
    PointsRule.objects.create(kind="claim", points=5, changed_at=clock.now())
    RoleAssignment.objects.create(user=lw.member_user, role=Role.PARTY_STAFF, unit=world.community)
    policies.forget(lw.member_user)
    c = lists.claim_item(
        actor=lw.member_user, item_id=lw.need.pk, idempotency_key=new_key(), member_id=lw.member.pk
    ).claim
    lists.record_service(actor=lw.member_user, claim_id=c.pk, note="送餐", hours="1")
    with pytest.raises(PermissionDenied):
        lists.confirm_service(actor=lw.member_user, claim_id=c.pk)
    assert Claim.objects.get(pk=c.pk).state == Claim.State.DONE
    assert points.balance(lw.member_user) == 0
    # Nor is the member offered the confirmation on the community page.
    shown = list_selectors.lists_of(world.community, user=lw.member_user, channel="page")
    assert not any(r.may_confirm for row in shown for r in row.claims)
    lists.confirm_service(actor=lw.staff, claim_id=c.pk)
    assert points.balance(lw.member_user) == 5


def test_a_secretary_who_keeps_the_lists_does_not_confirm_their_units_claim(world):
    lw = build(world)
    RoleAssignment.objects.create(user=lw.secretary, role=Role.ORGANISER, unit=world.community)
    policies.forget(lw.secretary)
    c = lists.claim_item(
        actor=lw.secretary,
        item_id=lw.need.pk,
        idempotency_key=new_key(),
        organisation_id=lw.unit_org.pk,
    ).claim
    lists.record_service(actor=lw.secretary, claim_id=c.pk, note="义诊", hours=3)
    with pytest.raises(PermissionDenied):
        lists.confirm_service(actor=lw.secretary, claim_id=c.pk)
    assert Claim.objects.get(pk=c.pk).state == Claim.State.DONE
