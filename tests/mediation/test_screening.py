"""The monthly screening: one per grid and month, the open months in Asia/Shanghai, replays,
who may screen, odd input, and registering a found dispute through the mediation register."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.mediation import screening, screening_selectors
from onegrid.mediation.models import Dispute, MediationType, Screening
from support.sra_world import build, key

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def sra(world):
    return build(world)


def _screen(world, actor=None, grid=None, **changes):
    values = {
        "actor": actor or world.people.worker,
        "grid": grid or world.grids[0],
        "disputes_found": 1,
        "risk_level": "low",
        "stable": True,
        "note": "邻里纠纷一起",
        "idempotency_key": key("s"),
    }
    values.update(changes)
    return screening.record_screening(**values)


def test_open_months_in_shanghai_time():
    # 1 March 00:30 in Shanghai is still 28 February in UTC: the month is March's, and in the
    # first five days February is open too.
    moment = dt.datetime(2026, 2, 28, 16, 30, tzinfo=dt.UTC)
    assert screening.open_months(moment) == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert screening.open_months(dt.datetime(2026, 3, 5, 23, 0, tzinfo=TZ)) == [
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    assert screening.open_months(dt.datetime(2026, 3, 6, 0, 0, tzinfo=TZ)) == [dt.date(2026, 3, 1)]
    # January's first days reach back into December of the year before.
    assert screening.open_months(dt.datetime(2027, 1, 2, 9, 0, tzinfo=TZ))[0] == dt.date(
        2026, 12, 1
    )


def test_one_per_grid_and_month_and_replay(world):
    first = _screen(world, idempotency_key="same-key")
    assert not first.replayed
    assert first.screening.month == dt.date(2026, 3, 1)
    again = _screen(world, idempotency_key="same-key")
    assert again.replayed and again.screening.pk == first.screening.pk
    with pytest.raises(Conflict) as e:
        _screen(world, actor=world.people.worker)
    assert e.value.field == "month"
    assert Screening.objects.count() == 1


def test_grace_days_screen_the_previous_month_first(world):
    with clock.frozen_at(dt.datetime(2026, 4, 3, 10, 0, tzinfo=TZ)):
        first = _screen(world)
        second = _screen(world)
        assert first.screening.month == dt.date(2026, 3, 1)
        assert second.screening.month == dt.date(2026, 4, 1)
        with pytest.raises(Conflict):
            _screen(world)
    with clock.frozen_at(dt.datetime(2026, 4, 6, 10, 0, tzinfo=TZ)):
        with pytest.raises(InvalidInput) as e:
            _screen(
                world, grid=world.grids[1], actor=world.people.worker2, month=dt.date(2026, 3, 1)
            )
        assert e.value.field == "month"


def test_who_screens(world, sra):
    _screen(world, actor=sra.head)  # the grid head of the grid
    for outsider in (
        world.people.worker2,
        world.people.shift_lead,
        sra.police,
        sra.admin,
        world.people.resident,
    ):
        with pytest.raises(PermissionDenied):
            _screen(world, actor=outsider, grid=world.grids[0], month=dt.date(2026, 3, 1))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("disputes_found", -1),
        ("disputes_found", 1000),
        ("disputes_found", "１２"),
        ("disputes_found", "1e3"),
        ("disputes_found", True),
        ("disputes_found", "9" * 50),
        ("risk_level", "severe"),
        ("risk_level", None),
        ("stable", "maybe"),
        ("note", "bad\x00note"),
        ("note", "x" * 1001),
        ("note", "控制\x07字符"),
        ("idempotency_key", ""),
        ("idempotency_key", "k" * 65),
    ],
)
def test_odd_input_is_a_422(world, field, value):
    with pytest.raises(InvalidInput) as e:
        _screen(world, **{field: value})
    assert e.value.field == field
    assert not Screening.objects.exists()


def test_unstable_needs_a_risk_level(world):
    with pytest.raises(InvalidInput) as e:
        _screen(world, stable=False, risk_level="none")
    assert e.value.field == "risk_level"


def test_my_grids_shows_the_unscreened(world, sra):
    rows = screening_selectors.my_grids(sra.head)
    assert [(r.grid.pk, r.done) for r in rows] == [(world.grids[0].pk, False)]
    _screen(world, actor=sra.head)
    rows = screening_selectors.my_grids(sra.head)
    assert [(r.grid.pk, r.done) for r in rows] == [(world.grids[0].pk, True)]
    assert screening_selectors.my_grids(world.people.shift_lead) == []


def test_a_found_dispute_is_registered_with_source_screening(world, sra):
    MediationType.objects.get_or_create(code="neighbour", defaults={"name": "邻里纠纷"})
    done = _screen(world).screening
    k = key("d")
    parties = [{"side": "applicant", "name": "张三"}, {"side": "respondent", "name": "李四"}]
    dispute = screening.register_found_dispute(
        actor=world.people.worker,
        screening=done,
        type="neighbour",
        title="楼道堆物纠纷",
        facts="两户因楼道堆物争执。",
        parties=parties,
        idempotency_key=k,
    )
    assert dispute.source == Dispute.Source.SCREENING
    assert dispute.screening_id == done.pk and dispute.grid_id == world.grids[0].pk
    again = screening.register_found_dispute(
        actor=world.people.worker,
        screening=done,
        type="neighbour",
        title="楼道堆物纠纷",
        facts="两户因楼道堆物争执。",
        parties=parties,
        idempotency_key=k,
    )
    assert again.pk == dispute.pk and Dispute.objects.count() == 1


def test_a_screening_without_disputes_registers_none(world):
    done = _screen(world, disputes_found=0, risk_level="none").screening
    with pytest.raises(InvalidInput):
        screening.register_found_dispute(
            actor=world.people.worker,
            screening=done,
            type="neighbour",
            title="x",
            facts="y",
            parties=[{"side": "applicant", "name": "张三"}],
            idempotency_key=key(),
        )
    with pytest.raises(NotFound):
        screening.register_found_dispute(
            actor=world.people.worker,
            screening=999999,
            type="neighbour",
            title="x",
            facts="y",
            parties=[],
            idempotency_key=key(),
        )
