"""The case page: timeline, photos, deadline, and the actions the viewer may take now."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onegrid.cases import selectors, services
from onegrid.core.errors import DomainError, NotFound

from .. import access
from ..case_page import case_context, submitted_values


@access.signed_in
def case_page(request, ref):
    case = _case_or_404(request, ref)
    return render(request, "web/case.html", case_context(request, case))


@require_POST
@access.signed_in
def case_action(request, ref, action):
    """Run one workflow action from a form; on a refusal, show the page again with the error
    next to the field and everything the user typed still in place."""
    case = _case_or_404(request, ref)
    values = submitted_values(request.POST)
    params = {k: v for k, v in values.items() if k not in ("reason", "idempotency_key")}
    if params.get("co_departments"):
        params["co_departments"] = list(params["co_departments"])
    else:
        params.pop("co_departments", None)
    try:
        outcome = services.perform_action(
            actor=request.user,
            case_id=case.pk,
            action=action,
            reason=values.get("reason", ""),
            params={k: v for k, v in params.items() if v not in ("", None)},
            photo_files=request.FILES.getlist("photos"),
            idempotency_key=values.get("idempotency_key") or None,
        )
    except DomainError as error:
        context = case_context(request, case, failed=(action, error, values))
        return render(request, "web/case.html", context, status=error.status)
    messages.success(
        request,
        _("Done: %(action)s.") % {"action": selectors.action_label(action)},
    )
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return redirect(next_url)
    return redirect("web:case", ref=outcome.case.number)


def _case_or_404(request, ref):
    try:
        return selectors.get_case(request.user, ref)
    except NotFound:
        raise Http404(_("No such case.")) from None
