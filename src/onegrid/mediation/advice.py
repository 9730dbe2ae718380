"""Questions residents put to their community's legal adviser (一村（社区）一法律顾问) and the
answers.

A resident account asks the adviser of a community they choose (the text bounded, a client key
making a retry replay). The answer is due settings.ONEGRID["LEGAL_ANSWER_WORKING_DAYS"] working
days after the question (cases.calendar.add_working_time: weekends and statutory holidays do
not count). A LEGAL_ADVISER bound to that community answers, optionally naming the legal basis
(law and article); the asker is notified (legal_answered). `notify_overdue` (run by
`onegrid mediation tick`) tells the community's advisers, and the judicial office of its
street, once of each question still unanswered past its due time (overdue_notified_at).

Questions are personal: only the asker and the community's advisers read them
(org.policies.may_read_legal_question); the selectors log each adviser's read (LEGAL_QUESTION).
Who appoints an adviser is org.policies.may_appoint_legal_adviser (appoint_adviser below).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.cases.calendar import add_working_time
from onegrid.core import clock, workdays
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.rows import locked_row
from onegrid.core.text_input import bounded_text, idempotency_key, row_id
from onegrid.notify import kinds
from onegrid.notify import services as notify_services
from onegrid.org import policies
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit

from .models import LegalQuestion

State = LegalQuestion.State
MAX_QUESTION = 4000
MAX_ANSWER = 8000
MAX_BASIS = 200
MIN_QUESTION = 5


@dataclass(frozen=True)
class Outcome:
    question: LegalQuestion
    replayed: bool = False


def _key(value: object) -> str:
    return idempotency_key(
        value, missing=_("Send an idempotency key so a retry cannot ask the same question twice.")
    )


def community_of(value: AdminUnit | int | str | None) -> AdminUnit:
    """A community by itself, its id or its code; anything else is a 404 at `community`."""
    unit: AdminUnit | None = None
    if isinstance(value, AdminUnit):
        unit = value
    elif isinstance(value, int) and not isinstance(value, bool):
        unit = AdminUnit.objects.filter(pk=value).first()
    elif isinstance(value, str):
        text = value.strip()
        if text and text.isascii() and text.isprintable() and len(text) <= 30:
            unit = AdminUnit.objects.filter(code=text).first()
            if unit is None and (pk := row_id(text)) is not None:
                unit = AdminUnit.objects.filter(pk=pk).first()
    if unit is None or unit.level != AdminUnit.Level.COMMUNITY:
        raise NotFound(_("No such community."), field="community")
    return unit


def due_at(asked_at: dt.datetime) -> dt.datetime:
    """When an answer to a question asked at `asked_at` is due."""
    return add_working_time(asked_at, int(settings.ONEGRID["LEGAL_ANSWER_WORKING_DAYS"]), "days")


@transaction.atomic
def ask(
    *,
    actor: User,
    community: AdminUnit | int | str | None,
    question: object,
    idempotency_key: str | None,
) -> Outcome:
    """A resident asks `community`'s legal adviser."""
    key = _key(idempotency_key)
    if not policies.may_ask_legal_adviser(actor):
        raise PermissionDenied(
            _("Questions to the legal adviser are asked from a resident's account."),
            field="actor",
        )
    earlier = LegalQuestion.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if earlier.asked_by_id != actor.pk:
            raise Conflict(
                _("This idempotency key was already used for another question."),
                field="idempotency_key",
            )
        return Outcome(earlier, replayed=True)
    unit = community_of(community)
    text = bounded_text(question, "question", max_length=MAX_QUESTION, required=True)
    if len(text) < MIN_QUESTION:
        raise InvalidInput(
            _("Say a little more: at least %(n)d characters.") % {"n": MIN_QUESTION},
            field="question",
        )
    now = clock.now()
    try:
        with transaction.atomic():
            row = LegalQuestion.objects.create(
                community=unit,
                asked_by=actor,
                question=text,
                asked_at=now,
                due_at=due_at(now),
                state=State.OPEN,
                idempotency_key=key,
            )
    except IntegrityError:
        earlier = LegalQuestion.objects.filter(idempotency_key=key, asked_by=actor).first()
        if earlier is None:
            raise
        return Outcome(earlier, replayed=True)
    return Outcome(row)


def _locked(question: LegalQuestion | int) -> LegalQuestion:
    pk = question.pk if isinstance(question, LegalQuestion) else row_id(question)
    return locked_row(
        LegalQuestion.objects.all(), pk, NotFound(_("No such question."), field="question")
    )


def _question_url(row: LegalQuestion, *, adviser: bool) -> str:
    try:
        if adviser:
            return reverse("web:legal_question", args=[row.pk])
        return reverse("web:resident_legal_question", args=[row.pk])
    except NoReverseMatch:
        return ""


