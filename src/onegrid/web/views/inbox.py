"""The department inbox: the tasks sent to my department, soonest deadline first, a page at a
time, and the same list as a CSV or XLSX download (`?format=csv|xlsx`, web.downloads)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.cases import calendar, overrides, selectors
from onegrid.cases.models import Task
from onegrid.core import clock

from .. import access, downloads
from .console import TIMER_LABELS
from .paging import query_without_page

if TYPE_CHECKING:
    from django.db.models import QuerySet

TABS = {
    "all": (gettext_lazy("All to do"), None),
    # 吹哨报到: the street summoned us; report in before the report-in deadline.
    "summoned": (gettext_lazy("To report in"), Task.State.SUMMONED),
    "new": (gettext_lazy("To sign for"), Task.State.DISPATCHED),
    "doing": (gettext_lazy("In progress"), Task.State.IN_PROGRESS),
    "extension": (gettext_lazy("Extension asked"), Task.State.EXTENSION_REQUESTED),
}
PAGE_SIZE = 50


def _tasks(request, tab: str) -> QuerySet[Task]:
    """The tab's tasks of the viewer's departments (cases.selectors.department_tasks), soonest
    deadline first: the page and its download both read this one queryset."""
    tasks = selectors.department_tasks(request.user)
    if TABS[tab][1]:
        tasks = tasks.filter(state=TABS[tab][1])
    return tasks.order_by("due_at", "pk")


@access.page("inbox")
def inbox(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "all"
    tasks = _tasks(request, tab)
    return downloads.download_or_page(
        request,
        page=lambda: _page(request, tab, tasks),
        download=lambda fmt: _download(request, tab, fmt, tasks),
    )


def _page(request, tab, tasks):
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    rows = [
        {
            "task": t,
            "case": t.case,
            "state_label": Task.State(t.state).label,
            "role_label": Task.Role(t.role).label,
            # On the calendar of the case's district ("" while no district has days of its own).
            "colour": calendar.timer_colour(
                t.dispatched_at, t.due_at, now, overrides.calendar_district(t.case)
            ),
            # A summoned department's first clock: the report-in deadline.
            "report_in_colour": calendar.timer_colour(
                t.dispatched_at, t.report_in_due_at, now, overrides.calendar_district(t.case)
            )
            if t.state == Task.State.SUMMONED and t.report_in_due_at
            else None,
            "key": uuid.uuid4().hex,
        }
        for t in page.object_list
    ]
    context = {
        "tab": tab,
        "tabs": [(key, label) for key, (label, _s) in TABS.items()],
        "rows": rows,
        "page": page,
        "query": query_without_page(request),
        "downloads": downloads.download_links(request),
    }
    return render(request, "web/inbox.html", context)


# The download's columns: what the inbox's table shows.
EXPORT_COLUMNS = [
    ("due", gettext_lazy("Deadline")),
    ("timer", gettext_lazy("Timer")),
    ("overdue", gettext_lazy("Overdue")),
    ("number", gettext_lazy("Case")),
    ("class_name", gettext_lazy("Class")),
    ("grid", gettext_lazy("Grid")),
    ("address", gettext_lazy("Address")),
    ("role", gettext_lazy("Our part")),
    ("state", gettext_lazy("State")),
]


def _download(request, tab: str, fmt: str, tasks: QuerySet[Task]):
    what = _("tasks")  # the file name's first word
    return downloads.table_download(
        request,
        fmt=fmt,
        filename=f"{what}-{TABS[tab][0]}-{downloads.stamp()}",
        columns=EXPORT_COLUMNS,
        rows=_export_rows(tasks),
        total=tasks.count(),  # refused there over ONEGRID["EXPORT_MAX_ROWS"]
        sheet_title=str(TABS[tab][0]),
    )


def _export_rows(tasks: QuerySet[Task]) -> Iterator[dict[str, object]]:
    now = clock.now()
    for t in tasks.iterator(chunk_size=2000):
        colour = calendar.timer_colour(
            t.dispatched_at, t.due_at, now, overrides.calendar_district(t.case)
        )
        yield {
            "due": t.due_at,
            "timer": TIMER_LABELS.get(colour or "", ""),
            "overdue": t.overdue,
            "number": t.case.number,
            "class_name": t.case.case_class.name,
            "grid": t.case.grid.name,
            "address": t.case.address,
            "role": Task.Role(t.role).label,
            "state": Task.State(t.state).label,
        }
