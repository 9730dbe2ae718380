"""The risk register: raising (directly or from a screening), owners, follow-ups with level
changes, resolving, escalation of a high risk exactly once, who reads and who keeps."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.mediation import risk_selectors, risks, screening
from onegrid.mediation.models import Risk, RiskFollowUp
from onegrid.notify import kinds
from onegrid.notify.models import Notification
from support.sra_world import build, key

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def sra(world):
    return build(world)


def _raise(world, actor=None, **changes):
    values = {
        "actor": actor or world.people.worker,
        "grid": world.grids[0],
        "title": "拆迁补偿群体上访苗头",
        "description": "二十余户对补偿标准有意见，酝酿集体上访。",
        "level": "medium",
        "owner": world.people.worker,
        "idempotency_key": key("r"),
    }
    values.update(changes)
    return risks.raise_risk(**values)


def _escalations(risk):
    return Notification.objects.filter(
        kind=kinds.RISK_ESCALATED, key__startswith=f"risk_escalated:{risk.pk}:"
    )


def test_raise_numbers_and_replays(world):
    first = _raise(world, idempotency_key="rk")
    assert first.risk.number == "FX202600001"
    assert first.risk.state == Risk.State.OPEN
    assert first.risk.street_id == world.street.pk and first.risk.community_id == world.community.pk
    again = _raise(world, idempotency_key="rk")
    assert again.replayed and again.risk.pk == first.risk.pk
    assert _raise(world).risk.number == "FX202600002"
    assert first.risk.escalated_at is None


def test_a_high_risk_is_escalated_once_to_shift_leads_and_the_street_judicial_office(world, sra):
    outcome = _raise(world, level="high")
    risk = outcome.risk
    assert outcome.escalated and risk.escalated_at == clock.now()
    told = set(_escalations(risk).values_list("user_id", flat=True))
    # The street's shift lead and its judicial office; not the district's (the street has one),
    # not another street's, not the dispatcher.
    assert told == {world.people.shift_lead.pk, sra.judicial.pk}
    # Down to medium and back to high: no second escalation.
    risks.follow_up(
        actor=world.people.worker, risk=risk, note="已约谈", level="medium", idempotency_key=key()
    )
    with clock.frozen_at(clock.now() + dt.timedelta(days=1)):
        again = risks.follow_up(
            actor=world.people.worker, risk=risk, note="又激化", level="high", idempotency_key=key()
        )
    assert not again.escalated
    risk.refresh_from_db()
    assert risk.level == "high" and risk.escalated_at == outcome.risk.escalated_at
    assert _escalations(risk).count() == 2


def test_raised_to_high_by_a_follow_up_escalates_and_the_district_office_hears_without_a_street_one(
    world, sra
):
    sra.judicial.roles.all().delete()
    risk = _raise(world, level="low").risk
    assert not _escalations(risk).exists()
    outcome = risks.follow_up(
        actor=world.people.shift_lead, risk=risk, note="升级", level="high", idempotency_key=key()
    )
    assert outcome.escalated
    told = set(_escalations(risk).values_list("user_id", flat=True))
    assert told == {world.people.shift_lead.pk, sra.district_judicial.pk}
    assert RiskFollowUp.objects.get(risk=risk).level_before == "low"


def test_owner_must_be_responsible_there(world, sra):
    for outsider in (
        world.people.resident,
        world.people.far_worker,
        sra.other_judicial,
        world.people.leader,
        world.people.worker2,
    ):
        with pytest.raises(InvalidInput) as e:
            _raise(world, owner=outsider)
        assert e.value.field == "owner"
    assert _raise(world, owner=sra.judicial).risk.owner_id == sra.judicial.pk
    assert _raise(world, owner="shift_lead").risk.owner_id == world.people.shift_lead.pk


def test_who_keeps_and_who_reads(world, sra):
    risk = _raise(world).risk
    for keeper in (
        world.people.worker,
        sra.head,
        world.people.dispatcher,
        sra.judicial,
        sra.district_judicial,
    ):
        risks.follow_up(actor=keeper, risk=risk, note="跟进", idempotency_key=key())
    # A mediator of the risk's community reads it too (the register of their unit), read-only.
    for reader in (world.people.leader, world.people.command, sra.police, sra.mediator):
        assert risk_selectors.risk_for(reader, risk.pk).pk == risk.pk
        with pytest.raises(PermissionDenied):
            risks.follow_up(actor=reader, risk=risk, note="跟进", idempotency_key=key())
    for outsider in (
        world.people.worker2,
        world.people.far_worker,
        world.people.other_acceptor,
        sra.other_judicial,
        world.people.resident,
        sra.adviser,
        world.people.city_handler,
    ):
        with pytest.raises(NotFound):
            risk_selectors.risk_for(outsider, risk.pk)
        with pytest.raises(NotFound):
            risks.follow_up(actor=outsider, risk=risk, note="跟进", idempotency_key=key())
    with pytest.raises(PermissionDenied):
        _raise(world, actor=world.people.worker2)
    with pytest.raises(PermissionDenied):
        _raise(world, actor=world.people.leader)


def test_resolve_and_after(world):
    risk = _raise(world).risk
    risks.resolve(actor=world.people.worker, risk=risk, resolution="已达成补偿协议")
    again = risks.resolve(actor=world.people.worker, risk=risk, resolution="已达成补偿协议")
    assert again.replayed
    with pytest.raises(Conflict):
        risks.resolve(actor=world.people.worker, risk=risk, resolution="另一说法")
    with pytest.raises(Conflict):
        risks.follow_up(actor=world.people.worker, risk=risk, note="x", idempotency_key=key())
    with pytest.raises(InvalidInput):
        risks.resolve(actor=world.people.worker, risk=_raise(world).risk, resolution="  ")


def test_overdue_follow_up_marks(world):
    high = _raise(world, level="high").risk
    low = _raise(world, level="low").risk
    with clock.frozen_at(clock.now() + dt.timedelta(days=8)):
        rows = {r.risk.pk: r for r in risk_selectors.register(world.people.worker)}
        assert rows[high.pk].overdue and not rows[low.pk].overdue
        assert [r.risk.pk for r in risk_selectors.register(world.people.worker)][0] == high.pk
        risks.follow_up(actor=world.people.worker, risk=high, note="走访", idempotency_key=key())
        rows = {r.risk.pk: r for r in risk_selectors.register(world.people.worker)}
        assert not rows[high.pk].overdue
    assert risk_selectors.register(world.people.worker, level="low")[0].risk.pk == low.pk


def test_raised_from_a_screening(world):
    done = screening.record_screening(
        actor=world.people.worker,
        grid=world.grids[0],
        disputes_found=2,
        risk_level="high",
        stable=False,
        idempotency_key=key(),
    ).screening
    risk = risks.raise_risk(
        actor=world.people.worker,
        screening=done,
        title="群体纠纷",
        description="两户以上",
        level="high",
        owner=world.people.worker,
        idempotency_key=key(),
    ).risk
    assert risk.screening_id == done.pk and risk.grid_id == world.grids[0].pk
    assert risk.escalated_at is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 101),
        ("title", "a\x00b"),
        ("description", "d\u2028d"),
        ("level", "none"),
        ("level", "HIGH"),
        ("idempotency_key", None),
    ],
)
def test_odd_input(world, field, value):
    with pytest.raises(InvalidInput) as e:
        _raise(world, **{field: value})
    assert e.value.field == field
    assert not Risk.objects.exists()
