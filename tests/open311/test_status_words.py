"""Open311's status_notes speak the residents' plain words: one sentence per state, shared with
the resident and public pages (residents.progress), not a second table that drifts."""

from onegrid.cases.states import STATE_LABELS
from onegrid.open311 import status
from onegrid.residents import progress


def test_every_state_has_the_residents_words():
    for state in STATE_LABELS:
        assert status.notes_of(state) == str(progress.PLAIN_STATES[state]) != ""
    assert status.notes_of("no-such-state") == ""
