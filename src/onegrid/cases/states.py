"""The states of a case, apart from the table so that rules and the table can both use them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class State:
    REPORTED = "reported"
    VERIFYING = "verifying"
    REGISTERED = "registered"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    CHECKING = "checking"
    CHECKED = "checked"
    CLOSED = "closed"
    SELF_CLOSED = "self_closed"
    MERGED = "merged"


STATE_LABELS = {
    State.REPORTED: _("Reported"),
    State.VERIFYING: _("Verifying on site"),
    State.REGISTERED: _("Registered"),
    State.REJECTED: _("Rejected"),
    State.DISPATCHED: _("Dispatched"),
    State.IN_PROGRESS: _("In progress"),
    State.CHECKING: _("Awaiting on-site check"),
    State.CHECKED: _("Check passed"),
    State.CLOSED: _("Closed"),
    State.SELF_CLOSED: _("Self-closed"),
    State.MERGED: _("Merged"),
}
OPEN_STATES = frozenset(
    {
        State.REPORTED,
        State.VERIFYING,
        State.REGISTERED,
        State.DISPATCHED,
        State.IN_PROGRESS,
        State.CHECKING,
        State.CHECKED,
    }
)
# A row's target meaning "the case keeps the state it is in" (urge, escalate, a co-department's
# return): never a state itself.
STAY = "="
FINAL_STATES = frozenset({State.REJECTED, State.CLOSED, State.SELF_CLOSED, State.MERGED})
WITH_DEPARTMENT = frozenset({State.DISPATCHED, State.IN_PROGRESS})
