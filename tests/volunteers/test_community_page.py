"""The community page (/communities/<id>/) and its API (/api/v1/communities/<id>/…): every role
against every page and endpoint, what each sees masked, the forms, and odd input."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.org.models import PersonalDataRead, Role, RoleAssignment, User
from onegrid.volunteers import lists
from onegrid.volunteers.models import Claim, ListItem
from support.api import token_client
from support.community_lists import build, new_key

# Who opens the community page (org.policies.PAGE_ROLES["community"], may_open_community).
ALLOWED = {
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.POLICE_OFFICER,
    Role.BUILDING_HEAD,
    Role.PARTY_MEMBER,
    Role.VOLUNTEER,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.COMMAND_CENTRE,
    Role.LEADER,
    Role.PARTY_STAFF,
    Role.ORGANISER,
}
KEEPERS = {Role.PARTY_STAFF, Role.ORGANISER}


@pytest.fixture
def lw(world):
    return build(world)


def holder(world, role: str) -> User:
    """One person holding `role` where it reaches the world's first community."""
    user = User.objects.create_user(f"r_{role}", password=f"pw-r_{role}", display_name=role)
    where: dict[str, object]
    if role in (Role.GRID_WORKER, Role.GRID_HEAD, Role.POLICE_OFFICER, Role.BUILDING_HEAD):
        where = {"grid": world.grids[0]}
    elif role in (Role.ACCEPTOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.CALLBACK):
        where = {"unit": world.street}
    elif role in KEEPERS:
        where = {"unit": world.community}
    elif role == Role.DEPT_HANDLER:
        where = {"department": world.city_mgmt}
    else:
        where = {"unit": world.district}
    RoleAssignment.objects.create(user=user, role=role, **where)
    return user


def session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", Role.values)
def test_every_role_against_the_page(world, lw, role):
    response = session(holder(world, role)).get(f"/communities/{lw.community.pk}/")
    assert response.status_code == (200 if role in ALLOWED else 403), role


