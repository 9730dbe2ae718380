"""The street console: the incoming queue with timer colours, filters and duplicate hints, and
the same list as a CSV or XLSX download (`?format=csv|xlsx`, web.downloads)."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.cases import selectors, workflow
from onegrid.cases.models import Case, Source
from onegrid.smart import duplicates as likely

from .. import access, downloads
from ..case_page import SATISFACTION_LABELS
from .paging import query_without_page

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import StrPromise

# The desk's work, one tab each: what waits for registration, for dispatch, for a decision
# on a department's request, for closing; then everything still open.
TABS: dict[str, tuple[StrPromise, dict[str, object]]] = {
    "incoming": (gettext_lazy("Incoming"), {"state": "reported,verifying"}),
    "dispatch": (gettext_lazy("To dispatch"), {"state": "registered"}),
    "returned": (gettext_lazy("Returned"), {"waiting": "returned"}),
    "extension": (gettext_lazy("Extension requests"), {"waiting": "extension"}),
    "handling": (gettext_lazy("With departments"), {"state": "dispatched,in_progress"}),
    "close": (gettext_lazy("To close"), {"state": "checked"}),
    # Reporters who rated their case unsatisfied, waiting for a call back (cases.selectors.
    # callback_queue): only for those who work that queue.
    "callback": (gettext_lazy("To call back"), {"callback_needed": True}),
    "overdue": (gettext_lazy("Overdue"), {"open": True, "overdue": True}),
    "open": (gettext_lazy("All open"), {"open": True}),
    "all": (gettext_lazy("All"), {}),
}
PAGE_SIZE = 50
# The free-text filters: query parameter, CaseFilters field, label, longest value accepted.
TEXT_FILTERS = [
    ("class", "class_code", gettext_lazy("Class"), 20),
    ("grid", "grid", gettext_lazy("Grid code"), 32),
    ("source", "source", gettext_lazy("Source"), 20),
    ("q", "q", gettext_lazy("Search"), 100),
]
TIMER_LABELS = {
    "green": gettext_lazy("green light"),
    "yellow": gettext_lazy("yellow light"),
    "red": gettext_lazy("red light"),
}


CALLBACK_TAB = "callback"


def _tabs(user) -> list[str]:
    """The tabs `user` sees: the call-back queue only for call-back staff, shift leads and the
    command centre."""
    works_callbacks = selectors.may_work_callback_queue(user)
    return [key for key in TABS if key != CALLBACK_TAB or works_callbacks]


def _filters(request) -> tuple[str, dict[str, str | None], dict[str, str]]:
    """The tab, the chosen filters and the errors (parameter → message) of the request: a
    value too long or holding control characters is refused, not searched for."""
    wanted = request.GET.get("tab")
    tab = wanted if wanted in TABS and wanted in _tabs(request.user) else "incoming"
    chosen: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for param, field, label, longest in TEXT_FILTERS:
        value = request.GET.get(param, "").strip()
        if len(value) > longest:
            errors[param] = _("%(field)s: at most %(max)s characters.") % {
                "field": label,
                "max": longest,
            }
        elif any(unicodedata.category(ch) == "Cc" for ch in value):
            errors[param] = _("%(field)s: control characters are not allowed.") % {"field": label}
        chosen[field] = None if param in errors else (value or None)
    if request.GET.get("state") in workflow.STATE_LABELS:
        chosen["state"] = request.GET["state"]
    return tab, chosen, errors


def _cases(request, tab: str, chosen: dict[str, str | None]) -> QuerySet[Case]:
    """The queue's cases, newest first: the viewer's scope (cases.selectors.list_cases), the
    tab and the filters. The page and its download both read this one queryset."""
    given = {k: v for k, v in chosen.items() if v}
    # The tabs' and the form's values are CaseFilters fields of their types (TABS, _filters).
    filters = selectors.CaseFilters(**{**TABS[tab][1], **given})  # type: ignore[arg-type]
    cases = selectors.list_cases(request.user, filters)
    if tab == CALLBACK_TAB:  # longest waiting first, as cases.selectors.callback_queue
        return cases.order_by("rated_at", "pk")
    return cases.order_by("-reported_at", "-pk")


@access.page("console")
def queue(request):
    tab, chosen, errors = _filters(request)
    if errors:
        param, message = next(iter(errors.items()))
        if downloads.FORMAT_PARAM in request.GET:
            refusal = downloads.DownloadRefused(message, field=param)
            return downloads.refusal_response(request, refusal)
        return _page(request, tab, chosen, Case.objects.none(), errors=errors)
    cases = _cases(request, tab, chosen)
    return downloads.download_or_page(
        request,
        page=lambda: _page(request, tab, chosen, cases),
        download=lambda fmt: _download(request, tab, fmt, cases),
    )


def _page(request, tab, chosen, cases, *, errors=None):
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # Only the desks the table lets merge are offered merges (the command centre is not).
    mergeable = [c for c in rows if selectors.may_merge(request.user, c)]
    duplicates = likely.for_many(request.user, mergeable, limit=1)
    context = {
        "tab": tab,
        "tabs": [(key, TABS[key][0]) for key in _tabs(request.user)],
        "callbacks_waiting": selectors.callback_queue(request.user).count()
        if selectors.may_work_callback_queue(request.user)
        else None,
        "page": page,
        "rows": [
            {
                "case": c,
                "state_label": workflow.STATE_LABELS.get(c.state, c.state),
                "source_label": Source(c.source).label,
                "satisfaction_label": SATISFACTION_LABELS.get(c.satisfaction, ""),
                "colour": selectors.timer_colour(c),
                "due": (selectors.running_clock(c) or (None, None))[1],
                "duplicate": duplicates[c.pk][0].case if c.pk in duplicates else None,
                "merge_key": uuid.uuid4().hex,
            }
            for c in rows
        ],
        "chosen": chosen,
        "errors": errors or {},
        "states": list(workflow.STATE_LABELS.items()),
        "classes": selectors.active_classes(),
        "sources": Source.choices,
        "query": query_without_page(request),
        "downloads": downloads.download_links(request),
    }
    return render(request, "web/console.html", context, status=400 if errors else 200)


# The download's columns: what the page's table shows, one fact a column (no phone, no
# reporter, no description: the queue does not show them).
EXPORT_COLUMNS = [
    ("number", gettext_lazy("Case")),
    ("class_code", gettext_lazy("Class code")),
    ("class_name", gettext_lazy("Class")),
    ("state", gettext_lazy("State")),
    ("timer", gettext_lazy("Timer")),
    ("due", gettext_lazy("Due")),
    ("overdue", gettext_lazy("Overdue")),
    ("street", gettext_lazy("Street")),
    ("community", gettext_lazy("Community")),
    ("grid", gettext_lazy("Grid")),
    ("grid_code", gettext_lazy("Grid code")),
    ("source", gettext_lazy("Source")),
    ("reported_at", gettext_lazy("Reported at")),
]


def _download(request, tab: str, fmt: str, cases: QuerySet[Case]):
    """Every page of the queue as one file, counted first (table_download refuses it over
    ONEGRID["EXPORT_MAX_ROWS"]) and then streamed from the database in chunks."""
    what = _("cases")  # the file name's first word
    return downloads.table_download(
        request,
        fmt=fmt,
        filename=f"{what}-{TABS[tab][0]}-{downloads.stamp()}",
        columns=EXPORT_COLUMNS,
        rows=_export_rows(cases),
        total=cases.count(),
        sheet_title=str(TABS[tab][0]),
    )


# What the download reads of each case and its places: the columns and the running clock.
EXPORT_FIELDS = (
    "number",
    "state",
    "source",
    "overdue",
    "reported_at",
    "registered_at",
    "dispatch_due_at",
    "dispatched_at",
    "due_at",
    "fed_back_at",
    "check_due_at",
    "case_class__code",
    "case_class__name",
    "street__name",
    "community__name",
    "grid__name",
    "grid__code",
)


def _export_rows(cases: QuerySet[Case]) -> Iterator[dict[str, object]]:
    cases = cases.select_related(None).select_related("case_class", "street", "community", "grid")
    for c in cases.only(*EXPORT_FIELDS).iterator(chunk_size=2000):
        colour = selectors.timer_colour(c)
        yield {
            "number": c.number,
            "class_code": c.case_class.code,
            "class_name": c.case_class.name,
            "state": workflow.STATE_LABELS.get(c.state, c.state),
            "timer": TIMER_LABELS.get(colour or "", ""),
            "due": (selectors.running_clock(c) or (None, None))[1],
            "overdue": c.overdue,
            "street": c.street.name,
            "community": c.community.name,
            "grid": c.grid.name,
            "grid_code": c.grid.code,
            "source": Source(c.source).label,
            "reported_at": c.reported_at,
        }
