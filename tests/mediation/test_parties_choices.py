"""What 人民调解法 art. 23 gives the parties, recorded: the reason of a withdrawal, whether they
asked for the mediation in public or not, a mediator they chose, a mediator they refused (who
leaves the dispute and is not assigned to it again); and the API's way to add a party. Only
those who read the dispute see any of it."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.mediation import services
from onegrid.mediation.models import (
    Dispute,
    DisputeParty,
    MediatorAssignment,
    RefusedMediator,
)
from onegrid.org.models import PersonalDataRead
from support.api import token_client
from support.mediation_world import accepted, mediating, walk_in

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- services ------------------------------------------------------------------------------


def test_public_hearing_at_registration_and_changed_by_the_mediators(world, med):
    dispute = walk_in(world, med, public_hearing="private")
    assert dispute.public_hearing == Dispute.Hearing.PRIVATE
    assert walk_in(world, med).public_hearing == Dispute.Hearing.UNSPECIFIED
    with pytest.raises(InvalidInput) as error:
        walk_in(world, med, public_hearing="secret")
    assert error.value.field == "public_hearing"
    changed = services.set_public_hearing(by=med.mediator, dispute=dispute, public_hearing="public")
    assert not changed.replayed
    assert Dispute.objects.get(pk=dispute.pk).public_hearing == "public"
    assert services.set_public_hearing(
        by=med.mediator, dispute=dispute, public_hearing="public"
    ).replayed
    for outsider in (med.other_mediator, world.people.worker, world.people.acceptor):
        with pytest.raises(PermissionDenied):
            services.set_public_hearing(by=outsider, dispute=dispute, public_hearing="private")
    services.decline(by=med.mediator, dispute=dispute, reason="不属于调解范围")
    with pytest.raises(Conflict):
        services.set_public_hearing(by=med.mediator, dispute=dispute, public_hearing="private")
    assert Dispute.objects.get(pk=dispute.pk).public_hearing == "public"


def test_a_chosen_mediator_and_a_refused_one(world, med):
    dispute = accepted(world, med)
    services.assign_mediators(
        by=med.mediator,
        dispute=dispute,
        mediators=[med.mediator.pk, med.mediator2.pk],
        lead=med.mediator.pk,
        chosen_by_parties=True,
    )
    rows = {a.mediator_id: a for a in MediatorAssignment.objects.filter(dispute=dispute)}
    assert rows[med.mediator2.pk].chosen_by_parties and rows[med.mediator.pk].lead
    with pytest.raises(InvalidInput):
        services.assign_mediators(
            by=med.mediator,
            dispute=dispute,
            mediators=[med.mediator.pk],
            lead=None,
            chosen_by_parties="yes",
        )
    # The reason is required; odd ids are a 4xx naming the field.
    with pytest.raises(InvalidInput) as error:
        services.refuse_mediator(
            by=med.mediator, dispute=dispute, mediator=med.mediator2.pk, reason=" "
        )
    assert error.value.field == "reason"
    for odd in ("١", "x", "", "99999999999"):
        with pytest.raises(InvalidInput) as error:
            services.refuse_mediator(by=med.mediator, dispute=dispute, mediator=odd, reason="r")
        assert error.value.field == "mediator"
    with pytest.raises(InvalidInput):  # not assigned to this dispute
        services.refuse_mediator(
            by=med.mediator, dispute=dispute, mediator=med.street_mediator.pk, reason="r"
        )
    with pytest.raises(PermissionDenied):
        services.refuse_mediator(
            by=med.other_mediator, dispute=dispute, mediator=med.mediator2.pk, reason="r"
        )
    done = services.refuse_mediator(
        by=med.mediator, dispute=dispute, mediator=med.mediator2.pk, reason="与对方是亲戚"
    )
    assert not done.replayed
    assert not MediatorAssignment.objects.filter(dispute=dispute, mediator=med.mediator2).exists()
    refusal = RefusedMediator.objects.get(dispute=dispute)
    assert (refusal.mediator, refusal.reason, refusal.by) == (
        med.mediator2,
        "与对方是亲戚",
        med.mediator,
    )
    # Again: nothing changes; and the refused mediator is not assigned to it again.
    assert services.refuse_mediator(
        by=med.mediator, dispute=dispute, mediator=med.mediator2.pk, reason="与对方是亲戚"
    ).replayed
    assert RefusedMediator.objects.filter(dispute=dispute).count() == 1
    with pytest.raises(Conflict) as error:
        services.assign_mediators(
            by=med.mediator, dispute=dispute, mediators=[med.mediator2.pk], lead=None
        )
    assert error.value.field == "mediators"
    # The lead refused: the next assignment names a new lead.
    services.refuse_mediator(
        by=med.mediator, dispute=dispute, mediator=med.mediator.pk, reason="不信任"
    )
    assert not MediatorAssignment.objects.filter(dispute=dispute).exists()
    # Another dispute is not touched by the refusal.
    other = accepted(world, med)
    services.assign_mediators(
        by=med.mediator, dispute=other, mediators=[med.mediator2.pk], lead=None
    )
    assert MediatorAssignment.objects.get(dispute=other).lead


def test_withdrawal_reason_from_the_mediators(world, med):
    dispute = mediating(world, med)
    with pytest.raises(InvalidInput):
        services.withdraw(by=med.mediator, dispute=dispute, reason="\x00")
    with pytest.raises(InvalidInput):
        services.withdraw(by=med.mediator, dispute=dispute, reason="长" * 301)
    done = services.withdraw(by=med.mediator, dispute=dispute, reason="申请人撤回")
    assert (done.state, done.withdrawal_reason) == (Dispute.State.WITHDRAWN, "申请人撤回")
    with pytest.raises(Conflict):
        services.refuse_mediator(
            by=med.mediator, dispute=dispute, mediator=med.mediator2.pk, reason="r"
        )


# --- the page ----------------------------------------------------------------------------------


def test_the_dispute_page_records_and_shows_the_choices(world, med):
    dispute = mediating(world, med)
    client = _client(med.mediator)
    url = f"/mediation/disputes/{dispute.pk}/"
    page = client.get(url).content.decode()
    assert 'id="refuse-form"' in page and 'id="hearing-form"' in page
    assert 'data-hearing="unspecified"' in page
    assert client.post(url + "hearing/", {"public_hearing": "public"}).status_code == 302
    response = client.post(url + "hearing/", {"public_hearing": "\x00"})
    assert response.status_code == 422
    response = client.post(url + "refuse/", {"mediator": str(med.mediator2.pk)})
    assert response.status_code == 422
    assert 'data-field="reason"' in response.content.decode()
    response = client.post(url + "refuse/", {"mediator": str(med.mediator2.pk), "reason": "回避"})
    assert response.status_code == 302
    response = client.post(
        url + "assign/", {"mediators": [med.street_mediator.pk], "chosen_by_parties": "1"}
    )
    # The street's mediator is not of the community's committee.
    assert response.status_code == 422
    response = client.post(url + "assign/", {"mediators": [med.mediator2.pk]})
    assert response.status_code == 409
    page = client.get(url).content.decode()
    assert 'data-hearing="public"' in page
    assert f'data-refused="{med.mediator2.pk}"' in page and "回避" in page
    assert f'data-mediator="{med.mediator2.pk}"' not in page
    # Withdrawal: the reason is required, kept and shown.
    response = client.post(url + "withdraw/", {})
    assert response.status_code == 422
    assert Dispute.objects.get(pk=dispute.pk).state == Dispute.State.MEDIATING
    assert client.post(url + "withdraw/", {"reason": "双方和解"}).status_code == 302
    page = client.get(url).content.decode()
    assert 'id="withdrawal-reason"' in page and "双方和解" in page


def test_chosen_mediator_shown_and_nothing_to_a_line_reader(world, med):
    dispute = accepted(world, med, public_hearing="private")
    url = f"/mediation/disputes/{dispute.pk}/"
    assert (
        _client(med.mediator)
        .post(url + "assign/", {"mediators": [med.mediator.pk], "chosen_by_parties": "1"})
        .status_code
        == 302
    )
    services.assign_mediators(
        by=med.mediator, dispute=dispute, mediators=[med.mediator2.pk], lead=None
    )
    services.refuse_mediator(
        by=med.mediator, dispute=dispute, mediator=med.mediator2.pk, reason="秘密理由"
    )
    page = _client(med.judicial).get(url).content.decode()
    assert "chosen-by-parties" in page and "秘密理由" in page
    assert 'data-hearing="private"' in page
    # A street desk reads the register line only: none of the parties' choices.
    desk = _client(world.people.acceptor).get(url)
    assert desk.status_code == 200
    body = desk.content.decode()
    for secret in ("chosen-by-parties", "秘密理由", "data-hearing", "refused-mediators"):
        assert secret not in body


def test_the_register_xlsx_has_the_public_hearing_for_readers(world, med):
    dispute = walk_in(world, med, public_hearing="public")
    label = str(Dispute.Hearing.PUBLIC.label)

    def values(user):
        response = _client(user).get("/mediation/register.xlsx")
        assert response.status_code == 200
        data = b"".join(response.streaming_content)
        rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
        return [v for r in rows[1:] for v in r if v is not None]

    assert dispute.number in values(world.people.acceptor)
    assert label not in values(world.people.acceptor)
    assert label in values(med.judicial)


# --- the API ---------------------------------------------------------------------------------


def test_api_adds_a_party_with_the_page_rules(world, med):
    dispute = accepted(world, med)
    api = token_client(med.mediator)
    url = f"/api/v1/mediation/disputes/{dispute.pk}/parties"
    body = {"side": "third", "name": "王五", "phone": "13900005555"}
    before = PersonalDataRead.objects.count()
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "王五" and response.json()["side"] == "third"
    assert PersonalDataRead.objects.count() == before + 1
    # The same side and name completes the party: 200, no second row.
    response = api.post(url, {**body, "age": 50}, content_type="application/json")
    assert response.status_code == 200 and response.json()["age"] == 50
    assert DisputeParty.objects.filter(dispute=dispute, name="王五").count() == 1
    for odd in (
        {"side": "judge", "name": "甲"},
        {"name": ""},
        {"name": "甲\x00"},
        {"name": "甲", "age": 10**12},
        {"name": "甲", "phone": "١٣٩٠٠٠٠٥٥٥٥"},
        {"name": "甲" * 500},
    ):
        response = api.post(url, odd, content_type="application/json")
        assert 400 <= response.status_code < 500 and response.status_code != 404, odd
        assert response.status_code in (400, 422), (odd, response.content)
    assert DisputeParty.objects.filter(dispute=dispute).count() == 3
    assert api.post(url, "{", content_type="application/json").status_code in (400, 422)
    # Who may not: another committee's mediator (not on their register), a street desk (reads
    # the line only), a resident (not their page).
    assert (
        token_client(med.other_mediator)
        .post(url, body, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        token_client(world.people.acceptor)
        .post(url, body, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        token_client(world.people.resident)
        .post(url, body, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        api.post(
            "/api/v1/mediation/disputes/١/parties", body, content_type="application/json"
        ).status_code
        == 404
    )
    services.withdraw(by=med.mediator, dispute=dispute, reason="撤回")
    assert api.post(url, {"name": "新人"}, content_type="application/json").status_code == 409


def test_api_records_the_parties_choices(world, med):
    dispute = accepted(world, med)
    api = token_client(med.mediator)
    base = f"/api/v1/mediation/disputes/{dispute.pk}"
    response = api.post(
        base + "/mediators",
        {"mediators": [med.mediator.pk, med.mediator2.pk], "chosen_by_parties": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert all(m["chosen_by_parties"] for m in response.json()["mediators"])
    response = api.post(
        base + "/refused-mediators", {"mediator": med.mediator2.pk}, content_type="application/json"
    )
    assert response.status_code == 422
    response = api.post(
        base + "/refused-mediators",
        {"mediator": med.mediator2.pk, "reason": "回避"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert [m["user_id"] for m in body["mediators"]] == [med.mediator.pk]
    assert [(r["user_id"], r["reason"]) for r in body["refused_mediators"]] == [
        (med.mediator2.pk, "回避")
    ]
    response = api.post(
        base + "/refused-mediators",
        {"mediator": 2**40, "reason": "r"},
        content_type="application/json",
    )
    assert response.status_code == 422
    response = api.post(
        base + "/public-hearing", {"public_hearing": "private"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["public_hearing"] == "private"
    response = api.post(
        base + "/public-hearing",
        {"public_hearing": "ＰＵＢＬＩＣ"},
        content_type="application/json",
    )
    assert response.status_code == 422
    # A street desk reads the line: none of the choices.
    line = token_client(world.people.acceptor).get(base).json()
    assert line["content"] is False
    assert line["public_hearing"] == "" and line["refused_mediators"] == []
    assert (
        token_client(world.people.acceptor)
        .post(
            base + "/public-hearing", {"public_hearing": "public"}, content_type="application/json"
        )
        .status_code
        == 403
    )
    # Withdrawal needs a reason.
    assert api.post(base + "/withdraw", {}, content_type="application/json").status_code == 422
    response = api.post(base + "/withdraw", {"reason": "和解"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["withdrawal_reason"] == "和解"
    assert response.json()["state"] == "withdrawn"


def test_api_resident_withdraws_with_a_reason_and_registers_hearing(world, med):
    api = token_client(world.people.resident)
    response = api.post(
        "/api/v1/mediation/applications",
        {
            "community_id": world.community.pk,
            "type": "family",
            "title": "赡养",
            "facts": "子女不赡养老人",
            "public_hearing": "private",
            "parties": [{"name": "王五"}],
            "idempotency_key": "app-1",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert Dispute.objects.get(pk=pk).public_hearing == "private"
    url = f"/api/v1/mediation/applications/{pk}/withdraw"
    assert api.post(url, {}, content_type="application/json").status_code == 422
    assert api.post(url, {"reason": "和好"}, content_type="application/json").status_code == 200
    assert api.post(url, {"reason": "again"}, content_type="application/json").status_code == 200
    assert Dispute.objects.get(pk=pk).withdrawal_reason == "和好"
