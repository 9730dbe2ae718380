"""The department inbox: the tasks sent to my department, soonest deadline first."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from onegrid.cases import calendar, selectors
from onegrid.cases.models import Task
from onegrid.core import clock

from .. import access

TABS = {
    "all": (_("All to do"), None),
    "new": (_("To sign for"), Task.State.DISPATCHED),
    "doing": (_("In progress"), Task.State.IN_PROGRESS),
    "extension": (_("Extension asked"), Task.State.EXTENSION_REQUESTED),
}


@access.page("inbox")
def inbox(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "all"
    tasks = selectors.department_tasks(request.user)
    if TABS[tab][1]:
        tasks = tasks.filter(state=TABS[tab][1])
    now = clock.now()
    rows = [
        {
            "task": t,
            "case": t.case,
            "state_label": Task.State(t.state).label,
            "role_label": Task.Role(t.role).label,
            "colour": calendar.timer_colour(t.dispatched_at, t.due_at, now),
        }
        for t in tasks[:200]
    ]
    context = {
        "tab": tab,
        "tabs": [(key, label) for key, (label, _s) in TABS.items()],
        "rows": rows,
    }
    return render(request, "web/inbox.html", context)
