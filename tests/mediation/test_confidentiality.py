"""Who reads a dispute's content, role by role, on the page, the API and the admin: the content
(facts, claims, parties, sessions) never reaches anyone org.policies.may_read_dispute does not
allow, and each authorised read is one PersonalDataRead row (MEDIATION) per request."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.org.models import PersonalDataRead, Role, User
from support.api import token_client
from support.mediation_world import FACTS, mediating
from support.people import person

# Who, and what they get: "content" (200 with the file), "line" (200, the register line
# only), 403 (not their page), 404 (not on their register).
EXPECTED = {
    "mediator": "content",
    "mediator2": "content",
    "judicial": "content",
    "district_judicial": "content",
    # The community's committee took it: the street's mediators do not read it.
    "street_mediator": 404,
    "other_mediator": 404,
    "other_judicial": 404,
    "acceptor": "line",
    "dispatcher": "line",
    "other_acceptor": 404,
    "superuser": 404,
    "admin": 403,
    "leader": 403,
    "command": 403,
    "worker": 403,
    "resident": 403,
    "city_handler": 403,
}


def _who(world, med, name: str) -> User:
    if name == "superuser":
        return User.objects.create_superuser("root", password="pw-root")
    return getattr(med, name, None) or getattr(world.people, name)


def _reads() -> int:
    return PersonalDataRead.objects.filter(kind=PersonalDataRead.Kind.MEDIATION).count()


def _assert_no_content(body: str) -> None:
    for secret in (FACTS, "张三", "李四", "13900001111", "双方陈述", "赔偿维修费"):
        assert secret not in body


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dispute_page_per_role(world, med, name):
    dispute = mediating(world, med)
    user = _who(world, med, name)
    client = Client()
    client.force_login(user)
    before = _reads()
    response = client.get(f"/mediation/disputes/{dispute.pk}/")
    body = response.content.decode()
    expected = EXPECTED[name]
    if expected == "content":
        assert response.status_code == 200
        assert FACTS in body and "张三" in body and "双方陈述" in body
        assert _reads() == before + 3  # the dispute and its two parties, one insert
        row = PersonalDataRead.objects.filter(subject_id=f"dispute:{dispute.pk}").latest("pk")
        assert row.user == user and row.channel == "page" and "facts" in row.fields
    else:
        _assert_no_content(body)
        assert _reads() == before
        if expected == "line":
            assert response.status_code == 200 and dispute.number in body
            assert 'id="content-withheld"' in body
        else:
            assert response.status_code == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dispute_endpoint_per_role(world, med, name):
    dispute = mediating(world, med)
    user = _who(world, med, name)
    before = _reads()
    response = token_client(user).get(f"/api/v1/mediation/disputes/{dispute.pk}")
    body = response.content.decode()
    expected = EXPECTED[name]
    if expected == "content":
        assert response.status_code == 200
        data = response.json()
        assert data["content"] is True and data["facts"] == FACTS
        assert [p["name"] for p in data["parties"]] == ["张三", "李四"]
        assert _reads() == before + 3
        assert PersonalDataRead.objects.latest("pk").channel == "api"
    else:
        _assert_no_content(body)
        assert _reads() == before
        if expected == "line":
            assert response.status_code == 200
            data = response.json()
            assert data["content"] is False and data["number"] == dispute.number
            assert data["parties"] == [] and data["facts"] == ""
        else:
            assert response.status_code == expected


@pytest.mark.parametrize("name", ["mediator", "judicial", "acceptor", "superuser", "leader"])
def test_register_list_shows_no_content_to_anyone(world, med, name):
    dispute = mediating(world, med)
    user = _who(world, med, name)
    client = Client()
    client.force_login(user)
    before = _reads()
    page = client.get("/mediation/")
    api = token_client(user).get("/api/v1/mediation/disputes")
    for response in (page, api):
        _assert_no_content(response.content.decode())
    assert _reads() == before
    if EXPECTED[name] in ("content", "line"):
        assert dispute.number in page.content.decode()
        assert [d["number"] for d in api.json()] == [dispute.number]
    elif name == "superuser":
        assert page.status_code == 200 and dispute.number not in page.content.decode()
    else:
        assert page.status_code == 403 and api.status_code == 403


def test_before_acceptance_the_street_mediators_read_it_too(world, med):
    from support.mediation_world import walk_in

    dispute = walk_in(world, med)
    response = token_client(med.street_mediator).get(f"/api/v1/mediation/disputes/{dispute.pk}")
    assert response.json()["content"] is True
    response = token_client(med.other_mediator).get(f"/api/v1/mediation/disputes/{dispute.pk}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "status", "content"),
    [
        ("superuser", 403, False),
        ("admin_staff", 403, False),
        ("mediator", 200, True),
        ("other_mediator", 404, False),
    ],
)
def test_admin_shows_content_only_to_readers(world, med, name, status, content):
    dispute = mediating(world, med)
    if name == "admin_staff":
        user = person("admin_staff", Role.ADMIN, unit=world.district)
    elif name == "superuser":
        user = _who(world, med, "superuser")
    else:
        user = getattr(med, name)
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    before = _reads()
    response = client.get(f"/admin/mediation/dispute/{dispute.pk}/change/")
    body = response.content.decode()
    if content:
        assert response.status_code == 200 and FACTS in body and "张三" in body
        assert _reads() == before + 1
    else:
        # The admin answers a page it does not open with a redirect or a refusal.
        assert response.status_code in (302, 403, 404)
        _assert_no_content(body)
        assert _reads() == before
    listing = client.get("/admin/mediation/dispute/")
    _assert_no_content(listing.content.decode())


def test_the_applicant_follows_the_state_only(world, med):
    from onegrid.mediation import services
    from support.mediation_world import PARTIES

    resident = world.people.resident
    dispute = services.apply_as_resident(
        by=resident,
        community=world.community,
        type="family",
        title="赡养纠纷",
        facts="子女不履行赡养义务",
        parties=PARTIES,
        idempotency_key="apply-1",
    )
    services.accept(by=med.mediator, dispute=dispute)
    client = Client()
    client.force_login(resident)
    page = client.get("/resident/mediation/")
    assert page.status_code == 200
    body = page.content.decode()
    assert dispute.number in body and "已受理" in body or "Accepted" in body
    api = token_client(resident).get("/api/v1/mediation/applications")
    assert [a["state"] for a in api.json()] == ["accepted"]
    assert "facts" not in api.json()[0]
    assert client.get(f"/mediation/disputes/{dispute.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("name", "register", "resident_page"),
    [
        ("mediator", 200, 403),
        ("judicial", 200, 403),
        ("acceptor", 200, 403),
        ("leader", 403, 403),
        ("admin", 403, 403),
        ("worker", 403, 403),
        ("resident", 403, 200),
    ],
)
def test_doors_of_the_mediation_pages(world, med, name, register, resident_page):
    client = Client()
    client.force_login(_who(world, med, name))
    assert client.get("/mediation/").status_code == register
    assert client.get("/mediation/new/").status_code == register
    assert client.get("/resident/mediation/").status_code == resident_page
    nav = client.get("/account/").content.decode()
    assert ('href="/mediation/"' in nav) == (register == 200)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("mediator", 200),
        ("judicial", 403),
        ("district_judicial", 403),
        ("acceptor", 403),
        ("street_mediator", 200),
        ("superuser", 404),
        ("admin", 403),
        ("leader", 403),
        ("resident", 403),
    ],
)
def test_who_acts_through_the_api(world, med, name, status):
    from support.mediation_world import walk_in

    dispute = walk_in(world, med)
    # Before acceptance the street's mediators may act too; after it, the committee's only.
    response = token_client(_who(world, med, name)).post(
        f"/api/v1/mediation/disputes/{dispute.pk}/accept"
    )
    assert response.status_code == status
    if status != 200:
        _assert_no_content(response.content.decode())
        dispute.refresh_from_db()
        assert dispute.state == "registered"


def test_the_page_records_that_it_showed_the_agreement(world, med):
    import datetime as dt

    from onegrid.mediation.models import Agreement

    dispute = mediating(world, med)
    client = Client()
    client.force_login(med.mediator)
    client.get(f"/mediation/disputes/{dispute.pk}/")
    row = PersonalDataRead.objects.filter(subject_id=f"dispute:{dispute.pk}").latest("pk")
    assert "agreement" not in row.fields
    Agreement.objects.create(
        dispute=dispute,
        number="（2026）120113001001调字第1号",
        facts="f",
        matters="m",
        responsibilities="r",
        terms="t",
        performance_manner="一次性支付",
        effective_on=dt.date(2026, 3, 10),
        confirmation_deadline=dt.date(2026, 4, 9),
        recorded_at=dispute.registered_at,
    )
    client.get(f"/mediation/disputes/{dispute.pk}/")
    row = PersonalDataRead.objects.filter(subject_id=f"dispute:{dispute.pk}").latest("pk")
    assert "agreement" in row.fields.split(",")
