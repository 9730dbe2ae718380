"""The people's mediation register pages (人民调解): the register /mediation/, registering a
walk-in or referred dispute /mediation/new/, a dispute's page /mediation/disputes/<id>/ with
the mediators' forms, the case page's "转人民调解" form, and the resident's application
/resident/mediation/.

PAGE_ROLES["mediation"] opens the door; what a page then shows comes from mediation.selectors
and org.policies: the content (facts, claims, parties, sessions, the agreement) only to those
may_read_dispute allows, every such page recorded once (PersonalDataRead, MEDIATION); street
desks see register lines only. Every write goes through mediation.services, whose DomainError
is shown at the field it names.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.cases import selectors as case_selectors
from onegrid.core.errors import DomainError, NotFound
from onegrid.mediation import selectors, services
from onegrid.mediation.models import (
    Dispute,
    DisputeParty,
    FollowUp,
    MediationType,
)
from onegrid.org import access_log, policies
from onegrid.territory.models import AdminUnit

from .. import access
from ..access import page
from .home_community import home_community
from .paging import query_without_page

PARTY_SLOTS = 4
PARTY_INPUTS: tuple[str, ...] = ("side", "kind", "name", "sex", "age", "ethnicity")
PARTY_INPUTS += ("occupation", "address", "phone", "representative")


def _dispute_or_404(request, dispute_id) -> Dispute:
    try:
        return selectors.dispute_for(request.user, dispute_id)
    except NotFound:
        raise Http404(_("No such dispute.")) from None


def parties_from(post) -> list[dict[str, str]]:
    """The party rows of a form (p0_name, p0_side, …): a row with no name and nothing else is
    left out."""
    rows = []
    for i in range(PARTY_SLOTS):
        row = {f: post.get(f"p{i}_{f}", "") for f in PARTY_INPUTS}
        if any(row[f] for f in PARTY_INPUTS if f not in ("side", "kind")):
            rows.append(row)
    return rows


def party_slots(count: int = PARTY_SLOTS, post=None) -> list[dict[str, Any]]:
    """The party rows of the parties form: slot i with what was typed into it (`post`, the
    form sent back after an error) so that a refused form keeps every party's facts."""
    return [
        {
            "i": i,
            **{f: (post.get(f"p{i}_{f}", "") if post is not None else "") for f in PARTY_INPUTS},
        }
        for i in range(count)
    ]


def _form_context(post=None) -> dict[str, Any]:
    return {
        "types": MediationType.objects.filter(active=True),
        "sides": DisputeParty.Side.choices,
        "party_kinds": DisputeParty.Kind.choices,
        "sexes": DisputeParty.Sex.choices,
        "risks": Dispute.Risk.choices,
        "hearings": Dispute.Hearing.choices,
        "slots": party_slots(post=post),
        "client_key": uuid.uuid4().hex,
    }


# --- the register ------------------------------------------------------------------------------


@page("mediation")
@require_GET
def register(request):
    """The register: lines (number, type, state, dates, the overdue mark on the working
    calendar), filtered; no names and no content on this page for anyone."""
    state = request.GET.get("state", "")[:20]
    type_code = request.GET.get("type", "")[:20]
    overdue = request.GET.get("overdue") == "1"
    number = request.GET.get("number", "")[:30].strip()
    rows = selectors.filtered(
        request.user, state=state, type_code=type_code, overdue=overdue, number=number
    )
    pager = Paginator(rows, 50)
    page_no = request.GET.get("page", "1")
    current = pager.get_page(page_no if page_no.isascii() and page_no.isdigit() else 1)
    reach = policies.mediation_reach(request.user)
    return render(
        request,
        "web/mediation/register.html",
        {
            "active_page": "mediation",
            "lines": [selectors.register_line(d) for d in current.object_list],
            "page_obj": current,
            "query": query_without_page(request),
            "states": Dispute.State.choices,
            "types": MediationType.objects.all(),
            "filters": {"state": state, "type": type_code, "overdue": overdue, "number": number},
            "may_register": bool(reach.mediator_units),
        },
    )


# --- a dispute ---------------------------------------------------------------------------------


def _added_party_slot(post) -> list[dict[str, Any]]:
    """The add-a-party form's one row: what was typed when refused, else a respondent."""
    slot = party_slots(1, post=post)
    slot[0]["side"] = slot[0]["side"] or DisputeParty.Side.RESPONDENT
    return slot


