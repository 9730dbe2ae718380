"""No sequence of awards, redemptions (keys repeated), cancels and corrections breaks the
ledger: the balance is the sum of the entries, never below 0; a key makes at most one
redemption; stock never goes below 0 and is what was stocked less what is handed over."""

from __future__ import annotations

import contextlib

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from onegrid.core.errors import DomainError
from onegrid.org.models import Role
from onegrid.volunteers import points
from onegrid.volunteers.models import PointsAccount, PointsEntry, Redemption, StoreItem
from support.people import person
from support.points import new_key


def test_no_sequence_breaks_the_ledger(store, world):
    admin = person("admin", Role.ADMIN, unit=world.district)
    other = person("other_volunteer", Role.VOLUNTEER, unit=world.community)
    people = [store.volunteer, other]
    items = [store.soap, store.rice]
    stocked = {item.pk: item.stock for item in items}

    class Ledger(RuleBasedStateMachine):
        keys = Bundle("keys")
        redemptions = Bundle("redemptions")

        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.sources = 0
            self.stock_added = {pk: 0 for pk in stocked}

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @rule(who=st.sampled_from(people), hours=st.decimals(0, 40, places=2), again=st.booleans())
        def award_hours(self, who, hours, again):
            if not again:
                self.sources += 1
            key = f"hours:prop:{self.sources}"
            # Refused when the key earned for the other person already.
            with contextlib.suppress(DomainError):
                points.award(user=who, rule="hours", source_key=key, quantity=hours)

        @rule(target=keys)
        def fresh_key(self):
            return new_key()

        @rule(
            target=redemptions,
            key=keys,
            who=st.sampled_from(people),
            item=st.sampled_from(items),
            quantity=st.integers(1, 3),
        )
        def redeem(self, key, who, item, quantity):
            try:
                return points.redeem(
                    clerk=store.clerk, user=who, item=item, quantity=quantity, key=key
                )
            except DomainError:
                return None

        @rule(redemption=consumes(redemptions))
        def cancel(self, redemption):
            if redemption is not None:
                points.cancel_redemption(clerk=store.clerk, redemption=redemption)

        @rule(who=st.sampled_from(people), amount=st.integers(-50, 50).filter(bool))
        def adjust(self, who, amount):
            # Refused when it would take the balance below 0.
            with contextlib.suppress(DomainError):
                points.adjust(actor=admin, user=who, amount=amount, reason="核对", key=new_key())

        @rule(item=st.sampled_from(items), more=st.integers(0, 3))
        def restock(self, item, more):
            current = StoreItem.objects.get(pk=item.pk).stock
            points.restock(actor=store.clerk, item=item, stock=current + more)
            self.stock_added[item.pk] += more

        @invariant()
        def balances_are_the_sums_of_the_entries(self):
            for account in PointsAccount.objects.all():
                total = account.entries.aggregate(s=Sum("amount"))["s"] or 0
                assert account.balance == total >= 0
                assert points.balance(account.user) == total
                last = account.entries.order_by("-created_at", "-id").first()
                assert last is None or last.balance_after == total
            assert not PointsEntry.objects.filter(balance_after__lt=0).exists()

        @invariant()
        def a_key_makes_one_redemption_and_stock_adds_up(self):
            keys = list(Redemption.objects.values_list("key", flat=True))
            assert len(keys) == len(set(keys))
            for pk, initial in stocked.items():
                out = (
                    Redemption.objects.filter(item_id=pk, state="done").aggregate(
                        q=Sum("quantity")
                    )["q"]
                    or 0
                )
                stock = StoreItem.objects.get(pk=pk).stock
                assert stock == initial + self.stock_added[pk] - out >= 0
            for redemption in Redemption.objects.all():
                spent = PointsEntry.objects.filter(source_key=f"redeem:{redemption.pk}")
                assert spent.count() == 1 and spent.get().amount == -redemption.points
                back = PointsEntry.objects.filter(source_key=f"cancel:{redemption.pk}").count()
                assert back == (1 if redemption.state == "cancelled" else 0)

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
