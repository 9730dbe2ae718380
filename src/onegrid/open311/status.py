"""Workflow states as Open311 sees them: GeoReport v2's `open`/`closed`, the OneGrid state as
the extended status, and mySociety's update statuses (FixMyStreet's additional states).

| OneGrid state | status | extended_status | update status (servicerequestupdates) |
|---|---|---|---|
| reported | open | reported | OPEN |
| verifying | open | verifying | INVESTIGATING |
| registered | open | registered | ACTION_SCHEDULED |
| dispatched | open | dispatched | ACTION_SCHEDULED |
| in_progress | open | in_progress | IN_PROGRESS |
| checking | open | checking | IN_PROGRESS |
| checked | open | checked | IN_PROGRESS |
| closed | closed | closed | FIXED |
| self_closed | closed | self_closed | FIXED |
| rejected | closed | rejected | NO_FURTHER_ACTION |
| merged | closed | merged | DUPLICATE |
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from onegrid.cases.states import FINAL_STATES, State

OPEN = "open"
CLOSED = "closed"

UPDATE_STATUS = {
    State.REPORTED: "OPEN",
    State.VERIFYING: "INVESTIGATING",
    State.REGISTERED: "ACTION_SCHEDULED",
    State.DISPATCHED: "ACTION_SCHEDULED",
    State.IN_PROGRESS: "IN_PROGRESS",
    State.CHECKING: "IN_PROGRESS",
    State.CHECKED: "IN_PROGRESS",
    State.CLOSED: "FIXED",
    State.SELF_CLOSED: "FIXED",
    State.REJECTED: "NO_FURTHER_ACTION",
    State.MERGED: "DUPLICATE",
}

# What the state means for the person who reported, in plain words (no staff names).
NOTES = {
    State.REPORTED: _("Received; waiting to be confirmed on site."),
    State.VERIFYING: _("Being confirmed on site by the grid worker."),
    State.REGISTERED: _("Accepted; being sent to the department responsible."),
    State.DISPATCHED: _("Sent to the department responsible."),
    State.IN_PROGRESS: _("The department responsible is dealing with it."),
    State.CHECKING: _("Reported fixed; waiting for the on-site check."),
    State.CHECKED: _("The repair passed its on-site check; about to be closed."),
    State.CLOSED: _("Fixed and closed."),
    State.SELF_CLOSED: _("Dealt with on the spot and closed."),
    State.REJECTED: _("Not accepted: not a problem this platform handles."),
    State.MERGED: _("A duplicate of another report, followed there."),
}


def status_of(state: str) -> str:
    """GeoReport v2's status: `closed` for a final state, else `open`."""
    return CLOSED if state in FINAL_STATES else OPEN


def update_status_of(state: str) -> str:
    return UPDATE_STATUS.get(state, "OPEN" if status_of(state) == OPEN else "CLOSED")


def notes_of(state: str) -> str:
    return str(NOTES.get(state, ""))
