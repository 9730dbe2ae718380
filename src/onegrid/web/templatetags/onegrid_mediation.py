"""The case page's "转人民调解" (refer to people's mediation) box: whether the viewer may refer
the case (org.policies.may_refer_case_to_mediation), and the dispute once referred (its number
only, a register line: the case page shows no mediation content)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from onegrid.mediation.models import Dispute, DisputeParty, MediationType
from onegrid.org import policies

from ..views.mediation import party_slots, referral_session_key

register = template.Library()


@register.simple_tag(takes_context=True)
def mediation_referral(context, case) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or case is None:
        return {"may_refer": False}
    place = policies.Place(case.grid_id, case.community_id, case.street_id)
    if not policies.may_refer_case_to_mediation(user, place):
        return {"may_refer": False}
    existing = Dispute.objects.filter(case_id=case.pk).only("pk", "number", "state").first()
    # A referral refused a moment ago (web.views.mediation.refer_case keeps what was typed in
    # the session, once): the form opens again with it and the error.
    kept = request.session.pop(referral_session_key(case), None) if existing is None else None
    kept = kept if isinstance(kept, dict) else None
    return {
        "kept": kept or {},
        "error": (kept or {}).get("_error", ""),
        "may_refer": existing is None,
        "existing": existing,
        "may_open": policies.may_open_page(user, "mediation"),
        "types": MediationType.objects.filter(active=True),
        "sides": DisputeParty.Side.choices,
        "party_kinds": DisputeParty.Kind.choices,
        "sexes": DisputeParty.Sex.choices,
        "risks": Dispute.Risk.choices,
        "slots": party_slots(2, post=kept),
        "client_key": uuid.uuid4().hex,
    }


# The fields of the mediation, screening, risk and legal-advice forms, as their labels read, so
# that an error names the field in the page's language ("地点：此字段为必填项。"), never by its
# internal name ("(place)").
_FIELD_LABELS: dict[str, Any] = {
    "held_at": gettext_lazy("held at"),
    "place": gettext_lazy("place"),
    "attendees": gettext_lazy("who attended"),
    "notes": gettext_lazy("record of the session"),
    "reason": gettext_lazy("reason"),
    "referral": gettext_lazy("referred to"),
    "referral_note": gettext_lazy("referral note"),
    "until": gettext_lazy("extended to"),
    "visited_at": gettext_lazy("visited at"),
    "performance": gettext_lazy("performance"),
    "note": gettext_lazy("note"),
    "type": gettext_lazy("type"),
    "title": gettext_lazy("title"),
    "facts": gettext_lazy("facts"),
    "claims": gettext_lazy("what the parties ask for"),
    "risk": gettext_lazy("risk"),
    "community": gettext_lazy("community"),
    "source": gettext_lazy("source"),
    "parties": gettext_lazy("Parties"),
    "mediators": gettext_lazy("Assign mediators"),
    "lead": gettext_lazy("lead mediator"),
    "court": gettext_lazy("court"),
    "applied_on": gettext_lazy("applied on"),
    "ruled_on": gettext_lazy("ruled on"),
    "ruling_number": gettext_lazy("ruling number"),
    "confirmed": gettext_lazy("The court's ruling"),
    "effective_on": gettext_lazy("took effect on"),
    "copies": gettext_lazy("copies"),
    "matters": gettext_lazy("matters in dispute"),
    "responsibilities": gettext_lazy("each party's responsibility"),
    "terms": gettext_lazy("what was agreed"),
    "performance_manner": gettext_lazy("how it is performed"),
    "performance_deadline": gettext_lazy("performed by"),
    "side": gettext_lazy("side"),
    "kind": gettext_lazy("kind"),
    "name": gettext_lazy("name"),
    "sex": gettext_lazy("sex"),
    "age": gettext_lazy("age"),
    "ethnicity": gettext_lazy("ethnicity"),
    "occupation": gettext_lazy("occupation or employer"),
    "address": gettext_lazy("address"),
    "phone": gettext_lazy("phone"),
    "representative": gettext_lazy("legal representative"),
    "grid": gettext_lazy("Grid"),
    "level": pgettext_lazy("risk", "Level"),
    "owner": gettext_lazy("Owner's username (empty: me)"),
    "description": gettext_lazy("Description"),
    "resolution": gettext_lazy("How it was resolved"),
    "disputes_found": gettext_lazy("Disputes found"),
    "risk_level": gettext_lazy("Risk level"),
    "stable": gettext_lazy("Stable or unstable"),
    "month": gettext_lazy("Month"),
    "question": gettext_lazy("Your question"),
    "answer": gettext_lazy("Answer"),
    "legal_basis": gettext_lazy("Legal basis (law and article, optional)"),
    "applicant_name": gettext_lazy("Applicant's name"),
    "applicant_phone": gettext_lazy("Applicant's phone (optional)"),
    "respondent_name": gettext_lazy("Respondent's name (optional)"),
}
_PARTY_FIELD = re.compile(r"parties\[(\d{1,2})\](?:\.(\w+))?")


@register.filter
def field_label(field: object) -> str:
    """The label of a form's field named by an error (core.errors' `field`), in the page's
    language: `parties[1].age` is "第2方当事人 · 年龄"; a name it does not know is left out
    (the message stands alone) rather than shown as code."""
    name = str(field or "")
    if not name or name == "form":
        return ""
    party = _PARTY_FIELD.fullmatch(name)
    if party:
        which = _("Party %(n)d") % {"n": int(party.group(1)) + 1}
        part = _FIELD_LABELS.get(party.group(2) or "")
        return f"{which} · {part}" if part else which
    label = _FIELD_LABELS.get(name)
    return str(label) if label else ""


@register.filter
def naming_field(message: object, field: object) -> str:
    """An error's message led by the label of the field it names ("地点：此字段为必填项。");
    the message alone when the field has no label here."""
    label = field_label(field)
    if not label:
        return str(message)
    return _("%(field)s: %(message)s") % {"field": label, "message": message}
