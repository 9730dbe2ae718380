"""The points API: every role against every endpoint, the counter's idempotent redemption,
the logged look-up by phone, and hostile input."""

from __future__ import annotations

import pytest

from onegrid.org.models import PersonalDataRead, Role
from onegrid.volunteers import points
from onegrid.volunteers.models import PointsEntry, PointsRule, Redemption
from support.api import token_client
from support.points import POINTS_HOLDERS, holder, new_key

pytestmark = pytest.mark.django_db
BASE = "/api/v1/points"


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_read_endpoint(store, world, role):
    client = token_client(holder(world, role))
    mine = [client.get(f"{BASE}/me").status_code, client.get(f"{BASE}/items").status_code]
    assert mine == ([200, 200] if role in POINTS_HOLDERS else [403, 403])
    counter = [
        client.get(f"{BASE}/counter/items").status_code,
        client.get(f"{BASE}/counter/holder", {"phone": "13900001111"}).status_code,
    ]
    assert counter == ([200, 200] if role == Role.ORGANISER else [403, 403])


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_write_endpoint(store, world, role):
    client = token_client(holder(world, role))
    body = {"phone": "13900001111", "item": store.soap.pk, "quantity": 1, "key": new_key()}
    made = client.post(f"{BASE}/counter/redemptions", body, content_type="application/json")
    done = Redemption.objects.first()
    if role == Role.ORGANISER:  # bound to the district: every store's counter
        assert made.status_code == 201
        cancel = client.post(
            f"{BASE}/counter/redemptions/{done.pk}/cancel", {}, content_type="application/json"
        )
        assert cancel.status_code == 200 and cancel.json()["state"] == "cancelled"
    else:
        assert made.status_code == 403 and done is None
        redemption = points.redeem(
            clerk=store.clerk, user=store.volunteer, item=store.soap, key=new_key()
        )
        cancel = client.post(
            f"{BASE}/counter/redemptions/{redemption.pk}/cancel",
            {},
            content_type="application/json",
        )
        assert cancel.status_code == 403
        assert Redemption.objects.get(pk=redemption.pk).state == "done"


def test_my_points_show_my_balance_and_entries_and_my_store(store):
    answer = token_client(store.volunteer).get(f"{BASE}/me").json()
    assert answer["balance"] == 30
    assert [e["amount"] for e in answer["entries"]] == [30]
    items = token_client(store.volunteer).get(f"{BASE}/items").json()
    assert {i["name"] for i in items} == {"洗衣液", "大米"}


def test_a_double_submit_redeems_once(store):
    client = token_client(store.clerk)
    body = {"phone": "139 0000 1111", "item": store.soap.pk, "quantity": 2, "key": new_key()}
    first = client.post(f"{BASE}/counter/redemptions", body, content_type="application/json")
    second = client.post(f"{BASE}/counter/redemptions", body, content_type="application/json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["balance"] == 10 and second.json()["stock"] == 1
    assert Redemption.objects.count() == 1
    other = {**body, "quantity": 1}
    conflict = client.post(f"{BASE}/counter/redemptions", other, content_type="application/json")
    assert conflict.status_code == 409 and conflict.json()["field"] == "key"


def test_the_counter_look_up_masks_the_phone_and_logs_the_read(store):
    answer = token_client(store.clerk).get(f"{BASE}/counter/holder", {"phone": "13900001111"})
    assert answer.json() == {"name": "王志愿", "phone": "139****1111", "balance": 30}
    read = PersonalDataRead.objects.get(kind=PersonalDataRead.Kind.VOLUNTEER)
    assert read.subject_id == str(store.volunteer.pk) and read.user == store.clerk
    assert "13900001111" not in read.path


def test_a_clerk_of_another_street_does_not_see_this_store(store):
    client = token_client(store.street_clerk)
    assert client.get(f"{BASE}/counter/items").json() == []
    body = {"phone": "13900001111", "item": store.soap.pk, "key": new_key()}
    made = client.post(f"{BASE}/counter/redemptions", body, content_type="application/json")
    assert made.status_code == 404 and made.json()["field"] == "item"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345", "item": 1, "key": "k" * 10}, "phone"),
        ({"phone": "１３９００００１１１１", "item": 0, "key": "k" * 10}, "item"),
        ({"phone": "13900001111", "item": 2**70, "key": "k" * 10}, "item"),
        ({"phone": "13900001111", "item": "x", "key": "k" * 10}, "item"),
        ({"phone": "13900001111", "item": None, "key": "k" * 10}, "item"),
        ({"phone": "13900001111", "quantity": 10**6, "key": "k" * 10}, "quantity"),
        ({"phone": "13900001111", "quantity": -1, "key": "k" * 10}, "quantity"),
        ({"phone": "13900001111", "key": "bad key!"}, "key"),
        ({"phone": "13900001111", "key": "k" * 65}, "key"),
        ({"phone": "139\x0000001111", "key": "k" * 10}, "phone"),
        ({"phone": "١٣٩٠٠٠٠١١١١", "key": "k" * 10}, "phone"),
        ({"phone": "13999999999", "key": "k" * 10}, "phone"),
    ],
)
def test_hostile_redemptions_are_refused_naming_the_field(store, body, field):
    body = {"item": store.soap.pk, **body}
    client = token_client(store.clerk)
    answer = client.post(f"{BASE}/counter/redemptions", body, content_type="application/json")
    assert 400 <= answer.status_code < 500, answer.content
    assert answer.json()["field"] == field
    assert Redemption.objects.count() == 0
    assert PointsEntry.objects.filter(kind="redemption").count() == 0


@pytest.mark.parametrize("rid", ["0", "-1", "abc", str(2**70), "1e3"])
def test_odd_redemption_ids_are_not_found(store, rid):
    answer = token_client(store.clerk).post(
        f"{BASE}/counter/redemptions/{rid}/cancel", {}, content_type="application/json"
    )
    assert answer.status_code == 404


RULE_SETTERS = {Role.ADMIN, Role.ORGANISER, Role.PARTY_STAFF}  # bound to the district here


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_the_rules(store, world, role):
    client = token_client(holder(world, role))
    listed = client.get(f"{BASE}/rules")
    assert listed.status_code == 200
    assert {r["kind"]: r["points"] for r in listed.json()} == {"hours": 1, "report": 5, "claim": 10}
    put = client.put(f"{BASE}/rules/hours", {"points": 2}, content_type="application/json")
    stop = client.delete(f"{BASE}/rules/claim")
    active = dict(PointsRule.objects.filter(active=True).values_list("kind", "points"))
    if role in RULE_SETTERS:
        assert (put.status_code, stop.status_code) == (200, 204)
        assert active == {"hours": 2, "report": 5}
    else:
        assert (put.status_code, stop.status_code) == (403, 403)
        assert active == {"hours": 1, "report": 5, "claim": 10}


def test_a_rule_cannot_be_set_for_an_unknown_kind_or_a_negative_value(store, world):
    client = token_client(holder(world, Role.ADMIN))
    unknown = client.put(f"{BASE}/rules/bogus", {"points": 1}, content_type="application/json")
    assert unknown.status_code == 422 and unknown.json()["field"] == "kind"
    negative = client.put(f"{BASE}/rules/hours", {"points": -1}, content_type="application/json")
    assert negative.status_code == 422 and negative.json()["field"] == "points"
    assert PointsRule.objects.filter(kind="hours").count() == 1
