"""The points-store counter: redeem, cancel, correct, the rules and the items."""

from __future__ import annotations

import pytest

from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.org.models import Role
from onegrid.volunteers import points
from onegrid.volunteers.models import PointsEntry, PointsRule, Redemption, StoreItem
from support.people import person
from support.points import new_key

pytestmark = pytest.mark.django_db


def test_a_redemption_spends_points_and_stock_once_per_key(store):
    key = new_key()
    first = points.redeem(
        clerk=store.clerk, user=store.volunteer, item=store.soap, quantity=2, key=key
    )
    again = points.redeem(
        clerk=store.clerk, user=store.volunteer, item=store.soap, quantity=2, key=key
    )
    assert not first.replayed and again.replayed and again.pk == first.pk
    assert first.points == 20 and first.served_by == store.clerk
    assert points.balance(store.volunteer) == 10
    store.soap.refresh_from_db()
    assert store.soap.stock == 1
    spent = PointsEntry.objects.get(kind=PointsEntry.Kind.REDEMPTION)
    assert spent.amount == -20 and spent.balance_after == 10 and spent.created_by == store.clerk


def test_a_used_key_with_another_request_is_a_conflict(store):
    key = new_key()
    points.redeem(clerk=store.clerk, user=store.volunteer, item=store.soap, key=key)
    with pytest.raises(Conflict) as refused:
        points.redeem(clerk=store.clerk, user=store.volunteer, item=store.soap, quantity=2, key=key)
    assert refused.value.field == "key" and refused.value.status == 409
    assert Redemption.objects.count() == 1


def test_refusals_name_the_field(store):
    with pytest.raises(InvalidInput) as short:
        points.redeem(
            clerk=store.clerk, user=store.volunteer, item=store.soap, quantity=4, key=new_key()
        )
    assert short.value.field == "quantity"
    points.redeem(clerk=store.clerk, user=store.volunteer, item=store.rice, key=new_key())
    with pytest.raises(InvalidInput) as poor:
        points.redeem(clerk=store.clerk, user=store.volunteer, item=store.soap, key=new_key())
    assert poor.value.field == "points"
    assert points.balance(store.volunteer) == 5
    assert Redemption.objects.count() == 1


@pytest.mark.parametrize("quantity", [0, -1, "1.5", "３", "", None, True, 10**20])
def test_odd_quantities_are_refused(store, quantity):
    with pytest.raises(InvalidInput) as refused:
        points.redeem(
            clerk=store.clerk,
            user=store.volunteer,
            item=store.soap,
            quantity=quantity,
            key=new_key(),
        )
    assert refused.value.field == "quantity"


@pytest.mark.parametrize(
    "key", ["", "short", "x" * 65, "bad key with spaces", "a\x00bcdefghi", None]
)
def test_odd_keys_are_refused(store, key):
    with pytest.raises(InvalidInput) as refused:
        points.redeem(clerk=store.clerk, user=store.volunteer, item=store.soap, key=key)
    assert refused.value.field == "key"


def test_only_organisers_over_the_store_serve_its_counter(store, world):
    for clerk in (store.street_clerk, world.people.acceptor, store.volunteer):
        with pytest.raises(PermissionDenied):
            points.redeem(clerk=clerk, user=store.volunteer, item=store.soap, key=new_key())
    street_organiser = person("street_org", Role.ORGANISER, unit=world.street)
    redemption = points.redeem(
        clerk=street_organiser, user=store.volunteer, item=store.soap, key=new_key()
    )
    assert redemption.served_by == street_organiser


def test_a_clerk_does_not_serve_their_own_redemption(store):
    points.award(user=store.clerk, rule="hours", source_key="own-hours", quantity=30)
    held = points.balance(store.clerk)
    with pytest.raises(PermissionDenied) as refused:
        points.redeem(clerk=store.clerk, user=store.clerk, item=store.soap, key=new_key())
    assert refused.value.field == "phone"
    assert points.balance(store.clerk) == held and not Redemption.objects.exists()


