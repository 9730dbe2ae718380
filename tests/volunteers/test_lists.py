"""The three lists' claims (volunteers.lists): who may claim what and for whom, capacity,
closed items, one live claim per claimant, idempotent replays, the service record, the
community's confirmation and the points it earns, and two claims racing for the last place."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from onegrid.volunteers import lists, points
from onegrid.volunteers.models import Claim, ListItem, PointsRule
from support.cases import run_concurrently
from support.community_lists import build, new_key


@pytest.fixture
def lw(world):
    return build(world)


def claim(lw, actor, item=None, **who):
    return lists.claim_item(
        actor=actor, item_id=(item or lw.need).pk, idempotency_key=new_key(), **who
    )


# --- who may claim -------------------------------------------------------------------------


def test_a_member_reported_in_claims_for_themselves(lw):
    outcome = claim(lw, lw.member_user, member_id=lw.member.pk)
    assert not outcome.replayed
    assert outcome.claim.state == Claim.State.CLAIMED
    assert outcome.claim.claimed_by == lw.member_user


@pytest.mark.parametrize("who", ["far", "pending"])
def test_a_member_not_reported_in_here_is_refused(lw, who):
    user, member = {
        "far": (lw.far_user, lw.far_member),
        "pending": (lw.pending_user, lw.pending_member),
    }[who]
    with pytest.raises(InvalidInput) as refused:
        claim(lw, user, member_id=member.pk)
    assert refused.value.field == "member"
    assert not Claim.objects.exists()


def test_nobody_claims_for_a_member_but_the_member(lw):
    for actor in (lw.staff, lw.organiser, lw.far_user):
        with pytest.raises(PermissionDenied):
            claim(lw, actor, member_id=lw.member.pk)
    with pytest.raises(PermissionDenied):  # no account: nobody may claim as them
        claim(lw, lw.staff, member_id=lw.offline.pk)


def test_a_unit_claims_through_its_secretary_or_a_keeper(lw):
    claim(lw, lw.secretary, item=lw.need, organisation_id=lw.unit_org.pk)
    claim(lw, lw.staff, item=lw.project, organisation_id=lw.unit_org.pk)
    with pytest.raises(PermissionDenied):
        claim(lw, lw.member_user, item=lw.resource, organisation_id=lw.unit_org.pk)
    with pytest.raises(InvalidInput):
        claim(lw, lw.staff, item=lw.resource, organisation_id=lw.unreported_org.pk)


def test_a_partner_and_a_volunteer_organisation_claim_through_a_keeper(lw):
    claim(lw, lw.organiser, partner_id=lw.partner.pk)
    claim(lw, lw.street_organiser, volunteer_organisation_id=lw.team.pk)
    with pytest.raises(PermissionDenied):
        claim(lw, lw.volunteer, item=lw.project, partner_id=lw.partner.pk)
    with pytest.raises(PermissionDenied):  # another community's staff keep nothing here
        claim(lw, lw.other_staff, item=lw.project, partner_id=lw.partner.pk)
    with pytest.raises(InvalidInput):
        claim(lw, lw.staff, item=lw.project, partner_id=lw.other_partner.pk)
    lw.partner.active = False
    lw.partner.save()
    with pytest.raises(InvalidInput):
        claim(lw, lw.staff, item=lw.project, partner_id=lw.partner.pk)


@pytest.mark.parametrize(
    "who",
    [{}, {"member_id": 1, "partner_id": 1}],
    ids=["none", "two"],
)
def test_exactly_one_claimant_is_named(lw, who):
    with pytest.raises(InvalidInput) as refused:
        claim(lw, lw.staff, **who)
    assert refused.value.field == "claimant"


# --- capacity, closed items, one live claim ------------------------------------------------


def test_an_item_takes_no_more_than_its_capacity_and_a_withdrawal_frees_a_place(lw):
    first = claim(lw, lw.staff, item=lw.resource, partner_id=lw.partner.pk).claim
    with pytest.raises(Conflict) as full:
        claim(lw, lw.member_user, item=lw.resource, member_id=lw.member.pk)
    assert full.value.field == "item"
    lists.withdraw_claim(actor=lw.staff, claim_id=first.pk)
    claim(lw, lw.member_user, item=lw.resource, member_id=lw.member.pk)
    assert Claim.objects.filter(item=lw.resource).exclude(state="withdrawn").count() == 1


def test_a_closed_item_takes_no_claim(lw):
    lists.set_item_open(actor=lw.staff, item_id=lw.need.pk, open=False)
    with pytest.raises(Conflict):
        claim(lw, lw.member_user, member_id=lw.member.pk)
    assert not Claim.objects.exists()


def test_one_live_claim_per_claimant_and_item(lw):
    first = claim(lw, lw.member_user, member_id=lw.member.pk).claim
    with pytest.raises(Conflict):
        claim(lw, lw.member_user, member_id=lw.member.pk)
    lists.withdraw_claim(actor=lw.member_user, claim_id=first.pk)
    claim(lw, lw.member_user, member_id=lw.member.pk)


def test_the_same_key_replays_the_first_claim(lw):
    key = new_key()
    args = {"actor": lw.member_user, "item_id": lw.need.pk, "member_id": lw.member.pk}
    first = lists.claim_item(idempotency_key=key, **args)
    again = lists.claim_item(idempotency_key=key, **args)
    assert again.replayed and again.claim.pk == first.claim.pk
    assert Claim.objects.count() == 1
    with pytest.raises(Conflict) as reused:
        lists.claim_item(idempotency_key=key, **{**args, "item_id": lw.project.pk})
    assert reused.value.field == "idempotency_key"


@pytest.mark.parametrize("key", [None, "", "x" * 65, "a\x00b", "tab\tkey"])
def test_a_claim_needs_a_sane_key(lw, key):
    with pytest.raises(InvalidInput) as refused:
        lists.claim_item(
            actor=lw.member_user, item_id=lw.need.pk, idempotency_key=key, member_id=lw.member.pk
        )
    assert refused.value.field == "idempotency_key"


def test_capacity_never_drops_below_the_live_claims(lw):
    claim(lw, lw.staff, partner_id=lw.partner.pk)
    claim(lw, lw.member_user, member_id=lw.member.pk)
    with pytest.raises(Conflict):
        lists.edit_item(actor=lw.staff, item_id=lw.need.pk, capacity=1)
    item = lists.edit_item(actor=lw.staff, item_id=lw.need.pk, capacity=5, title="助餐")
    assert (item.capacity, item.title) == (5, "助餐")


# --- items ---------------------------------------------------------------------------------


def test_only_keepers_add_items(world, lw):
    args = {"community_id": lw.community.pk, "kind": "need", "title": "修车棚"}
    for actor in (world.people.acceptor, world.people.command, lw.volunteer, lw.other_staff):
        with pytest.raises(PermissionDenied):
            lists.add_item(actor=actor, **args)
    assert lists.add_item(actor=lw.street_organiser, **args).state == ListItem.State.OPEN


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", ""),
        ("title", "x" * 101),
        ("title", "a\x07b"),
        ("kind", "wish"),
        ("capacity", 0),
        ("capacity", 101),
        ("capacity", "١٢"),
        ("capacity", "1e9"),
        ("capacity", 10**30),
    ],
)
def test_odd_item_input_is_refused_at_its_field(lw, field, value):
    args = {"community_id": lw.community.pk, "kind": "need", "title": "修车棚", field: value}
    with pytest.raises(InvalidInput) as refused:
        lists.add_item(actor=lw.staff, **args)
    assert refused.value.field == field


def test_an_unknown_community_or_item_is_not_found(lw):
    with pytest.raises(NotFound):
        lists.add_item(actor=lw.staff, community_id=lw.community.parent_id, kind="need", title="x")
    with pytest.raises(NotFound):
        lists.set_item_open(actor=lw.staff, item_id=10**9, open=False)


# --- service and confirmation --------------------------------------------------------------


def test_service_recorded_by_the_claimant_and_confirmed_earns_points_once(lw):
    PointsRule.objects.create(kind="claim", points=5, changed_at=clock.now())
    c = claim(lw, lw.member_user, member_id=lw.member.pk).claim
    with pytest.raises(Conflict):  # nothing to confirm yet
        lists.confirm_service(actor=lw.staff, claim_id=c.pk)
    with pytest.raises(PermissionDenied):  # a keeper does not record a member's service
        lists.record_service(actor=lw.staff, claim_id=c.pk, note="x", hours="1")
    done = lists.record_service(actor=lw.member_user, claim_id=c.pk, note="送餐三次", hours="2.5")
    assert (done.state, done.service_hours) == (Claim.State.DONE, Decimal("2.50"))
    with pytest.raises(PermissionDenied):  # the claimant does not confirm their own service
        lists.confirm_service(actor=lw.member_user, claim_id=c.pk)
    with pytest.raises(PermissionDenied):
        lists.confirm_service(actor=lw.other_staff, claim_id=c.pk)
    confirmed = lists.confirm_service(actor=lw.organiser, claim_id=c.pk)
    assert confirmed.state == Claim.State.CONFIRMED and confirmed.confirmed_by == lw.organiser
    assert points.balance(lw.member_user) == 5
    lists.confirm_service(actor=lw.staff, claim_id=c.pk)  # a second click
    assert points.balance(lw.member_user) == 5
    with pytest.raises(Conflict):
        lists.withdraw_claim(actor=lw.member_user, claim_id=c.pk)


def test_a_unit_claim_confirmed_earns_no_one_points(lw):
    PointsRule.objects.create(kind="claim", points=5, changed_at=clock.now())
    c = claim(lw, lw.secretary, organisation_id=lw.unit_org.pk).claim
    lists.record_service(actor=lw.secretary, claim_id=c.pk, note="义诊", hours=30)
    lists.confirm_service(actor=lw.staff, claim_id=c.pk)
    assert points.balance(lw.secretary) == 0


@pytest.mark.parametrize(
    "hours", ["-1", "5000.01", "NaN", "inf", "1e999", "١", "", "abc", None, "1.234"]
)
def test_odd_hours_are_refused(lw, hours):
    c = claim(lw, lw.member_user, member_id=lw.member.pk).claim
    with pytest.raises(InvalidInput) as refused:
        lists.record_service(actor=lw.member_user, claim_id=c.pk, note="x", hours=hours)
    assert refused.value.field == "hours"
    assert Claim.objects.get(pk=c.pk).state == Claim.State.CLAIMED


def test_the_service_is_done_between_the_claim_and_now(lw):
    c = claim(lw, lw.member_user, member_id=lw.member.pk).claim
    for when in (clock.now() + dt.timedelta(minutes=5), clock.now() - dt.timedelta(days=1)):
        with pytest.raises(InvalidInput) as refused:
            lists.record_service(
                actor=lw.member_user, claim_id=c.pk, note="x", hours=0, done_at=when
            )
        assert refused.value.field == "done_at"
    with pytest.raises(InvalidInput) as refused:
        lists.record_service(actor=lw.member_user, claim_id=c.pk, note="a\x00b", hours=1)
    assert refused.value.field == "note"


def test_a_withdrawal_is_idempotent_and_the_claimants_side_only(lw):
    c = claim(lw, lw.secretary, organisation_id=lw.unit_org.pk).claim
    with pytest.raises(PermissionDenied):
        lists.withdraw_claim(actor=lw.member_user, claim_id=c.pk)
    lists.withdraw_claim(actor=lw.staff, claim_id=c.pk)
    assert lists.withdraw_claim(actor=lw.secretary, claim_id=c.pk).state == "withdrawn"


# --- two claims racing for the last place --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_claims_racing_for_the_last_place_never_exceed_capacity(world):
    lw = build(world)
    requests = [
        {"actor": lw.member_user, "member_id": lw.member.pk},
        {"actor": lw.staff, "partner_id": lw.partner.pk},
    ]
    lock = threading.Lock()

    def work():
        with lock:
            request = requests.pop()
        clock.set_now(world_now)
        try:
            return lists.claim_item(item_id=lw.resource.pk, idempotency_key=new_key(), **request)
        except DomainError as refused:
            return refused

    world_now = clock.now()
    results = run_concurrently(work, copies=2)
    won = [r for r in results if not isinstance(r, DomainError)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Conflict)
    assert Claim.objects.filter(item=lw.resource).count() == 1
