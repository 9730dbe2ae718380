"""Workflow states as Open311 sees them: GeoReport v2's `open`/`closed`, the OneGrid state as
the extended status, and mySociety's update statuses (FixMyStreet's additional states); the
state's plain words (status_notes) are residents.progress's.

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

from onegrid.cases.states import FINAL_STATES, State
from onegrid.residents import progress

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


def status_of(state: str) -> str:
    """GeoReport v2's status: `closed` for a final state, else `open`."""
    return CLOSED if state in FINAL_STATES else OPEN


def update_status_of(state: str) -> str:
    return UPDATE_STATUS.get(state, "OPEN" if status_of(state) == OPEN else "CLOSED")


def notes_of(state: str) -> str:
    """The state in plain words (status_notes, update descriptions): the residents' pages'
    sentences (residents.progress.PLAIN_STATES), so a resident and an Open311 client read the
    same words for the same state."""
    return str(progress.PLAIN_STATES.get(state, ""))
