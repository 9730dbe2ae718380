"""Errors that name their field by its label: `{{ message|naming_field:field }}` reads
"地点：此项为必填项。" (the field's label in the page's language, then the message) where a
page would otherwise show the message alone or the field's internal name ("(place)"). Used by
the mediation, screening, risk, legal-advice and deliberation pages."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

register = template.Library()


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
    # Resident deliberation (the desk, the topic page, ballots, decisions, the resident's page)
    "body": gettext_lazy("What is proposed and why"),
    "scope": gettext_lazy("Whom it concerns"),
    "building": gettext_lazy("Building"),
    "household": gettext_lazy("Standard address code"),
    "method": gettext_lazy("How identity was checked"),
    "adult_resident": gettext_lazy("18 or older, lives in the place"),
    "chaired_by": gettext_lazy("Chaired by"),
    "minutes": gettext_lazy("Minutes"),
    "participants": gettext_lazy("Participants (one per line)"),
    "participant_count": gettext_lazy("Number of participants"),
    "estimated_cost": gettext_lazy("Estimated cost (yuan)"),
    "proposal": gettext_lazy("Proposal"),
    "mode": gettext_lazy("How votes are cast"),
    "counting": gettext_lazy("Who counts"),
    "opens_at": gettext_lazy("Opens at (empty: now)"),
    "closes_at": gettext_lazy("Closes at"),
    "quorum": gettext_lazy("Quorum (share of the electorate voting or present)"),
    "majority": gettext_lazy("Majority (share of the votes cast for)"),
    "present": gettext_lazy("Present"),
    "votes_for": gettext_lazy("For"),
    "votes_against": gettext_lazy("Against"),
    "abstentions": gettext_lazy("Abstain"),
    "choice": gettext_lazy("Your vote"),
    "text": gettext_lazy("What was decided"),
    "budget": gettext_lazy("Budget (yuan)"),
    "spent": gettext_lazy("Spent so far (yuan)"),
    "undertaker": gettext_lazy("Carried out by"),
    "due_on": gettext_lazy("Due on"),
    "milestone": gettext_lazy("Milestone"),
    "class_code": gettext_lazy("Class"),
    "address_code": gettext_lazy("Standard address code"),
    "grid_code": gettext_lazy("Grid"),
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
