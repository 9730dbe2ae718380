"""The street console: the incoming queue with timer colours, filters and duplicate hints."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from onegrid.cases import selectors, workflow
from onegrid.cases.models import Source

from .. import access
from .paging import query_without_page

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# The desk's work, one tab each: what waits for registration, for dispatch, for a decision
# on a department's request, for closing; then everything still open.
TABS: dict[str, tuple[StrPromise, dict[str, object]]] = {
    "incoming": (_("Incoming"), {"state": "reported,verifying"}),
    "dispatch": (_("To dispatch"), {"state": "registered"}),
    "returned": (_("Returned"), {"waiting": "returned"}),
    "extension": (_("Extension requests"), {"waiting": "extension"}),
    "handling": (_("With departments"), {"state": "dispatched,in_progress"}),
    "close": (_("To close"), {"state": "checked"}),
    "overdue": (_("Overdue"), {"open": True, "overdue": True}),
    "open": (_("All open"), {"open": True}),
    "all": (_("All"), {}),
}
PAGE_SIZE = 50


@access.page("console")
def queue(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "incoming"
    chosen = {
        "class_code": request.GET.get("class", "").strip() or None,
        "grid": request.GET.get("grid", "").strip() or None,
        "source": request.GET.get("source", "").strip() or None,
        "q": request.GET.get("q", "").strip() or None,
    }
    if request.GET.get("state") in workflow.STATE_LABELS:
        chosen["state"] = request.GET["state"]
    filters = selectors.CaseFilters(**{**TABS[tab][1], **{k: v for k, v in chosen.items() if v}})
    cases = selectors.list_cases(request.user, filters).order_by("-reported_at")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # Only the desks the table lets merge are offered merges (the command centre is not).
    mergeable = [c for c in rows if selectors.may_merge(request.user, c)]
    duplicates = selectors.duplicates_for_many(request.user, mergeable, limit=1)
    context = {
        "tab": tab,
        "tabs": [(key, label) for key, (label, _f) in TABS.items()],
        "page": page,
        "rows": [
            {
                "case": c,
                "state_label": workflow.STATE_LABELS.get(c.state, c.state),
                "source_label": Source(c.source).label,
                "colour": selectors.timer_colour(c),
                "due": (selectors.running_clock(c) or (None, None))[1],
                "duplicate": duplicates[c.pk][0][0] if c.pk in duplicates else None,
                "merge_key": uuid.uuid4().hex,
            }
            for c in rows
        ],
        "chosen": chosen,
        "states": list(workflow.STATE_LABELS.items()),
        "classes": selectors.active_classes(),
        "sources": Source.choices,
        "query": query_without_page(request),
    }
    return render(request, "web/console.html", context)
