"""The points pages: every role against every page and form, the counter's flow (find by
phone, redeem once per form, cancel), the items and stock, "my points"."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from onegrid.org.models import PersonalDataRead, Role
from onegrid.volunteers import points
from onegrid.volunteers.models import PointsEntry, Redemption, StoreItem
from support.points import POINTS_HOLDERS, holder, new_key

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_page(store, world, role):
    client = _client(holder(world, role))
    mine = client.get("/field/points/").status_code
    assert mine == (200 if role in POINTS_HOLDERS else 403)
    counter = [
        client.get(url).status_code
        for url in ("/volunteers/counter/", "/volunteers/counter/items/")
    ]
    assert counter == ([200, 200] if role == Role.ORGANISER else [403, 403])


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_form(store, world, role):
    client = _client(holder(world, role))
    answers = [
        client.post("/volunteers/counter/", {"phone": "13900001111"}).status_code,
        client.post(
            "/volunteers/counter/redeem/",
            {"phone": "13900001111", "item": store.soap.pk, "quantity": "1", "key": new_key()},
        ).status_code,
        client.post(
            "/volunteers/counter/items/", {"unit": world.community.pk, "name": "毛巾", "price": "5"}
        ).status_code,
        client.post(
            f"/volunteers/counter/items/{store.soap.pk}/", {"stock": "9", "active": "on"}
        ).status_code,
    ]
    if role == Role.ORGANISER:
        assert answers == [200, 302, 302, 302]
        assert Redemption.objects.count() == 1 and StoreItem.objects.filter(name="毛巾").exists()
        assert StoreItem.objects.get(pk=store.soap.pk).stock == 9
    else:
        assert answers == [403, 403, 403, 403]
        assert (
            Redemption.objects.count() == 0 and not StoreItem.objects.filter(name="毛巾").exists()
        )
        assert StoreItem.objects.get(pk=store.soap.pk).stock == 3


def _form_key(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)


def test_the_counter_finds_a_person_masked_and_logs_the_read(store):
    page = _client(store.clerk).post("/volunteers/counter/", {"phone": "139-0000-1111"})
    text = page.content.decode()
    assert "王志愿" in text and "139****1111" in text and 'data-balance="30"' in text
    assert "13900001111" not in text.replace('value="139-0000-1111"', "")
    read = PersonalDataRead.objects.get(kind=PersonalDataRead.Kind.VOLUNTEER)
    assert read.user == store.clerk and read.channel == "page"


def test_a_form_submitted_twice_redeems_once(store):
    client = _client(store.clerk)
    found = client.post("/volunteers/counter/", {"phone": "13900001111"}).content.decode()
    form = {"phone": "13900001111", "item": store.soap.pk, "quantity": "2", "key": _form_key(found)}
    first = client.post("/volunteers/counter/redeem/", form)
    second = client.post("/volunteers/counter/redeem/", form)
    assert first.status_code == second.status_code == 302
    assert Redemption.objects.count() == 1
    assert points.balance(store.volunteer) == 10
    listed = client.get("/volunteers/counter/").content.decode()
    assert "王*" in listed and "王志愿" not in listed


def test_a_refused_redemption_names_the_field_and_changes_nothing(store):
    client = _client(store.clerk)
    form = {"phone": "13900001111", "item": store.rice.pk, "quantity": "2", "key": new_key()}
    answer = client.post("/volunteers/counter/redeem/", form)
    assert answer.status_code == 400
    assert 'data-error-for="quantity"' in answer.content.decode()
    assert Redemption.objects.count() == 0 and PointsEntry.objects.count() == 1


def test_a_cancel_at_the_counter_gives_points_back(store):
    redemption = points.redeem(
        clerk=store.clerk, user=store.volunteer, item=store.soap, key=new_key()
    )
    answer = _client(store.clerk).post(
        f"/volunteers/counter/redemptions/{redemption.pk}/cancel/", {"reason": "退货"}
    )
    assert answer.status_code == 302
    assert points.balance(store.volunteer) == 30
    assert (
        _client(store.street_clerk)
        .post(f"/volunteers/counter/redemptions/{redemption.pk}/cancel/")
        .status_code
        == 404
    )


def test_my_points_show_the_balance_entries_and_my_store(store):
    points.redeem(clerk=store.clerk, user=store.volunteer, item=store.soap, key=new_key())
    page = _client(store.volunteer).get("/field/points/").content.decode()
    assert 'data-balance="20"' in page
    assert 'data-amount="-10"' in page and 'data-amount="30"' in page
    assert "洗衣液" in page and "大米" in page


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"unit": "x", "name": "a", "price": "1"}, "unit"),
        ({"name": "", "price": "1"}, "name"),
        ({"name": "a", "price": "0"}, "price"),
        ({"name": "a", "price": "９"}, "price"),
        ({"name": "a", "price": "1", "stock": "-1"}, "stock"),
        ({"name": "a\x00b", "price": "1"}, "name"),
        ({"name": "a" * 101, "price": "1"}, "name"),
    ],
)
def test_hostile_items_are_refused_naming_the_field(store, world, form, field):
    answer = _client(store.clerk).post(
        "/volunteers/counter/items/", {"unit": world.community.pk, **form}
    )
    assert answer.status_code == 400
    assert f'data-error-for="{field}"' in answer.content.decode()
    assert StoreItem.objects.count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "/volunteers/counter/items/abc/",
        "/volunteers/counter/items/0/",
        f"/volunteers/counter/items/{2**70}/",
    ],
)
def test_odd_item_ids_are_refused(store, url):
    assert _client(store.clerk).post(url, {"stock": "1"}).status_code in (400, 404)
