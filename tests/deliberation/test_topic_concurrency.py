"""Co-signatures and roll applications racing, each thread on its own connection (PostgreSQL:
the topic's row lock and the unique constraints; SQLite: one writer at a time)."""

from __future__ import annotations

import threading

import pytest

from onegrid.core import clock
from onegrid.core.errors import DomainError
from onegrid.deliberation import roll, topics
from onegrid.deliberation.models import CoSignature, Topic, Voter
from support import deliberation_topics as dt_
from support import deliberation_votes as dv
from support.cases import run_concurrently


def _each(items, act):
    lock = threading.Lock()
    queue = list(items)
    at = clock.now()

    def work():
        with lock:
            item = queue.pop()
        clock.set_now(at)
        try:
            return act(item)
        except DomainError as refused:
            return refused

    return work


@pytest.mark.django_db(transaction=True)
def test_cosignatures_racing_count_once_and_submit_once(world):
    raiser, *others = dt_.voters(world, 6)
    topic = topics.raise_topic(
        actor=raiser.user, title="t", body="b", scope="community", key="race"
    )
    Topic.objects.filter(pk=topic.pk).update(cosign_threshold=4)
    signers = [others[0], others[0], others[1], others[2], others[3], others[4]]
    results = run_concurrently(
        _each(signers, lambda v: topics.cosign(actor=v.user, topic_id=topic.pk)),
        copies=len(signers),
    )
    signed = CoSignature.objects.filter(topic=topic)
    assert signed.values("voter").distinct().count() == signed.count()
    topic.refresh_from_db()
    assert topic.state == Topic.State.SUBMITTED
    # Those who came after the threshold were refused (the topic no longer collects); every
    # signature that stands was given before it.
    assert signed.count() >= 4
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) + len({r.pk for r in results if not isinstance(r, DomainError)}) >= 5


@pytest.mark.django_db(transaction=True)
def test_one_application_under_racing_retries(world):
    person = dv.resident()
    flat = dv.household(world.grids[0])
    keys = ["same"] * 3 + ["other1", "other2"]
    results = run_concurrently(
        _each(keys, lambda k: roll.apply_to_roll(actor=person, household=flat.code, key=k)),
        copies=len(keys),
    )
    assert Voter.objects.filter(user=person).count() == 1
    entry = Voter.objects.get(user=person)
    made = {r.pk for r in results if isinstance(r, Voter)}
    assert made == {entry.pk}
