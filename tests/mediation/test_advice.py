"""Questions to the community legal adviser: the due time on the working calendar, answering,
who reads (and the log of the adviser's reads), the tick telling late answers once, and who
appoints an adviser."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from onegrid.core import clock, workdays
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.mediation import advice, advice_selectors, timers
from onegrid.mediation.models import LegalQuestion
from onegrid.notify import kinds
from onegrid.notify.models import Notification
from onegrid.org.models import PersonalDataRead, Role
from support.holidays import import_2027
from support.sra_world import build, key

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def sra(world):
    return build(world)


def _ask(world, actor=None, **changes):
    values = {
        "actor": actor or world.people.resident,
        "community": world.community.code,
        "question": "邻居装修噪音扰民，我可以怎么维权？",
        "idempotency_key": key("q"),
    }
    values.update(changes)
    return advice.ask(**values)


def test_due_in_working_days(world, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LEGAL_ANSWER_WORKING_DAYS": 3}
    # Tuesday 10 March 2026 09:30 → Friday 13 March 09:30.
    q = _ask(world).question
    assert q.due_at == dt.datetime(2026, 3, 13, 9, 30, tzinfo=TZ)
    assert q.state == LegalQuestion.State.OPEN


def test_due_across_the_2027_spring_festival(world, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LEGAL_ANSWER_WORKING_DAYS": 3}
    import_2027()
    workdays.forget()
    # Thursday 4 February 2027 10:00: 5–11 February rest (休, with the weekend), Friday 12 is
    # one, Sunday 14 (班, a make-up day) two, Monday 15 three.
    with clock.frozen_at(dt.datetime(2027, 2, 4, 10, 0, tzinfo=TZ)):
        q = _ask(world).question
    assert q.due_at == dt.datetime(2027, 2, 15, 10, 0, tzinfo=TZ)


def test_ask_replays_and_refuses(world, sra):
    first = _ask(world, idempotency_key="same")
    again = _ask(world, idempotency_key="same")
    assert again.replayed and again.question.pk == first.question.pk
    with pytest.raises(Conflict):
        _ask(world, actor=sra.resident2, idempotency_key="same")
    for staff in (world.people.worker, sra.adviser, sra.admin):
        with pytest.raises(PermissionDenied):
            _ask(world, actor=staff)
    with pytest.raises(NotFound):
        _ask(world, community=world.street.code)
    with pytest.raises(NotFound):
        _ask(world, community="１２０")
    for bad in ("", "短", "x" * 4001, "问题\x00"):
        with pytest.raises(InvalidInput) as e:
            _ask(world, question=bad)
        assert e.value.field == "question"
    assert LegalQuestion.objects.count() == 1


def test_answer_notifies_the_asker(world, sra):
    q = _ask(world).question
    advice.answer(
        actor=sra.adviser,
        question=q,
        answer="可依据民法典相邻关系条款协商。",
        legal_basis="《民法典》第二百八十八条",
    )
    q.refresh_from_db()
    assert q.state == LegalQuestion.State.ANSWERED and q.answered_by_id == sra.adviser.pk
    note = Notification.objects.get(kind=kinds.LEGAL_ANSWERED)
    assert note.user_id == world.people.resident.pk
    assert note.url == f"/resident/legal/{q.pk}/"
    again = advice.answer(
        actor=sra.adviser,
        question=q,
        answer="可依据民法典相邻关系条款协商。",
        legal_basis="《民法典》第二百八十八条",
    )
    assert again.replayed
    with pytest.raises(Conflict):
        advice.answer(actor=sra.adviser, question=q, answer="另一个答复")
    assert Notification.objects.filter(kind=kinds.LEGAL_ANSWERED).count() == 1


def test_only_the_community_adviser_answers_and_reads(world, sra):
    q = _ask(world).question
    for outsider in (
        sra.other_adviser,
        sra.admin,
        sra.judicial,
        sra.committee,
        sra.resident2,
        world.people.worker,
        world.people.leader,
    ):
        with pytest.raises(NotFound):
            advice.answer(actor=outsider, question=q, answer="x")
        with pytest.raises(NotFound):
            advice_selectors.question_for(outsider, q.pk, channel="api", path="/")
    with pytest.raises(PermissionDenied):
        advice.answer(actor=world.people.resident, question=q, answer="自己答")
    # The asker reads without a log row; the adviser's read is logged.
    advice_selectors.question_for(world.people.resident, q.pk, channel="page", path="/r/")
    assert not PersonalDataRead.objects.exists()
    advice_selectors.question_for(sra.adviser, q.pk, channel="page", path="/legal/x/")
    row = PersonalDataRead.objects.get()
    assert row.kind == PersonalDataRead.Kind.LEGAL_QUESTION and row.subject_id == str(q.pk)
    assert row.user_id == sra.adviser.pk and row.fields == "question"


def test_withdraw(world, sra):
    q = _ask(world).question
    with pytest.raises(NotFound):
        advice.withdraw(actor=sra.resident2, question=q)
    advice.withdraw(actor=world.people.resident, question=q)
    assert advice.withdraw(actor=world.people.resident, question=q).replayed
    with pytest.raises(Conflict):
        advice.answer(actor=sra.adviser, question=q, answer="迟到的答复")


def test_tick_tells_late_answers_once(world, sra):
    late = _ask(world).question
    answered = _ask(world).question
    advice.answer(actor=sra.adviser, question=answered, answer="已答复")
    assert timers.tick(now=clock.now())["legal_overdue"] == 0
    later = late.due_at + dt.timedelta(minutes=1)
    assert timers.tick(now=later)["legal_overdue"] == 1
    assert timers.tick(now=later + dt.timedelta(hours=1))["legal_overdue"] == 0
    told = set(
        Notification.objects.filter(kind=kinds.LEGAL_OVERDUE).values_list("user_id", flat=True)
    )
    # The community's advisers and committee, and the judicial office of its street (one notice
    # each, pointing to its page of advisers): not the district's, not another street's.
    assert told == {sra.adviser.pk, sra.committee.pk, sra.judicial.pk}
    office = Notification.objects.get(kind=kinds.LEGAL_OVERDUE, user=sra.judicial)
    assert office.url == "/legal/advisers/"
    late.refresh_from_db()
    assert late.overdue_notified_at == later


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_tell_once(world, sra):
    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    q = _ask(world).question
    later = q.due_at + dt.timedelta(hours=1)
    results: list[int] = []
    barrier = threading.Barrier(3)

    def run():
        try:
            barrier.wait()
            results.append(timers.tick(now=later)["legal_overdue"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 1
    # The adviser, the committee member and the street's judicial office: one notice each.
    assert Notification.objects.filter(kind=kinds.LEGAL_OVERDUE).count() == 3


def test_who_appoints_an_adviser(world, sra):
    from onegrid.org.models import User

    lawyer = User.objects.create_user("lawyer", password="pw-lawyer")
    with pytest.raises(PermissionDenied):
        advice.appoint_adviser(
            actor=world.people.shift_lead, person=lawyer, community=world.community
        )
    with pytest.raises(PermissionDenied):
        advice.appoint_adviser(actor=sra.other_judicial, person=lawyer, community=world.community)
    with pytest.raises(PermissionDenied):
        advice.appoint_adviser(actor=sra.judicial, person=sra.judicial, community=world.community)
    with pytest.raises(PermissionDenied):
        advice.appoint_adviser(
            actor=sra.judicial, person=world.people.resident, community=world.community
        )
    done = advice.appoint_adviser(actor=sra.judicial, person=lawyer, community=world.community)
    assert done.role == Role.LEGAL_ADVISER and done.unit_id == world.community.pk
    assert (
        advice.appoint_adviser(actor=sra.admin, person=lawyer, community=world.community).pk
        == done.pk
    )


def test_appointing_and_dismissing_through_the_api(world, sra):
    from onegrid.org.models import RoleAssignment, User
    from support.api import token_client

    User.objects.create_user("lawyer", password="pw-lawyer")
    body = {"username": "lawyer", "community": world.community.code}
    url = "/api/v1/mediation/legal/advisers"
    refused = token_client(world.people.shift_lead).post(
        url, data=body, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["field"] == "username"
    client = token_client(sra.judicial)
    assert client.post(url, data=body, content_type="application/json").status_code == 200
    assert (
        RoleAssignment.objects.filter(user__username="lawyer", role=Role.LEGAL_ADVISER).count() == 1
    )
    assert client.post(url, data=body, content_type="application/json").status_code == 200
    assert (
        RoleAssignment.objects.filter(user__username="lawyer", role=Role.LEGAL_ADVISER).count() == 1
    )
    gone = client.post(f"{url}/dismiss", data=body, content_type="application/json")
    assert gone.status_code == 200 and gone.json()["adviser"] is False
    assert not RoleAssignment.objects.filter(user__username="lawyer").exists()
    nobody = client.post(url, data={**body, "username": "nobody"}, content_type="application/json")
    assert nobody.status_code == 404
    odd = client.post(url, data={**body, "community": "x\u3000"}, content_type="application/json")
    assert odd.status_code == 404
