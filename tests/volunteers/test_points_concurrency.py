"""Redemptions racing at the counter, each thread on its own connection (PostgreSQL: row locks;
SQLite: BEGIN IMMEDIATE): never below 0 points or 0 stock, one redemption per key."""

from __future__ import annotations

import threading

import pytest
from django.db.models import Sum

from onegrid.core.errors import Conflict, DomainError, InvalidInput
from onegrid.org.models import Role
from onegrid.volunteers import points
from onegrid.volunteers.models import PointsAccount, PointsEntry, Redemption, StoreItem
from support.cases import run_concurrently
from support.people import person
from support.points import new_key


def _racing(requests):
    """A work function for run_concurrently: each thread takes the next request and runs it,
    returning the redemption or the domain error it met."""
    lock = threading.Lock()
    queue = list(requests)

    def work():
        with lock:
            request = queue.pop()
        try:
            return points.redeem(**request)
        except DomainError as refused:
            return refused

    return work


def _ledger_adds_up() -> None:
    for account in PointsAccount.objects.all():
        total = account.entries.aggregate(s=Sum("amount"))["s"] or 0
        assert account.balance == total >= 0


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_and_other_requests_racing_never_overspend(store):
    same = new_key()
    base = {"clerk": store.clerk, "user": store.volunteer, "item": store.soap}
    requests = [{**base, "key": same}] * 3 + [{**base, "key": new_key()} for _ in range(3)]
    results = run_concurrently(_racing(requests), copies=len(requests))
    done = [r for r in results if isinstance(r, Redemption)]
    refused = [r for r in results if not isinstance(r, Redemption)]
    # 30 points and 3 in stock at 10 points: three redemptions, whatever the order.
    assert Redemption.objects.count() == 3
    assert Redemption.objects.filter(key=same).count() <= 1
    assert {r.pk for r in done} == set(Redemption.objects.values_list("pk", flat=True))
    assert all(isinstance(r, InvalidInput) for r in refused)
    assert points.balance(store.volunteer) == 0
    assert StoreItem.objects.get(pk=store.soap.pk).stock == 0
    assert PointsEntry.objects.filter(kind="redemption").count() == 3
    _ledger_adds_up()


@pytest.mark.django_db(transaction=True)
def test_one_key_for_two_people_at_once_makes_one_redemption(store, world):
    other = person("other_volunteer", Role.VOLUNTEER, unit=world.community)
    points.award(user=other, rule="hours", source_key="hours:other", quantity=30)
    key = new_key()
    requests = [
        {"clerk": store.clerk, "user": who, "item": store.soap, "key": key}
        for who in (store.volunteer, other, store.volunteer, other)
    ]
    results = run_concurrently(_racing(requests), copies=len(requests))
    assert Redemption.objects.filter(key=key).count() == 1
    winner = Redemption.objects.get(key=key).account.user
    for result in results:
        if isinstance(result, Redemption):
            assert result.account.user == winner
        else:
            assert isinstance(result, Conflict) and result.field == "key"
    assert points.balance(winner) == 20
    assert StoreItem.objects.get(pk=store.soap.pk).stock == 2
    _ledger_adds_up()


@pytest.mark.django_db(transaction=True)
def test_awards_of_one_source_racing_credit_once(store):
    def work():
        return points.award(user=store.volunteer, rule="report", source_key="report:race")

    entries = run_concurrently(work, copies=4)
    assert len({e.pk for e in entries}) == 1
    assert points.balance(store.volunteer) == 35
    _ledger_adds_up()
