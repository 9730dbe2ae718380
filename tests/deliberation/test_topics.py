"""The roll, topics, co-signing, review, withdraw and lapse (deliberation.roll, .topics,
.timers): the services alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.deliberation import roll, timers, topics
from onegrid.deliberation.models import CoSignature, Topic, Voter
from support import deliberation_topics as dt_
from support import deliberation_votes as dv


def _settings(minimum=2, permille=10, days=30):
    from django.conf import settings

    conf = dict(settings.ONEGRID)
    conf.update(
        DELIBERATION_COSIGN_MIN=minimum,
        DELIBERATION_COSIGN_PERMILLE=permille,
        DELIBERATION_COSIGN_DAYS=days,
    )
    return override_settings(ONEGRID=conf)


# --- the roll ---------------------------------------------------------------------------------


def test_apply_check_refuse_remove(world):
    committee = dt_.committee(world)
    flat = dv.household(world.grids[0])
    person = dv.resident()
    entry = roll.apply_to_roll(actor=person, household=flat.code, key="k1")
    assert entry.state == Voter.State.PENDING
    assert entry.community == world.community
    # A replay returns the same row; a second live entry is refused.
    assert roll.apply_to_roll(actor=person, household=flat.code, key="k1").pk == entry.pk
    with pytest.raises(Conflict):
        roll.apply_to_roll(actor=person, household=flat.code, key="k2")
    # Someone else's key is not a replay.
    with pytest.raises(Conflict):
        roll.apply_to_roll(actor=dv.resident(), household=flat.code, key="k1")
    # Only the committee checks, with a method.
    with pytest.raises(PermissionDenied):
        roll.check_identity(actor=world.people.acceptor, voter_id=entry.pk, method="id_card")
    with pytest.raises(InvalidInput):
        roll.check_identity(actor=committee, voter_id=entry.pk, method="looked honest")
    checked = roll.check_identity(actor=committee, voter_id=entry.pk, method="hukou")
    assert checked.state == Voter.State.VERIFIED and checked.checked_by == committee
    assert roll.check_identity(actor=committee, voter_id=entry.pk, method="hukou").pk == entry.pk
    with pytest.raises(Conflict):
        roll.refuse(actor=committee, voter_id=entry.pk, reason="no")
    with pytest.raises(InvalidInput):
        roll.remove(actor=committee, voter_id=entry.pk, reason="  ")
    removed = roll.remove(actor=committee, voter_id=entry.pk, reason="搬离本社区")
    assert removed.state == Voter.State.REMOVED and removed.ended_at is not None
    # Once removed, the person may apply again.
    again = roll.apply_to_roll(actor=person, household=flat.code, key="k3")
    refused = roll.refuse(actor=committee, voter_id=again.pk, reason="身份未核实")
    assert refused.state == Voter.State.REFUSED and refused.reason == "身份未核实"


def test_roll_refuses_odd_households_and_staff(world):
    person = dv.resident()
    for bad in ["", "NO-SUCH", "A\x00B", "x" * 41, None]:
        with pytest.raises(InvalidInput) as caught:
            roll.apply_to_roll(actor=person, household=bad, key="k")
        assert caught.value.field == "household"
    with pytest.raises(InvalidInput):
        roll.apply_to_roll(actor=person, household=dv.household(world.grids[0]).code, key="")
    with pytest.raises(PermissionDenied):
        roll.apply_to_roll(
            actor=world.people.acceptor, household=dv.household(world.grids[0]).code, key="s"
        )
    with pytest.raises(NotFound):
        roll.check_identity(actor=dt_.committee(world), voter_id=999999, method="id_card")


def test_committee_of_another_street_does_not_keep_this_roll(world):
    from onegrid.territory.models import AdminUnit

    other = AdminUnit.objects.get(level="community", parent=world.other_street)
    far_committee = dt_.committee(world, "far", unit=other)
    entry = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    with pytest.raises(PermissionDenied):
        roll.check_identity(actor=far_committee, voter_id=entry.pk, method="id_card")
    street_committee = dt_.committee(world, "street_c", unit=world.street)
    assert (
        roll.check_identity(actor=street_committee, voter_id=entry.pk, method="id_card").state
        == Voter.State.VERIFIED
    )


def test_nobody_checks_their_own_identity(world):
    me = dt_.committee(world)
    from onegrid.org.models import Role, RoleAssignment

    RoleAssignment.objects.create(user=me, role=Role.RESIDENT, unit=world.district)
    entry = roll.apply_to_roll(actor=me, household=dv.household(world.grids[0]).code, key="me")
    with pytest.raises(PermissionDenied):
        roll.check_identity(actor=me, voter_id=entry.pk, method="id_card")


# --- topics -----------------------------------------------------------------------------------


def test_threshold_from_settings_capped_at_the_roll():
    with _settings(minimum=5, permille=10):
        assert topics.cosign_threshold(0) == 0
        assert topics.cosign_threshold(3) == 3  # capped at the roll
        assert topics.cosign_threshold(100) == 5  # the minimum
        assert topics.cosign_threshold(1000) == 10
        assert topics.cosign_threshold(1001) == 11  # rounded up


def test_raise_cosign_submit_review(world):
    committee = dt_.committee(world)
    raiser, a, b, *_rest = dt_.voters(world, 10)
    far = dv.voter(dv.household(world.grids[2]))
    with _settings(minimum=3, permille=10, days=30):
        topic = topics.raise_topic(
            actor=raiser.user, title="加装电梯", body="1号楼老人多", scope="building", key="t1"
        )
    assert topic.number.startswith("YS2026") and len(topic.number) == 11
    assert topic.state == Topic.State.COLLECTING
    assert topic.cosign_threshold == 3 and topic.building == "1号楼"
    assert topic.cosign_until == clock.now() + dt.timedelta(days=30)
    assert CoSignature.objects.filter(topic=topic).count() == 1  # the raiser
    # Replays.
    assert (
        topics.raise_topic(actor=raiser.user, title="x", body="y", scope="grid", key="t1").pk
        == topic.pk
    )
    # A voter of another place may not co-sign; co-signing twice counts once.
    with pytest.raises(PermissionDenied):
        topics.cosign(actor=far.user, topic_id=topic.pk)
    first = topics.cosign(actor=a.user, topic_id=topic.pk)
    assert topics.cosign(actor=a.user, topic_id=topic.pk).pk == first.pk
    topic.refresh_from_db()
    assert topic.state == Topic.State.COLLECTING
    topics.cosign(actor=b.user, topic_id=topic.pk)
    topic.refresh_from_db()
    assert topic.state == Topic.State.SUBMITTED and topic.submitted_at == clock.now()
    # No more co-signing once submitted.
    with pytest.raises(Conflict):
        topics.cosign(actor=_rest[0].user, topic_id=topic.pk)
    # Review: only the committee; declining needs a reason.
    with pytest.raises(PermissionDenied):
        topics.review(actor=raiser.user, topic_id=topic.pk, accept=True)
    with pytest.raises(InvalidInput):
        topics.review(actor=committee, topic_id=topic.pk, accept=False, note="")
    done = topics.review(actor=committee, topic_id=topic.pk, accept=True, note="同意")
    assert done.state == Topic.State.ACCEPTED and done.reviewed_by == committee
    assert topics.review(actor=committee, topic_id=topic.pk, accept=True, note="同意").pk
    with pytest.raises(Conflict):
        topics.review(actor=committee, topic_id=topic.pk, accept=False, note="不同意")


def test_a_small_roll_caps_the_threshold(world):
    (only,) = dt_.voters(world, 1, building="9号楼")
    with _settings(minimum=5):
        topic = topics.raise_topic(
            actor=only.user, title="门禁", body="坏了", scope="building", key="s"
        )
    assert topic.cosign_threshold == 1
    assert topic.state == Topic.State.SUBMITTED


def test_only_voters_raise(world):
    pending = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    with pytest.raises(PermissionDenied):
        topics.raise_topic(actor=pending.user, title="t", body="b", scope="grid", key="p")
    with pytest.raises(PermissionDenied):
        topics.raise_topic(actor=world.people.acceptor, title="t", body="b", scope="grid", key="q")
    (v,) = dt_.voters(world, 1)
    for field, kwargs in [
        ("scope", {"scope": "street"}),
        ("title", {"title": ""}),
        ("title", {"title": "x" * 101}),
        ("body", {"body": "a\x00b"}),
        ("idempotency_key", {"key": ""}),
    ]:
        args = {"title": "t", "body": "b", "scope": "grid", "key": "z"} | kwargs
        with pytest.raises(InvalidInput) as caught:
            topics.raise_topic(actor=v.user, **args)
        assert caught.value.field == field


def test_committee_raises_straight_to_review(world):
    committee = dt_.committee(world)
    topic = topics.raise_topic_as_committee(
        actor=committee,
        community_id=world.community.pk,
        scope="grid",
        grid_id=world.grids[1].pk,
        title="停车",
        body="规划车位",
        key="c1",
    )
    assert topic.state == Topic.State.SUBMITTED and topic.raised_by_staff
    assert topic.cosign_threshold == 0 and topic.grid == world.grids[1]
    with pytest.raises(InvalidInput):
        topics.raise_topic_as_committee(
            actor=committee,
            community_id=world.community.pk,
            scope="grid",
            grid_id=world.grids[2].pk,  # another community's grid
            title="x",
            body="y",
            key="c2",
        )
    with pytest.raises(InvalidInput):
        topics.raise_topic_as_committee(
            actor=committee,
            community_id="１",  # a full-width digit
            scope="community",
            title="x",
            body="y",
            key="c3",
        )
    with pytest.raises(PermissionDenied):
        topics.raise_topic_as_committee(
            actor=world.people.leader,
            community_id=world.community.pk,
            scope="community",
            title="x",
            body="y",
            key="c4",
        )


def test_withdraw(world):
    committee = dt_.committee(world)
    raiser, other = dt_.voters(world, 2)
    with _settings(minimum=2):
        topic = topics.raise_topic(
            actor=raiser.user, title="t", body="b", scope="community", key="w1"
        )
    with pytest.raises(PermissionDenied):
        topics.withdraw(actor=other.user, topic_id=topic.pk)
    done = topics.withdraw(actor=raiser.user, topic_id=topic.pk)
    assert done.state == Topic.State.WITHDRAWN and done.closed_at is not None
    assert topics.withdraw(actor=raiser.user, topic_id=topic.pk).state == Topic.State.WITHDRAWN
    accepted = dv.topic(world.grids[0])
    accepted.raised_by = raiser.user
    accepted.save()
    with pytest.raises(Conflict):
        topics.withdraw(actor=raiser.user, topic_id=accepted.pk)
    assert topics.withdraw(actor=committee, topic_id=accepted.pk).state == Topic.State.WITHDRAWN


def test_lapse_after_cosign_until(world):
    raiser, *_others = dt_.voters(world, 5)
    with _settings(minimum=3, days=10):
        topic = topics.raise_topic(
            actor=raiser.user, title="t", body="b", scope="community", key="l1"
        )
    assert timers.lapse_topics(clock.now() + dt.timedelta(days=9)) == 0
    later = clock.now() + dt.timedelta(days=10)
    with clock.frozen_at(later), pytest.raises(Conflict):
        topics.cosign(actor=_others[0].user, topic_id=topic.pk)
    assert timers.lapse_topics(later) == 1
    assert timers.lapse_topics(later) == 0  # idempotent
    topic.refresh_from_db()
    assert topic.state == Topic.State.LAPSED and topic.closed_at == later


def test_the_committee_hears_of_a_topic_to_review_and_the_raiser_of_the_review(world):
    from onegrid.notify.models import Notification

    committee = dt_.committee(world)
    street_member = dt_.committee(world, "street_member", unit=world.street)
    raiser, other = dt_.voters(world, 2)
    with _settings(minimum=2):
        topic = topics.raise_topic(
            actor=raiser.user, title="修路灯", body="b", scope="community", key="n1"
        )
    assert not Notification.objects.filter(kind="topic_to_review").exists()
    topics.cosign(actor=other.user, topic_id=topic.pk)
    told = Notification.objects.filter(kind="topic_to_review")
    assert {n.user_id for n in told} == {committee.pk, street_member.pk}
    assert all(topic.number in n.title and n.url.endswith(f"/{topic.pk}/") for n in told)
    topics.review(
        actor=committee, topic_id=topic.pk, accept=False, note="100% 不属于议事范围 %(x)s"
    )
    (reviewed,) = Notification.objects.filter(kind="topic_reviewed")
    assert reviewed.user_id == raiser.user_id
    assert "100% 不属于议事范围 %(x)s" in reviewed.body