def _dispute_context(request, dispute: Dispute, *, form: str = "", error=None, values=None):
    content = selectors.content_of(
        request.user,
        dispute,
        channel=access_log.Channel.PAGE,
        path=request.path,
        with_agreement=True,
    )
    may_act = policies.may_act_on_dispute(request.user, dispute)
    committee_mediators = (
        services.mediators_of(dispute.committee)
        if may_act and dispute.committee is not None
        else []
    )
    errors: dict[str, dict[str, str]] = {}
    if error is not None:
        errors[form] = {error.field or "form": str(error.message)}
    return {
        "active_page": "mediation",
        "dispute": dispute,
        "line": selectors.register_line(dispute),
        "content": content,
        # The permissions the page (and the agreement include) act on.
        "may_read": content is not None,
        "may_act": may_act,
        "may_withdraw": services.may_withdraw(request.user, dispute),
        "committee_mediators": committee_mediators,
        "referrals": Dispute.Referral.choices,
        "hearings": Dispute.Hearing.choices,
        "is_open": dispute.state in services.OPEN_STATES,
        "performances": FollowUp.Performance.choices,
        "in_mediation": dispute.state in services.IN_MEDIATION,
        "can_extend": dispute.state in services.IN_MEDIATION and dispute.extended_on is None,
        "errors": errors,
        # The add-a-party form: one row, with what was typed when it was refused.
        "party_slot": _added_party_slot(values if form == "party" else None),
        "sides": DisputeParty.Side.choices,
        "party_kinds": DisputeParty.Kind.choices,
        "sexes": DisputeParty.Sex.choices,
        "values": values or {},
        # What was typed into the refused form, under its name, so that only that form keeps it.
        "kept": {form: values or {}} if form else {},
        "client_key": uuid.uuid4().hex,
    }


@page("mediation")
@require_GET
def dispute_page(request, dispute_id: str):
    dispute = _dispute_or_404(request, dispute_id)
    return render(request, "web/mediation/dispute.html", _dispute_context(request, dispute))


def _run(request, dispute: Dispute, form: str, values: dict[str, Any]) -> Any:
    p = request.POST
    by = request.user
    if form == "accept":
        return services.accept(by=by, dispute=dispute)
    if form == "decline":
        return services.decline(by=by, dispute=dispute, reason=p.get("reason", ""))
    if form == "assign":
        return services.assign_mediators(
            by=by,
            dispute=dispute,
            mediators=p.getlist("mediators"),
            lead=p.get("lead", ""),
            chosen_by_parties=p.get("chosen_by_parties") == "1",
        )
    if form == "refuse":
        return services.refuse_mediator(
            by=by, dispute=dispute, mediator=p.get("mediator", ""), reason=p.get("reason", "")
        )
    if form == "hearing":
        return services.set_public_hearing(
            by=by, dispute=dispute, public_hearing=p.get("public_hearing", "")
        )
    if form == "session":
        return services.record_session(
            by=by,
            dispute=dispute,
            held_at=p.get("held_at", ""),
            place=p.get("place", ""),
            attendees=p.get("attendees", ""),
            notes=p.get("notes", ""),
            idempotency_key=p.get("client_key", ""),
        )
    if form == "fail":
        return services.fail(
            by=by,
            dispute=dispute,
            reason=p.get("reason", ""),
            referral=p.get("referral", ""),
            referral_note=p.get("referral_note", ""),
        )
    if form == "follow_up":
        return services.record_follow_up(
            by=by,
            dispute=dispute,
            visited_at=p.get("visited_at", ""),
            performance=p.get("performance", ""),
            note=p.get("note", ""),
            idempotency_key=p.get("client_key", ""),
        )
    if form == "close":
        return services.close(by=by, dispute=dispute)
    if form == "withdraw":
        return services.withdraw(by=by, dispute=dispute, reason=p.get("reason", ""))
    if form == "party":
        found = parties_from(p)
        return services.add_party(by=by, dispute=dispute, party=found[0] if found else {})
    if form == "extend":
        return services.extend(
            by=by, dispute=dispute, reason=p.get("reason", ""), until=p.get("until", "")
        )
    raise Http404(_("No such form."))


FORMS: tuple[str, ...] = ("accept", "decline", "assign", "session", "fail", "follow_up", "close")
FORMS += ("withdraw", "extend", "party", "refuse", "hearing")


@page("mediation")
@require_POST
def dispute_act(request, dispute_id: str, form: str):
    if form not in FORMS:
        raise Http404(_("No such form."))
    dispute = _dispute_or_404(request, dispute_id)
    values = {k: request.POST.get(k, "") for k in request.POST if k != "csrfmiddlewaretoken"}
    try:
        _run(request, dispute, form, values)
    except DomainError as error:
        dispute.refresh_from_db()
        context = _dispute_context(request, dispute, form=form, error=error, values=values)
        return render(request, "web/mediation/dispute.html", context, status=error.status)
    messages.success(request, _("Saved."))
    return redirect("web:mediation_dispute", dispute_id=dispute.pk)


# --- registering -------------------------------------------------------------------------------


def _mediator_communities(user) -> list[AdminUnit]:
    """The communities whose disputes a mediator registers: their committee's community, or
    every community of their street."""
    units = policies.mediation_reach(user).mediator_units
    return list(
        AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY)
        .filter(Q(pk__in=units) | Q(parent_id__in=units))
        .order_by("code")
    )


