"""Questions to the community legal adviser (一村（社区）一法律顾问): the resident's page
(/resident/legal/: ask the adviser of a community, my questions and their answers; one question
at /resident/legal/<id>/) and the adviser's desk (/legal/: my communities' questions, the late
first; one question with the answer form at /legal/questions/<id>/). Routes in `routes`.

Only the asker and the community's advisers read a question (mediation.advice_selectors); each
page an adviser opens is logged (LEGAL_QUESTION, once per request). Writes go through
mediation.advice.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core import clock, workdays
from onegrid.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from onegrid.mediation import advice, advice_selectors
from onegrid.mediation.models import LegalQuestion
from onegrid.org import access_log, policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

from ..access import page
from .home_community import home_community

State = LegalQuestion.State


def _question_or_404(request, question_id: str) -> LegalQuestion:
    try:
        return advice_selectors.question_for(
            request.user, question_id, channel=access_log.Channel.PAGE, path=request.path
        )
    except NotFound:
        raise Http404(_("No such question.")) from None


@page("resident_legal")
@require_http_methods(["GET", "POST"])
def resident_home(request):
    error: DomainError | None = None
    posted = {}
    if request.method == "POST":
        posted = request.POST
        try:
            outcome = advice.ask(
                actor=request.user,
                community=request.POST.get("community", ""),
                question=request.POST.get("question", ""),
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except DomainError as e:
            error = e
        else:
            messages.success(
                request,
                _("Your question was sent. The adviser answers by %(due)s.")
                % {"due": f"{clock_local(outcome.question.due_at):%Y-%m-%d %H:%M}"},
            )
            return redirect("web:resident_legal_question", question_id=outcome.question.pk)
    context = {
        "active_page": "resident_legal",
        "questions": list(advice_selectors.mine(request.user)[:100]),
        "communities": AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY)
        .select_related("parent")
        .order_by("code"),
        "error": error,
        "posted": posted,
        "home_community": home_community(request.user),
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "now": clock.now(),
    }
    return render(
        request, "web/legal/resident.html", context, status=error.status if error else 200
    )


def clock_local(moment):
    return timezone.localtime(moment, workdays.TZ)


@page("resident_legal")
@require_GET
def resident_question(request, question_id: str):
    row = _question_or_404(request, question_id)
    if row.asked_by_id != request.user.pk:
        raise Http404(_("No such question."))
    return render(
        request,
        "web/legal/resident_question.html",
        {"active_page": "resident_legal", "q": row, "now": clock.now()},
    )


@page("resident_legal")
@require_POST
def resident_withdraw(request, question_id: str):
    row = _question_or_404(request, question_id)
    try:
        advice.withdraw(actor=request.user, question=row)
    except DomainError as e:
        messages.error(request, str(e.message))
    else:
        messages.success(request, _("Your question was withdrawn."))
    return redirect("web:resident_legal_question", question_id=row.pk)


@page("legal")
@require_GET
def desk(request):
    open_rows = list(advice_selectors.for_adviser(request.user, state=State.OPEN)[:200])
    answered = list(advice_selectors.for_adviser(request.user, state=State.ANSWERED)[:50])
    advice_selectors.record_adviser_reads(
        request.user, open_rows + answered, channel=access_log.Channel.PAGE, path=request.path
    )
    return render(
        request,
        "web/legal/desk.html",
        {"active_page": "legal", "open_rows": open_rows, "answered": answered, "now": clock.now()},
    )


@page("legal")
@require_http_methods(["GET", "POST"])
def question(request, question_id: str):
    row = _question_or_404(request, question_id)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            advice.answer(
                actor=request.user,
                question=row,
                answer=request.POST.get("answer", ""),
                legal_basis=request.POST.get("legal_basis", ""),
            )
        except DomainError as e:
            error = e
        else:
            messages.success(request, _("Answered: the resident is told."))
            return redirect("web:legal_question", question_id=row.pk)
    return render(
        request,
        "web/legal/question.html",
        {
            "active_page": "legal",
            "q": row,
            "error": error,
            "posted": request.POST if request.method == "POST" else {},
            "now": clock.now(),
        },
        status=error.status if error else 200,
    )


# --- the appointers' page: the communities' advisers and the oversight of answers -----------


def _person(actor, username: str, community: AdminUnit) -> User:
    # Who may appoint there comes first, so that nobody else learns which usernames exist.
    if not policies.appoints_legal_advisers_at(actor, community):
        raise PermissionDenied(
            _(
                "Only the judicial office over the community or an administrator appoints its "
                "legal adviser, never to themselves nor to a resident's account."
            ),
            field="username",
        )
    name = username.strip()
    person = User.objects.filter(username=name).first() if name and name.isprintable() else None
    if person is None:
        raise NotFound(_("No such person."), field="username")
    return person


@page("legal_advisers")
@require_http_methods(["GET", "POST"])
def advisers(request):
    """The appointers' page (org.policies.legal_adviser_reach): each community in reach with
    its advisers, the forms to appoint (by username) and dismiss, and the questions open or
    answered late, without their text or their asker."""
    error: DomainError | None = None
    posted = {}
    if request.method == "POST":
        posted = request.POST
        action = request.POST.get("action", "")
        try:
            unit = advice.community_of(request.POST.get("community", ""))
            person = _person(request.user, request.POST.get("username", "")[:200], unit)
            if action == "appoint":
                advice.appoint_adviser(actor=request.user, person=person, community=unit)
                note = _("%(user)s is the legal adviser of %(community)s.")
            elif action == "dismiss":
                if not advice.dismiss_adviser(actor=request.user, person=person, community=unit):
                    raise NotFound(_("Not an adviser of this community."), field="username")
                note = _("%(user)s is no longer the legal adviser of %(community)s.")
            else:
                raise InvalidInput(_("Choose to appoint or dismiss."), field="action")
        except DomainError as e:
            error = e
        else:
            messages.success(request, note % {"user": person.username, "community": unit.name})
            return redirect("web:legal_advisers")
    now = clock.now()
    context = {
        "active_page": "legal_advisers",
        "communities": advice_selectors.overseen_communities(request.user),
        "oversight": advice_selectors.oversight(request.user, now=now),
        "error": error,
        "posted": posted,
        "now": now,
    }
    return render(
        request, "web/legal/advisers.html", context, status=error.status if error else 200
    )


routes = [
    path("legal/advisers/", advisers, name="legal_advisers"),
    path("resident/legal/", resident_home, name="resident_legal"),
    path("resident/legal/<str:question_id>/", resident_question, name="resident_legal_question"),
    path(
        "resident/legal/<str:question_id>/withdraw/",
        resident_withdraw,
        name="resident_legal_withdraw",
    ),
    path("legal/", desk, name="legal"),
    path("legal/questions/<str:question_id>/", question, name="legal_question"),
]
