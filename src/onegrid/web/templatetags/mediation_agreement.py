"""The tag of the mediation agreement on the dispute page.

* ``{% agreement_panel dispute as panel %}`` (web/mediation/_agreement.html on the dispute
  page): the dispute's agreement, its judicial confirmation, whether the window is open and
  what the viewer may record. It reads only for those org.policies.may_read_dispute allows; the
  dispute page records that read (mediation.selectors.content_of).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import template

from onegrid.core import clock
from onegrid.mediation import agreements
from onegrid.mediation.models import Agreement, Dispute
from onegrid.org import policies

register = template.Library()


@register.simple_tag(takes_context=True)
def agreement_panel(context: template.Context, dispute: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not isinstance(dispute, Dispute):
        return {"may_read": False}
    if not policies.may_read_dispute(user, dispute):
        return {"may_read": False}
    found = agreements.agreement_of(dispute)
    confirmation = getattr(found, "confirmation", None) if found else None
    today = clock.local_today()
    may_confirm = policies.may_record_judicial_confirmation(user, dispute)
    return {
        "may_read": True,
        "agreement": found,
        "confirmation": confirmation,
        "window_open": bool(found and found.effective_on <= today <= found.confirmation_deadline),
        "may_record": found is None
        and dispute.state in agreements.AGREEABLE
        and policies.may_record_agreement(user, dispute),
        "may_apply": found is not None and confirmation is None and may_confirm,
        "may_rule": confirmation is not None and confirmation.state == "applied" and may_confirm,
        "forms": Agreement.Form.choices,
        "default_copies": dispute.parties.count() + 1,
        "today": today,
        "client_key": uuid.uuid4().hex,
    }
