"""The case page's "转人民调解" (refer to people's mediation) box: whether the viewer may refer
the case (org.policies.may_refer_case_to_mediation), and the dispute once referred (its number
only, a register line: the case page shows no mediation content)."""

from __future__ import annotations

import uuid
from typing import Any

from django import template

from onegrid.mediation.models import Dispute, DisputeParty, MediationType
from onegrid.org import policies

from ..views.mediation import party_slots, referral_session_key
from .onegrid_forms import field_label, naming_field

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


# The forms' error filters, here too for the templates that load this library.
register.filter("field_label", field_label)
register.filter("naming_field", naming_field)
