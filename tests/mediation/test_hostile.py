"""Hostile users against people's mediation (reviewer R2): replaying another's idempotency key
must not hand back confidential records to someone who may not read them."""

from __future__ import annotations

import json

import pytest

from onegrid.mediation.models import FollowUp, MediationSession
from onegrid.org.models import PersonalDataRead
from support.api import token_client
from support.mediation_world import mediating


def _post(user, path, body):
    return token_client(user).post(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("name", ["acceptor", "street_mediator", "judicial"])
def test_a_session_key_replayed_by_a_non_mediator_returns_no_notes(world, med, name):
    dispute = mediating(world, med)
    session = MediationSession.objects.get(dispute=dispute)
    user = getattr(med, name, None) or getattr(world.people, name)
    before = PersonalDataRead.objects.count()
    response = _post(
        user,
        f"/api/v1/mediation/disputes/{dispute.pk}/sessions",
        {
            "held_at": "2026-03-11T09:00:00+08:00",
            "place": "x",
            "attendees": "x",
            "notes": "x",
            "idempotency_key": session.idempotency_key,
        },
    )
    assert response.status_code in (403, 404), response.content
    assert "双方陈述" not in response.content.decode()
    assert PersonalDataRead.objects.count() == before
    assert MediationSession.objects.filter(dispute=dispute).count() == 1


def test_a_follow_up_key_replayed_by_a_non_mediator_returns_nothing(world, med):
    from onegrid.mediation import services

    dispute = mediating(world, med)
    visit = FollowUp(dispute=dispute, visited_by=med.mediator, idempotency_key="fu-secret")
    visit.visited_at = dispute.registered_at
    visit.performance = FollowUp._meta.get_field("performance").choices[0][0]
    visit.note = "回访：李四已付款"
    visit.save()
    with pytest.raises(Exception) as refused:
        services.record_follow_up(
            by=world.people.acceptor,
            dispute=dispute,
            visited_at="2026-04-01T09:00:00+08:00",
            performance=visit.performance,
            note="",
            idempotency_key="fu-secret",
        )
    assert type(refused.value).__name__ in ("PermissionDenied", "NotFound")


def test_a_case_is_referred_through_the_api(world, med):
    """POST /disputes/from-case was shadowed by GET /disputes/{dispute_id} (a 405)."""
    from onegrid.mediation.models import Dispute
    from support.cases import report
    from support.mediation_world import PARTIES

    case = report(world, case_class=world.fight, description="邻里因噪音争吵")
    body = {
        "case": case.number,
        "type": "neighbour",
        "parties": PARTIES,
        "idempotency_key": "api-c1",
    }
    response = _post(world.people.acceptor, "/api/v1/mediation/disputes/from-case", body)
    assert response.status_code == 201, response.content
    assert Dispute.objects.get(case=case).number == response.json()["number"]
    again = _post(world.people.acceptor, "/api/v1/mediation/disputes/from-case", body)
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]


def test_naming_a_risk_owner_is_no_oracle_of_accounts(world):
    """A risk keeper (a grid worker) naming any username or id as a risk's owner learnt the
    account's name (a resident's username is their phone: phone → name) from the refusal."""
    from onegrid.core.errors import InvalidInput
    from onegrid.mediation import risks
    from support.sra_world import build

    build(world)
    resident = world.people.resident
    resident.display_name = "王秘密"
    resident.save()

    def refusal(owner):
        with pytest.raises(InvalidInput) as refused:
            risks.raise_risk(
                actor=world.people.worker,
                grid=world.grids[0],
                title="苗头",
                description="酝酿集体上访。",
                level="medium",
                owner=owner,
                idempotency_key=f"owner-{owner}",
            )
        assert refused.value.field == "owner"
        return str(refused.value)

    by_name, by_id = refusal(resident.username), refusal(str(resident.pk))
    nobody = refusal("no-such-account")
    # The refusal names the owner as typed, the same whether the account exists or not.
    assert "王秘密" not in by_name + by_id
    assert by_name == nobody.replace("no-such-account", resident.username)
    assert by_id == nobody.replace("no-such-account", str(resident.pk))


@pytest.mark.parametrize("name", ["resident", "worker", "other_judicial"])
def test_appointing_an_adviser_is_no_oracle_of_accounts(world, name):
    """Anyone signed in learnt which usernames (a resident's is their phone) have an account:
    404 "No such person" for one without, 403 for one with."""
    from support.sra_world import build

    sra = build(world)
    caller = getattr(world.people, name, None) or getattr(sra, name)
    answers = [
        _post(
            caller,
            "/api/v1/mediation/legal/advisers",
            {"username": username, "community": world.community.code},
        )
        for username in (world.people.acceptor.username, "13999999999")
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()