@pytest.mark.parametrize("role", Role.values)
def test_every_role_against_every_endpoint(world, lw, role):
    user = holder(world, role)
    client = session(user)
    base = f"/api/v1/communities/{lw.community.pk}"
    assert client.get(f"{base}/lists").status_code == (200 if role in ALLOWED else 403)
    assert client.get(f"{base}/partners").status_code == (200 if role in ALLOWED else 403)
    item = {"kind": "need", "title": "修路灯"}
    created = client.post(f"{base}/items", item, content_type="application/json")
    assert created.status_code == (201 if role in KEEPERS else 403), role
    patch = client.patch(
        f"{base}/items/{lw.need.pk}", {"state": "closed"}, content_type="application/json"
    )
    assert patch.status_code == (200 if role in KEEPERS else 403), role
    partner = {"name": f"公司{role}", "kind": "enterprise"}
    registered = client.post(f"{base}/partners", partner, content_type="application/json")
    assert registered.status_code == (201 if role in KEEPERS else 403), role
    claimed = client.post(
        f"{base}/items/{lw.project.pk}/claims",
        {"partner_id": lw.partner.pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=new_key(),
    )
    assert claimed.status_code == (201 if role in KEEPERS else 403), role


def test_staff_of_another_place_are_refused(world, lw):
    for user in (world.people.other_acceptor, world.people.far_worker, lw.other_staff):
        assert session(user).get(f"/communities/{lw.community.pk}/").status_code == 403
        lists_url = f"/api/v1/communities/{lw.community.pk}/lists"
        assert session(user).get(lists_url).status_code == 403


def test_no_such_community(world, lw):
    client = session(lw.staff)
    assert client.get(f"/communities/{lw.community.parent_id}/").status_code == 404
    assert client.get("/communities/99999999999999999999/").status_code == 404
    assert client.get("/api/v1/communities/99999999/lists").status_code == 404
    assert client.get("/api/v1/communities/99999999999999999999/lists").status_code == 422
    assert client.get("/api/v1/communities/0/lists").status_code == 422


def test_anonymous_is_sent_to_sign_in(lw):
    response = Client().get(f"/communities/{lw.community.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get(f"/api/v1/communities/{lw.community.pk}/lists").status_code == 401


# --- what each sees ------------------------------------------------------------------------


def _claimed_by_member(lw) -> Claim:
    return lists.claim_item(
        actor=lw.member_user, item_id=lw.need.pk, idempotency_key=new_key(), member_id=lw.member.pk
    ).claim


def test_a_volunteer_sees_the_lists_with_members_and_contacts_masked(lw):
    _claimed_by_member(lw)
    page = session(lw.volunteer).get(f"/communities/{lw.community.pk}/").content.decode()
    assert "孤寡老人助餐" in page and "某物业公司" in page and "某公司党支部" in page
    assert "李四" not in page and "李*" in page
    assert "13812345678" not in page and "138****5678" in page
    assert "张三" not in page
    assert 'id="add-item"' not in page
    assert not PersonalDataRead.objects.exists()


def test_party_staff_read_members_and_contacts_and_each_read_is_logged(lw):
    _claimed_by_member(lw)
    page = session(lw.staff).get(f"/communities/{lw.community.pk}/").content.decode()
    assert "李四" in page and "13812345678" in page and 'id="add-item"' in page
    kinds = set(PersonalDataRead.objects.filter(user=lw.staff).values_list("kind", flat=True))
    assert kinds == {"party_membership", "partner_contact"}
    member_reads = PersonalDataRead.objects.filter(kind="party_membership", user=lw.staff)
    assert str(lw.member.pk) in set(member_reads.values_list("subject_id", flat=True))


def test_an_organiser_keeps_the_lists_but_does_not_read_membership(lw):
    _claimed_by_member(lw)
    page = session(lw.organiser).get(f"/communities/{lw.community.pk}/").content.decode()
    assert "李四" not in page and "13812345678" in page
    assert not PersonalDataRead.objects.filter(kind="party_membership").exists()


def test_a_member_sees_their_own_claim_by_name_unlogged(lw):
    _claimed_by_member(lw)
    answer = session(lw.member_user).get(f"/api/v1/communities/{lw.community.pk}/lists").json()
    need = next(i for i in answer["items"] if i["id"] == lw.need.pk)
    assert need["claims"][0]["claimant"] == "李四" and need["claims"][0]["may_act"]
    assert {"field": "member", "id": lw.member.pk} == {
        k: answer["claim_as"][0][k] for k in ("field", "id")
    }
    assert not PersonalDataRead.objects.exists()


# --- the forms -----------------------------------------------------------------------------


def test_the_whole_loop_through_the_page(lw):
    base = f"/communities/{lw.community.pk}"
    staff, member = session(lw.staff), session(lw.member_user)
    added = staff.post(f"{base}/items/", {"kind": "project", "title": "健康讲座", "capacity": "2"})
    assert added.status_code == 302
    item = ListItem.objects.get(title="健康讲座")
    key = new_key()
    for _ in range(2):  # a double click claims once
        claimed = member.post(
            f"{base}/items/{item.pk}/claim/", {"claimant": f"member:{lw.member.pk}", "key": key}
        )
        assert claimed.status_code == 302
    claim = Claim.objects.get(item=item)
    recorded = member.post(f"{base}/claims/{claim.pk}/record/", {"note": "讲了一次", "hours": "3"})
    assert recorded.status_code == 302
    assert staff.post(f"{base}/claims/{claim.pk}/confirm/").status_code == 302
    assert Claim.objects.get(pk=claim.pk).state == "confirmed"
    # The member may not confirm, nor a volunteer add items.
    assert member.post(f"{base}/claims/{claim.pk}/confirm/").status_code == 403
    assert session(lw.volunteer).post(f"{base}/items/", {"title": "x"}).status_code == 403


@pytest.mark.parametrize(
    "form, field",
    [
        ({"kind": "need", "title": "", "capacity": "1"}, "title"),
        ({"kind": "need", "title": "x", "capacity": "٣"}, "capacity"),
        ({"kind": "need", "title": "x", "capacity": "99999999999999999999"}, "capacity"),
        ({"kind": "need", "title": "a\x00b", "capacity": "1"}, "form"),
        ({"kind": "wish", "title": "x", "capacity": "1"}, "kind"),
    ],
)
def test_odd_page_input_is_a_400_at_its_field(lw, form, field):
    response = session(lw.staff).post(f"/communities/{lw.community.pk}/items/", form)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode() or field == "form"
    assert not ListItem.objects.filter(title__in=["", "x"]).exists()


def test_a_bad_credit_code_on_the_page(lw):
    form = {"name": "某公司", "kind": "enterprise", "credit_code": "91350100M000100Y44"}
    response = session(lw.staff).post(f"/communities/{lw.community.pk}/partners/", form)
    assert response.status_code == 400
    assert 'id="credit-code-error"' in response.content.decode()


def test_odd_claim_forms(lw):
    base = f"/communities/{lw.community.pk}/items/{lw.need.pk}/claim/"
    member = session(lw.member_user)
    for claimant in ["", "member:", "member:١", "member:99999999999999999999", "user:1"]:
        response = member.post(base, {"claimant": claimant, "key": new_key()})
        assert response.status_code in (400, 403, 404), claimant
    assert not Claim.objects.exists()


# --- the API -------------------------------------------------------------------------------


def test_claim_replay_and_refusals_through_the_api(lw):
    client = token_client(lw.member_user)
    url = f"/api/v1/communities/{lw.community.pk}/items/{lw.resource.pk}/claims"
    body = {"member_id": lw.member.pk}
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] and again.json()["id"] == first.json()["id"]
    full = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert full.status_code == 409
    missing = client.post(url, body, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["field"] == "idempotency_key"
    other = f"/api/v1/communities/{lw.other_community.pk}/items/{lw.resource.pk}/claims"
    assert (
        token_client(lw.staff).post(other, body, content_type="application/json").status_code == 403
    )


@pytest.mark.parametrize(
    "body",
    [
        {"note": "x", "hours": -1},
        {"note": "x", "hours": 1e308},
        {"note": "x", "hours": "NaN"},
        {"note": "a\x00b", "hours": 1},
        {"note": "x" * 2001, "hours": 1},
        {"note": "x", "hours": 1, "done_at": "2026-03-10T09:00"},
        {"note": "x", "hours": 1, "done_at": "9999-12-31T00:00:00+08:00"},
        {"hours": 1},
    ],
)
def test_odd_service_records_are_4xx(lw, body):
    c = _claimed_by_member(lw)
    url = f"/api/v1/communities/{lw.community.pk}/claims/{c.pk}/record"
    response = session(lw.member_user).post(url, body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    assert Claim.objects.get(pk=c.pk).state == "claimed"


def test_a_claim_of_another_community_is_not_found(lw):
    c = _claimed_by_member(lw)
    client = session(lw.other_staff)
    url = f"/api/v1/communities/{lw.other_community.pk}/claims/{c.pk}/confirm"
    assert client.post(url).status_code == 404