@transaction.atomic
def answer(
    *,
    actor: User,
    question: LegalQuestion | int,
    answer: object,
    legal_basis: object = "",
) -> Outcome:
    """The community's adviser answers an open question (naming the legal basis, if any); the
    asker is notified. Sending the same answer again replays; another answer is a 409."""
    row = _locked(question)
    if not policies.is_legal_adviser_of(actor, row.community_id):
        if policies.may_read_legal_question(
            actor, asked_by_id=row.asked_by_id, community_id=row.community_id
        ):
            raise PermissionDenied(
                _("Only the community's legal adviser answers."), field="question"
            )
        raise NotFound(_("No such question."), field="question")
    text = bounded_text(answer, "answer", max_length=MAX_ANSWER, required=True)
    basis = bounded_text(legal_basis, "legal_basis", max_length=MAX_BASIS)
    if row.state == State.ANSWERED:
        if row.answer == text and row.legal_basis == basis:
            return Outcome(row, replayed=True)
        raise Conflict(_("This question has been answered already."), field="question")
    if row.state != State.OPEN:
        raise Conflict(_("The resident withdrew this question."), field="question")
    now = clock.now()
    row.state = State.ANSWERED
    row.answer = text
    row.legal_basis = basis
    row.answered_at = now
    row.answered_by = actor
    row.save(update_fields=["state", "answer", "legal_basis", "answered_at", "answered_by"])
    notify_services.tell(
        kind=kinds.LEGAL_ANSWERED,
        user_ids=[row.asked_by_id],
        key=f"legal_answered:{row.pk}",
        title=_("The legal adviser of %(community)s answered your question"),
        params={"community": row.community.name},
        url=_question_url(row, adviser=False),
        now=now,
    )
    return Outcome(row)


@transaction.atomic
def withdraw(*, actor: User, question: LegalQuestion | int) -> Outcome:
    """The asker withdraws an open question (withdrawing it again replays)."""
    row = _locked(question)
    if row.asked_by_id != actor.pk:
        raise NotFound(_("No such question."), field="question")
    if row.state == State.WITHDRAWN:
        return Outcome(row, replayed=True)
    if row.state != State.OPEN:
        raise Conflict(_("This question has been answered already."), field="question")
    row.state = State.WITHDRAWN
    row.save(update_fields=["state"])
    return Outcome(row)


def notify_overdue(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Tell the community's advisers (and, when it has none, its committee members) once of
    each open question past its due time; idempotent under concurrent runs: each question is
    claimed by a conditional update of overdue_notified_at, so two ticks never both tell.
    Returns how many questions were announced."""
    now = now or clock.now()
    told = 0
    while True:
        ids = list(
            LegalQuestion.objects.filter(
                state=State.OPEN, due_at__lt=now, overdue_notified_at__isnull=True
            )
            .order_by("due_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return told
        for pk in ids:
            with transaction.atomic():
                claimed = LegalQuestion.objects.filter(
                    pk=pk, state=State.OPEN, overdue_notified_at__isnull=True
                ).update(overdue_notified_at=now)
                if not claimed:
                    continue
                row = LegalQuestion.objects.select_related("community").get(pk=pk)
                notify_services.tell(
                    kind=kinds.LEGAL_OVERDUE,
                    user_ids=overdue_recipients(row.community_id),
                    key=f"legal_overdue:{row.pk}",
                    title=_("A question to the legal adviser of %(community)s is late"),
                    body=_("It was due %(due)s."),
                    params={
                        "community": row.community.name,
                        "due": f"{timezone.localtime(row.due_at, workdays.TZ):%Y-%m-%d %H:%M}",
                    },
                    url=_question_url(row, adviser=True),
                    now=now,
                )
                # The judicial office of the community's street follows late answers on its
                # page of advisers (/legal/advisers/), never reading the question itself.
                notify_services.tell(
                    kind=kinds.LEGAL_OVERDUE,
                    user_ids=policies.holder_ids({Role.JUDICIAL_OFFICE}, [row.community.parent_id]),
                    key=f"legal_overdue_office:{row.pk}",
                    title=_("A question to the legal adviser of %(community)s is late"),
                    body=_("It was due %(due)s."),
                    params={
                        "community": row.community.name,
                        "due": f"{timezone.localtime(row.due_at, workdays.TZ):%Y-%m-%d %H:%M}",
                    },
                    url=_advisers_url(),
                    now=now,
                )
                told += 1
        if len(ids) < batch:
            return told


def _advisers_url() -> str:
    try:
        return reverse("web:legal_advisers")
    except NoReverseMatch:
        return ""


def overdue_recipients(community_id: int) -> list[int]:
    """Who hears that a question is past its due time: the community's advisers and committee."""
    return policies.holder_ids({Role.LEGAL_ADVISER, Role.COMMUNITY_COMMITTEE}, [community_id])


@transaction.atomic
def appoint_adviser(
    *, actor: User, person: User, community: AdminUnit | int | str
) -> RoleAssignment:
    """Give `person` Role.LEGAL_ADVISER bound to `community` (org.policies
    may_appoint_legal_adviser); appointing them again returns the existing place."""
    unit = community_of(community)
    if not policies.may_appoint_legal_adviser(actor, person=person, community=unit):
        raise PermissionDenied(
            _(
                "Only the judicial office over the community or an administrator appoints its "
                "legal adviser, never to themselves nor to a resident's account."
            ),
            field="username",
        )
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=person, role=Role.LEGAL_ADVISER, unit=unit
    )
    policies.forget(person)
    return assignment


@transaction.atomic
def dismiss_adviser(*, actor: User, person: User, community: AdminUnit | int | str) -> bool:
    """Take Role.LEGAL_ADVISER bound to `community` away from `person` (the same policy as
    appointing). Returns whether there was such a place; dismissing again changes nothing."""
    unit = community_of(community)
    if not policies.may_appoint_legal_adviser(actor, person=person, community=unit):
        raise PermissionDenied(
            _(
                "Only the judicial office over the community or an administrator appoints its "
                "legal adviser, never to themselves nor to a resident's account."
            ),
            field="username",
        )
    deleted, _rows = RoleAssignment.objects.filter(
        user=person, role=Role.LEGAL_ADVISER, unit=unit
    ).delete()
    policies.forget(person)
    return bool(deleted)