def test_an_item_off_sale_is_not_redeemed(store):
    points.restock(actor=store.clerk, item=store.soap, stock=3, active=False)
    with pytest.raises(InvalidInput) as refused:
        points.redeem(clerk=store.clerk, user=store.volunteer, item=store.soap, key=new_key())
    assert refused.value.field == "item"


def test_a_cancel_gives_points_and_stock_back_once(store):
    redemption = points.redeem(
        clerk=store.clerk, user=store.volunteer, item=store.soap, quantity=2, key=new_key()
    )
    points.cancel_redemption(clerk=store.clerk, redemption=redemption, reason="退货")
    again = points.cancel_redemption(clerk=store.clerk, redemption=redemption)
    assert again.state == Redemption.State.CANCELLED and again.cancelled_by == store.clerk
    assert points.balance(store.volunteer) == 30
    store.soap.refresh_from_db()
    assert store.soap.stock == 3
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.REVERSAL).count() == 1
    with pytest.raises(PermissionDenied):
        points.cancel_redemption(clerk=store.street_clerk, redemption=redemption)


def test_corrections_need_an_administrator_a_reason_and_keep_the_balance_at_0_or_more(store, world):
    admin = person("admin", Role.ADMIN, unit=world.district)
    with pytest.raises(PermissionDenied):
        points.adjust(actor=store.clerk, user=store.volunteer, amount=5, reason="x", key=new_key())
    with pytest.raises(InvalidInput) as no_reason:
        points.adjust(actor=admin, user=store.volunteer, amount=5, reason="  ", key=new_key())
    assert no_reason.value.field == "reason"
    with pytest.raises(InvalidInput) as too_much:
        points.adjust(actor=admin, user=store.volunteer, amount=-31, reason="录错", key=new_key())
    assert too_much.value.field == "amount"
    key = new_key()
    entry = points.adjust(actor=admin, user=store.volunteer, amount=-30, reason="录错", key=key)
    assert (
        points.adjust(actor=admin, user=store.volunteer, amount=-30, reason="录错", key=key)
        == entry
    )
    assert points.balance(store.volunteer) == 0 and entry.note == "录错"


def test_rules_are_set_by_the_district_and_kept_as_history(store, world):
    district_organiser = person("district_org", Role.ORGANISER, unit=world.district)
    with pytest.raises(PermissionDenied):
        points.set_rule(actor=store.clerk, kind="hours", points=3)
    new = points.set_rule(actor=district_organiser, kind="hours", points=3)
    assert PointsRule.objects.filter(kind="hours").count() == 2
    assert PointsRule.objects.get(kind="hours", active=True) == new
    entry = points.award(user=store.volunteer, rule="hours", source_key="hours:x", quantity=2)
    assert entry is not None and entry.amount == 6
    points.stop_rule(actor=district_organiser, kind="claim")
    assert points.award(user=store.volunteer, rule="claim", source_key="claim:x") is None
    with pytest.raises(InvalidInput):
        points.set_rule(actor=district_organiser, kind="nonsense", points=1)


def test_items_are_kept_by_the_store_s_organisers(store, world):
    item = points.add_item(
        actor=store.clerk, unit=world.community, name=" 毛巾 ", price="8", stock=5
    )
    assert item.name == "毛巾" and item.price == 8 and item.stock == 5
    with pytest.raises(PermissionDenied):
        points.add_item(actor=store.street_clerk, unit=world.community, name="x", price=1)
    with pytest.raises(InvalidInput) as free:
        points.add_item(actor=store.clerk, unit=world.community, name="x", price=0)
    assert free.value.field == "price"
    with pytest.raises(InvalidInput) as negative:
        points.restock(actor=store.clerk, item=item, stock=-1)
    assert negative.value.field == "stock"
    assert points.restock(actor=store.clerk, item=item, stock=9).stock == 9
    assert StoreItem.objects.get(pk=item.pk).stock == 9
