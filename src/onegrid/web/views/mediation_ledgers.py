"""The registers (台账) as XLSX, for a judicial office and a mediation committee to keep and
print: the mediation register /mediation/register.xlsx (the register page's filters), the risk
register /mediation/risks/register.xlsx (the risk page's filters) and the month's screening of
each grid /mediation/risks/screening.xlsx?month=YYYY-MM.

The rows come from mediation.ledgers, scoped as the pages are (the mediation register's file
columns only for the disputes the reader may read, those reads recorded once per request);
web.downloads writes them (formula-like text kept as text, the count bounded before anything
is read in full).
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from onegrid.core.errors import InvalidInput
from onegrid.mediation import ledgers, selectors
from onegrid.mediation import screening as screening_rules
from onegrid.mediation.models import Risk

from .. import downloads
from ..access import page

REGISTER_COLUMNS = [
    ("number", gettext_lazy("Number")),
    ("type", gettext_lazy("Type")),
    ("source", gettext_lazy("Source")),
    ("street", gettext_lazy("Street")),
    ("community", gettext_lazy("Community")),
    ("committee", gettext_lazy("Mediation committee")),
    ("registered_at", pgettext_lazy("dispute", "Registered at")),
    ("accepted_at", gettext_lazy("Accepted at")),
    ("due_on", gettext_lazy("To be mediated by")),
    ("extended", gettext_lazy("Extended")),
    ("state", gettext_lazy("State")),
    ("overdue", gettext_lazy("Overdue")),
    ("outcome_at", gettext_lazy("Agreed or failed at")),
    ("closed_at", gettext_lazy("Closed at")),
    ("title", gettext_lazy("Brief of the dispute")),
    ("applicants", gettext_lazy("Applicants")),
    ("respondents", gettext_lazy("Respondents")),
    ("mediators", gettext_lazy("Mediators")),
    ("sessions", gettext_lazy("Sessions")),
    ("public_hearing", gettext_lazy("Held in public (as the parties asked)")),
    ("declined_reason", gettext_lazy("Why not accepted")),
    ("failure_reason", gettext_lazy("Why mediation failed")),
    ("referral", gettext_lazy("Referred to")),
    ("agreement_number", gettext_lazy("Agreement number")),
    ("agreement_form", gettext_lazy("Agreement form")),
    ("effective_on", gettext_lazy("Agreement took effect on")),
    ("confirmation_deadline", gettext_lazy("Judicial confirmation by")),
    ("confirmation", gettext_lazy("Judicial confirmation")),
    ("follow_ups", gettext_lazy("Follow-up visits")),
]

RISK_COLUMNS = [
    ("number", gettext_lazy("Number")),
    ("title", gettext_lazy("Title")),
    ("description", gettext_lazy("Description")),
    ("level", pgettext_lazy("risk", "Level")),
    ("state", gettext_lazy("State")),
    ("street", gettext_lazy("Street")),
    ("community", gettext_lazy("Community")),
    ("grid", gettext_lazy("Grid")),
    ("owner", gettext_lazy("Owner")),
    ("raised_at", gettext_lazy("Raised at")),
    ("escalated_at", gettext_lazy("Escalated at")),
    ("follow_ups", gettext_lazy("Follow-ups")),
    ("next_follow_up", gettext_lazy("Next follow-up")),
    ("overdue", gettext_lazy("Follow-up overdue")),
    ("resolved_at", gettext_lazy("Resolved at")),
    ("resolution", gettext_lazy("How it was resolved")),
]

SCREENING_COLUMNS = [
    ("month", gettext_lazy("Month")),
    ("street", gettext_lazy("Street")),
    ("community", gettext_lazy("Community")),
    ("grid_code", gettext_lazy("Grid code")),
    ("grid", gettext_lazy("Grid")),
    ("screened", gettext_lazy("Screened")),
    ("screened_at", gettext_lazy("Screened at")),
    ("screened_by", gettext_lazy("Screened by")),
    ("disputes_found", gettext_lazy("Disputes found")),
    ("registered", gettext_lazy("Disputes registered for mediation")),
    ("risk_level", gettext_lazy("Risk level")),
    ("stable", gettext_lazy("Stable")),
    ("risks_raised", gettext_lazy("Risks raised")),
    ("note", gettext_lazy("Note")),
]


@page("mediation")
@require_GET
def mediation_register(request):
    """The mediation register as XLSX, under the register page's filters."""
    filters = {
        "state": request.GET.get("state", "")[:20],
        "type_code": request.GET.get("type", "")[:20],
        "overdue": request.GET.get("overdue") == "1",
        "number": request.GET.get("number", "")[:30].strip(),
    }
    refusal = downloads.too_many_rows(selectors.filtered(request.user, **filters).count())
    if refusal is not None:
        return downloads.refusal_response(request, refusal)
    rows = ledgers.mediation_register(request.user, path=request.path, **filters)
    return downloads.table_download(
        request,
        fmt="xlsx",
        filename=_("mediation-register-%(stamp)s") % {"stamp": downloads.stamp()},
        columns=REGISTER_COLUMNS,
        rows=rows,
        sheet_title=_("Mediation register"),
    )


def _choice(value: str, choices) -> str:
    return value if value in {v for v, _label in choices} else ""


@page("risks")
@require_GET
def risk_register(request):
    """The risk register as XLSX, under the risk page's filters (open risks by default)."""
    level = _choice(request.GET.get("level", ""), Risk.RiskLevel.choices)
    state = request.GET.get("state", "open")
    state = _choice(state, Risk.State.choices) if state else ""
    limit = downloads.max_rows()
    rows = ledgers.risk_register(request.user, level=level, state=state, limit=limit + 1)
    return downloads.table_download(
        request,
        fmt="xlsx",
        filename=_("risk-register-%(stamp)s") % {"stamp": downloads.stamp()},
        columns=RISK_COLUMNS,
        rows=rows,
        sheet_title=_("Risk register"),
    )


@page("risks")
@require_GET
def month_screening(request):
    """Every grid the reader follows, screened or not, for `?month=YYYY-MM` (this month by
    default)."""
    text = request.GET.get("month", "")
    try:
        month = screening_rules.parse_month(text) if text else screening_rules.current_month()
    except InvalidInput as error:
        refusal = downloads.DownloadRefused(str(error.message), field="month")
        return downloads.refusal_response(request, refusal)
    return downloads.table_download(
        request,
        fmt="xlsx",
        filename=_("screening-%(month)s") % {"month": month.strftime("%Y-%m")},
        columns=SCREENING_COLUMNS,
        rows=ledgers.month_screening(request.user, month),
        sheet_title=_("Screening %(month)s") % {"month": month.strftime("%Y-%m")},
    )


routes = [
    path("mediation/register.xlsx", mediation_register, name="mediation_register_xlsx"),
    path("mediation/risks/register.xlsx", risk_register, name="risk_register_xlsx"),
    path("mediation/risks/screening.xlsx", month_screening, name="screening_xlsx"),
]