@page("mediation")
@require_http_methods(["GET", "POST"])
def register_new(request):
    """A walk-in at the committee or a referred matter, registered by a mediator."""
    communities = _mediator_communities(request.user)
    context = {
        "active_page": "mediation",
        "communities": communities,
        **_form_context(),
        "values": {},
        "error": None,
    }
    if request.method == "POST":
        p = request.POST
        context["values"] = p
        context["slots"] = party_slots(post=p)
        try:
            community = next((c for c in communities if str(c.pk) == p.get("community")), None)
            if community is None:
                raise NotFound(_("No such community."), field="community")
            dispute = services.register_at_committee(
                by=request.user,
                community=community,
                type=p.get("type", ""),
                title=p.get("title", ""),
                facts=p.get("facts", ""),
                claims=p.get("claims", ""),
                risk=p.get("risk", ""),
                parties=parties_from(p),
                referred=p.get("source") == Dispute.Source.REFERRED,
                public_hearing=p.get("public_hearing", ""),
                idempotency_key=p.get("client_key", ""),
            )
        except DomainError as error:
            context["error"] = error
            context["client_key"] = p.get("client_key", "") or context["client_key"]
            return render(request, "web/mediation/new.html", context, status=error.status)
        return redirect("web:mediation_dispute", dispute_id=dispute.pk)
    return render(request, "web/mediation/new.html", context)


def referral_session_key(case) -> str:
    return f"mediation-referral-{case.pk}"


@require_POST
@access.signed_in
def refer_case(request, ref: str):
    """The case page's "转人民调解" form."""
    try:
        case = case_selectors.get_case(request.user, ref)
    except NotFound:
        raise Http404(_("No such case.")) from None
    p = request.POST
    try:
        dispute = services.refer_case(
            by=request.user,
            case=case,
            type=p.get("type", ""),
            title=p.get("title", ""),
            facts=p.get("facts", ""),
            claims=p.get("claims", ""),
            risk=p.get("risk", ""),
            parties=parties_from(p),
            idempotency_key=p.get("client_key", ""),
        )
    except DomainError as error:
        from ..templatetags.onegrid_forms import naming_field

        why = naming_field(error.message, error.field)
        # The case page's form opens again with what was typed and the error (once).
        kept = {k: v for k, v in p.items() if k != "csrfmiddlewaretoken" and len(v) <= 20000}
        kept["_error"] = _("Not referred to mediation: %(why)s") % {"why": why}
        request.session[referral_session_key(case)] = kept
        return redirect(reverse("web:case", kwargs={"ref": case.number}) + "#refer-mediation")
    messages.success(
        request, _("Referred to mediation as %(number)s.") % {"number": dispute.number}
    )
    if policies.may_open_page(request.user, "mediation"):
        return redirect("web:mediation_dispute", dispute_id=dispute.pk)
    return redirect("web:case", ref=case.number)


@page("resident")
@require_http_methods(["GET", "POST"])
def resident_mediation(request):
    """A resident applies for mediation and follows their applications' state."""
    context = {
        "active_page": "resident",
        "may_apply": policies.may_apply_for_mediation(request.user),
        "applications": selectors.my_applications(request.user)[:50],
        "communities": AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY)
        .select_related("parent")
        .order_by("code"),
        **_form_context(),
        "values": {},
        "error": None,
        "home_community": home_community(request.user),
    }
    if request.method == "POST":
        p = request.POST
        context["values"] = p
        context["slots"] = party_slots(post=p)
        try:
            if p.get("withdraw"):
                found = (
                    selectors.my_applications(request.user)
                    .filter(
                        pk=int(p["withdraw"])
                        if p["withdraw"].isascii()
                        and p["withdraw"].isdigit()
                        and len(p["withdraw"]) < 10
                        else 0
                    )
                    .first()
                )
                if found is None:
                    raise NotFound(_("No such dispute."), field="withdraw")
                services.withdraw(by=request.user, dispute=found, reason=p.get("reason", ""))
                return redirect("web:resident_mediation")
            code = p.get("community", "")
            community = (
                AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY, pk=int(code)).first()
                if code.isascii() and code.isdigit() and len(code) < 10
                else None
            )
            if community is None:
                raise NotFound(_("No such community."), field="community")
            services.apply_as_resident(
                by=request.user,
                community=community,
                type=p.get("type", ""),
                title=p.get("title", ""),
                facts=p.get("facts", ""),
                claims=p.get("claims", ""),
                parties=parties_from(p),
                public_hearing=p.get("public_hearing", ""),
                idempotency_key=p.get("client_key", ""),
            )
        except DomainError as error:
            context["error"] = error
            context["client_key"] = p.get("client_key", "") or context["client_key"]
            return render(request, "web/mediation/resident.html", context, status=error.status)
        messages.success(request, _("Your application was registered."))
        return redirect("web:resident_mediation")
    return render(request, "web/mediation/resident.html", context)


routes = [
    path("mediation/", register, name="mediation"),
    path("mediation/new/", register_new, name="mediation_new"),
    path("mediation/disputes/<str:dispute_id>/", dispute_page, name="mediation_dispute"),
    path("mediation/disputes/<str:dispute_id>/<str:form>/", dispute_act, name="mediation_act"),
    path("cases/<str:ref>/mediation/", refer_case, name="case_mediation"),
    path("resident/mediation/", resident_mediation, name="resident_mediation"),
]
