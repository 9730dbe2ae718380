"""A refused form comes back with what the mediator typed and an error naming the field in the
page's language: the walk-in form keeps every party's facts (it is `novalidate`, so the server
is the only check), the dispute page's forms keep their own input (and only their own), and an
error reads "地点：…", never an internal name such as "(place)"."""

from __future__ import annotations

import html

from django.test import Client
from django.utils import translation

from onegrid.mediation.models import Dispute, MediationSession
from support.mediation_world import mediating


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


PARTIES = {
    "p0_side": "applicant",
    "p0_kind": "person",
    "p0_name": "王五",
    "p0_sex": "male",
    "p0_age": "60",
    "p0_ethnicity": "回族",
    "p0_occupation": "退休",
    "p0_address": "北辰区果园新村3号楼",
    "p0_phone": "13900003333",
    "p1_side": "respondent",
    "p1_kind": "organisation",
    "p1_name": "某物业公司",
    "p1_representative": "赵六",
}


def test_the_walk_in_form_keeps_the_parties_and_the_risk_when_refused(world, med):
    client = _client(med.mediator)
    response = client.post(
        "/mediation/new/",
        {
            "client_key": "keep-1",
            "community": str(world.community.pk),
            "type": "property",
            "title": "物业费争议",
            "facts": "",  # refused: the facts are required
            "risk": "high",
            **PARTIES,
        },
    )
    assert response.status_code == 422
    assert not Dispute.objects.exists()
    page = html.unescape(response.content.decode())
    for value in ("王五", "60", "回族", "退休", "北辰区果园新村3号楼", "13900003333", "某物业公司"):
        assert f'value="{value}"' in page, value
    assert 'value="赵六"' in page
    assert '<option value="high" selected>' in page
    assert '<option value="organisation" selected>' in page
    assert '<option value="male" selected>' in page
    # The error names the field in Chinese, not by its internal name.
    with translation.override("zh-hans"):
        facts = translation.gettext("facts")
    assert page.split('data-field="facts">')[1].startswith(facts + "：")
    assert "(facts)" not in page


def test_the_session_form_keeps_its_input_and_names_the_field(world, med):
    dispute = mediating(world, med)
    client = _client(med.mediator)
    url = f"/mediation/disputes/{dispute.pk}/"
    sessions = MediationSession.objects.filter(dispute=dispute).count()
    response = client.post(
        url + "session/",
        {
            "client_key": "sess-keep",
            "held_at": "2026-03-10T09:00",
            "place": "",  # refused
            "attendees": "双方当事人",
            "notes": "双方各自陈述了意见，约定下周再谈。",
        },
    )
    assert response.status_code == 422
    assert MediationSession.objects.filter(dispute=dispute).count() == sessions
    page = html.unescape(response.content.decode())
    assert 'value="2026-03-10T09:00"' in page
    assert 'value="双方当事人"' in page
    assert "双方各自陈述了意见，约定下周再谈。</textarea>" in page
    with translation.override("zh-hans"):
        place = translation.gettext("place")
    alert = page.split('data-field="place">')[1].split("</p>")[0]
    assert alert.startswith(place + "：")
    assert "(place)" not in page
    # The other forms with a "reason" are not filled with another form's input.
    assert page.count('name="reason" maxlength="500" required value=""') == 1


def test_a_party_field_error_names_the_party_and_the_field(world, med):
    client = _client(med.mediator)
    response = client.post(
        "/mediation/new/",
        {
            "client_key": "keep-2",
            "community": str(world.community.pk),
            "type": "property",
            "title": "物业费争议",
            "facts": "物业服务不到位。",
            **{**PARTIES, "p0_age": "２００"},  # not a plain number
        },
    )
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    alert = page.split('role="alert"')[1].split("</p>")[0]
    assert "第1方当事人 · 年龄：" in alert, alert
    assert 'value="２００"' in page


def test_a_dispute_is_registered_not_signed_up(world, med):
    """登记 (a register's entry), not 注册 (an account's sign-up), on the register and the
    dispute's page."""
    dispute = mediating(world, med)
    client = _client(med.mediator)
    for url in ("/mediation/", f"/mediation/disputes/{dispute.pk}/"):
        page = client.get(url).content.decode()
        assert "登记时间" in page and "注册时间" not in page, url


def test_a_refused_referral_from_the_case_page_opens_the_form_again_with_its_input(world, med):
    from support.cases import report

    case = report(world, case_class=world.fight, description="邻里噪音纠纷")
    acceptor = _client(world.people.acceptor)
    refused = acceptor.post(
        f"/cases/{case.number}/mediation/",
        {
            "client_key": "case-keep",
            "type": "neighbour",
            "claims": "要求夜间停止施工噪音",
            "risk": "medium",
            **{**PARTIES, "p0_age": "abc"},
        },
    )
    assert refused.status_code == 302 and refused.url.endswith("#refer-mediation")
    assert not Dispute.objects.exists()
    page = html.unescape(acceptor.get(refused.url.split("#")[0]).content.decode())
    assert '<details class="referral" id="refer-mediation" open>' in page
    alert = page.split('id="refer-mediation-error">')[1].split("</p>")[0]
    assert "第1方当事人 · 年龄：" in alert and "parties[0]" not in page
    assert "要求夜间停止施工噪音</textarea>" in page
    assert 'value="王五"' in page and 'value="abc"' in page and 'value="某物业公司"' in page
    assert '<option value="medium" selected>' in page
    # Once: the next visit shows the empty form, closed.
    again = acceptor.get(f"/cases/{case.number}/").content.decode()
    assert "refer-mediation-error" not in again and 'id="refer-mediation" open' not in again


def test_a_mediator_adds_the_respondent_a_screening_did_not_name(world, med):
    from onegrid.mediation.models import DisputeParty
    from support.mediation_world import walk_in

    dispute = walk_in(world, med, parties=[{"side": "applicant", "name": "李四"}])
    client = _client(med.mediator)
    url = f"/mediation/disputes/{dispute.pk}/"
    page = client.get(url).content.decode()
    assert 'id="party-form"' in page
    # Refused (not a number), the row comes back as typed and the error names the field.
    refused = client.post(
        url + "party/", {"p0_side": "respondent", "p0_name": "王五", "p0_age": "x"}
    )
    assert refused.status_code == 422
    body = html.unescape(refused.content.decode())
    assert "第2方当事人 · 年龄：" in body and 'value="王五"' in body
    form = {"p0_side": "respondent", "p0_name": "王五", "p0_age": "52", "p0_phone": "13900001111"}
    assert client.post(url + "party/", form).status_code == 302
    assert client.post(url + "party/", form).status_code == 302  # a double submit
    assert [(p.side, p.name, p.age) for p in dispute.parties.order_by("pk")] == [
        ("applicant", "李四", None),
        ("respondent", "王五", 52),
    ]
    # The applicant named briefly at registration gets the facts the agreement needs.
    more = {"p0_side": "applicant", "p0_name": "李四", "p0_sex": "male", "p0_age": "45"}
    assert client.post(url + "party/", {**more, "p0_address": "3号楼201"}).status_code == 302
    applicant = dispute.parties.get(side="applicant")
    assert (applicant.sex, applicant.age, applicant.address) == ("male", 45, "3号楼201")
    # Nobody else adds parties: not the street desk, not a resident.
    for who in (world.people.acceptor, world.people.resident):
        other = _client(who).post(url + "party/", {"p0_side": "third", "p0_name": "赵六"})
        assert other.status_code in (403, 404)
    assert DisputeParty.objects.filter(dispute=dispute).count() == 2
