"""Reads of the questions to the legal adviser: the asker's own, and an adviser's communities'
(each adviser read of a question logged once per request, kind LEGAL_QUESTION). Nobody else
reads them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from onegrid.core.errors import NotFound
from onegrid.core.text_input import row_id
from onegrid.org import access_log, policies
from onegrid.org.models import User

from .models import LegalQuestion

SHOWN = ("question", "answer")


def mine(user: User) -> QuerySet[LegalQuestion]:
    return LegalQuestion.objects.filter(asked_by=user).select_related("community")


def for_adviser(user: User, *, state: str = "") -> QuerySet[LegalQuestion]:
    rows = LegalQuestion.objects.filter(
        community_id__in=policies.legal_adviser_community_ids(user)
    ).select_related("community", "asked_by")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("due_at") if state == LegalQuestion.State.OPEN else rows


def record_adviser_reads(
    user: User, questions: list[LegalQuestion], *, channel: str, path: str
) -> None:
    """One access-log insert for the questions an adviser was shown (their own are not)."""
    access_log.record(
        user=user,
        kind=access_log.Kind.LEGAL_QUESTION,
        channel=channel,
        path=path,
        subjects=[
            (q.pk, [f for f in SHOWN if getattr(q, f)])
            for q in questions
            if q.asked_by_id != user.pk
        ],
    )


def question_for(user: User, question_id: object, *, channel: str, path: str) -> LegalQuestion:
    """One question `user` may read (asker or the community's adviser), the read logged for
    an adviser; NotFound otherwise (or for an odd id)."""
    pk = row_id(question_id)
    if pk is None:
        raise NotFound(_("No such question."), field="question")
    row = (
        LegalQuestion.objects.select_related("community", "asked_by", "answered_by")
        .filter(pk=pk)
        .first()
    )
    if row is None or not policies.may_read_legal_question(
        user, asked_by_id=row.asked_by_id, community_id=row.community_id
    ):
        raise NotFound(_("No such question."), field="question")
    record_adviser_reads(user, [row], channel=channel, path=path)
    return row
