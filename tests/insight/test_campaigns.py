"""Campaigns (集中整治): declared by the command centre, their effect read from the reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from onegrid.core import clock
from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.insight import periods, selectors, services
from onegrid.insight.models import Campaign
from support.api import token_client
from support.cases import act, photo, report

SH = periods.TZ
D = dt.date


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def reports_on(world, day: dt.date, n: int = 1, *, case_class=None, far=False, hour=10):
    clock.set_now(at(day, hour))
    for _ in range(n):
        if far:
            report(world, who=world.people.far_worker, point=world.far_point, case_class=case_class)
        else:
            report(world, case_class=case_class)


@pytest.fixture
def campaign(world):
    """Exposed rubbish and illegal building (A01…) in the first street, 11–20 March 2026, with
    reports before, during and after it, and others that do not count."""
    reports_on(world, D(2026, 3, 1), 2)
    reports_on(world, D(2026, 3, 5), 3, case_class=world.building)
    reports_on(world, D(2026, 3, 10), 1, hour=23)  # 23:00 Beijing time is still the 10th
    reports_on(world, D(2026, 3, 12), 2)
    reports_on(world, D(2026, 3, 20), 1)
    reports_on(world, D(2026, 3, 21), 1)
    reports_on(world, D(2026, 3, 30), 1)
    # Not counted: another class, another street, outside the windows.
    reports_on(world, D(2026, 3, 3), 4, case_class=world.manhole)
    reports_on(world, D(2026, 3, 3), 4, far=True)
    reports_on(world, D(2026, 2, 28), 1)
    reports_on(world, D(2026, 3, 31), 1)
    clock.set_now(at(D(2026, 4, 2)))
    return services.create_campaign(
        actor=world.people.command,
        name="暴露垃圾集中整治",
        class_prefix="A01",
        scope_kind="street",
        area_code=world.street.code,
        start=D(2026, 3, 11),
        end=D(2026, 3, 20),
    )


def test_effect_before_during_and_after(campaign):
    effect = selectors.campaign_effect(campaign)
    assert effect.window_days == 10
    assert (effect.before.first, effect.before.last) == (D(2026, 3, 1), D(2026, 3, 10))
    assert (effect.after.first, effect.after.last) == (D(2026, 3, 21), D(2026, 3, 30))
    assert (effect.reports_before, effect.reports_during, effect.reports_after) == (6, 3, 2)
    assert effect.after_complete
    assert effect.recurrence_after == selectors.Ratio(2, 6, Decimal("33.33"))
    assert len(effect.daily) == 30
    daily = {day: (phase, n) for day, phase, n in effect.daily}
    assert daily[D(2026, 3, 5)] == ("before", 3)
    assert daily[D(2026, 3, 10)] == ("before", 1)
    assert daily[D(2026, 3, 11)] == ("during", 0)
    assert daily[D(2026, 3, 20)] == ("during", 1)
    assert daily[D(2026, 3, 21)] == ("after", 1)
    assert sum(n for _d, phase, n in effect.daily if phase == "during") == 3


def test_a_shorter_window_and_an_unfinished_after(campaign):
    effect = selectors.campaign_effect(campaign, days=5)
    assert (effect.before.first, effect.after.last) == (D(2026, 3, 6), D(2026, 3, 25))
    assert (effect.reports_before, effect.reports_after) == (1, 1)
    # Read on 25 March: the after window is not over, what is known so far is shown.
    midway = selectors.campaign_effect(campaign, as_of=at(D(2026, 3, 25), 0))
    assert not midway.after_complete
    assert midway.reports_after == 1


def test_the_effect_through_the_api(campaign, world):
    answer = token_client(world.people.acceptor).get(f"/api/v1/insight/campaigns/{campaign.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["reports_before"], body["reports_during"], body["reports_after"]) == (6, 3, 2)
    assert body["recurrence_after"] == {"numerator": 2, "denominator": 6, "value": "33.33"}
    assert body["daily"][0] == {"day": "2026-03-01", "phase": "before", "reports": 2}
    assert body["campaign"]["class_prefix"] == "A01"
    other = token_client(world.people.other_acceptor).get(
        f"/api/v1/insight/campaigns/{campaign.pk}"
    )
    assert other.status_code == 404


def test_declaring_needs_the_command_centre(world):
    with pytest.raises(PermissionDenied):
        services.create_campaign(
            actor=world.people.leader,
            name="x",
            class_prefix="",
            scope_kind="district",
            start=D(2026, 3, 1),
            end=D(2026, 3, 2),
        )
    with pytest.raises(InvalidInput) as refused:
        services.create_campaign(
            actor=world.people.command,
            name="x",
            class_prefix="",
            scope_kind="grid",
            area_code="120113001001999",
            start=D(2026, 3, 1),
            end=D(2026, 3, 2),
        )
    assert refused.value.field == "area_code"
    grid = services.create_campaign(
        actor=world.people.command,
        name="网格整治",
        class_prefix="",
        scope_kind="grid",
        area_code=world.grids[0].code,
        start=D(2026, 3, 1),
        end=D(2026, 3, 2),
    )
    assert grid.grid == world.grids[0] and grid.unit is None
    assert selectors.campaign_scope(grid).code == world.grids[0].code
    assert list(selectors.campaigns(world.people.worker)) == [grid]
    assert list(selectors.campaigns(world.people.resident)) == []
    assert Campaign.objects.count() == 1


def test_recurrence_after_the_campaign(world):
    """The same problem back at the same place after it was fixed is a recurrence: the effect
    gives the recurrence rate in the N days before and after."""
    p = world.people

    def fixed_then_back(day: dt.date, back_after_days: int) -> None:
        clock.set_now(at(day))
        act(report(world), p.worker, "self_close", photos=[photo()])
        clock.set_now(at(day + dt.timedelta(days=back_after_days)))
        report(world)

    # Before: four reports at one place; all but the first follow a close there.
    fixed_then_back(D(2026, 3, 2), 1)
    fixed_then_back(D(2026, 3, 5), 2)
    clock.set_now(at(D(2026, 3, 22)))
    report(world, point=world.far_point, who=p.far_worker)  # another street: not counted
    report(world)  # after: recurs (the case closed on 5 March is within 30 days, 100 m)
    clock.set_now(at(D(2026, 4, 15)))
    campaign = services.create_campaign(
        actor=p.command,
        name="整治",
        class_prefix="A0102",
        scope_kind="street",
        area_code=world.street.code,
        start=D(2026, 3, 11),
        end=D(2026, 3, 20),
    )
    effect = selectors.campaign_effect(campaign)
    assert (effect.reports_before, effect.reports_after) == (4, 1)
    assert effect.repeat_rate_before == selectors.Ratio(3, 4, Decimal("75.00"))
    assert effect.repeat_rate_after == selectors.Ratio(1, 1, Decimal("100.00"))
    assert effect.recurrence_after == selectors.Ratio(1, 4, Decimal("25.00"))


def test_campaigns_in_admin_for_the_command_centre_only(world):
    from django.test import Client

    p = world.people
    for user in (p.command, p.leader, p.acceptor):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    form = {
        "name": "井盖专项整治",
        "class_prefix": "A02",
        "scope_kind": "district",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "description": "",
    }
    for user, status in ((p.leader, 403), (p.acceptor, 403)):
        client = Client()
        client.force_login(user)
        assert client.get("/admin/insight/campaign/").status_code == status
        assert client.post("/admin/insight/campaign/add/", form).status_code == status
    client = Client()
    client.force_login(p.command)
    assert client.get("/admin/insight/campaign/").status_code == 200
    # The model's rules hold in the admin too: an area that does not match its kind is refused.
    bad = client.post("/admin/insight/campaign/add/", form | {"scope_kind": "street"})
    assert bad.status_code == 200 and not Campaign.objects.exists()
    added = client.post("/admin/insight/campaign/add/", form)
    assert added.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.created_by == p.command and campaign.class_prefix == "A02"


def test_an_area_that_does_not_fit_its_kind_is_refused(world):
    from django.core.exceptions import ValidationError

    for kind, unit, grid in [
        ("district", world.street, None),
        ("street", world.street, world.grids[0]),
        ("street", world.community, None),
        ("grid", None, None),
    ]:
        campaign = Campaign(
            name="x", scope_kind=kind, unit=unit, grid=grid, start=D(2026, 3, 1), end=D(2026, 3, 2)
        )
        with pytest.raises(ValidationError) as refused:
            campaign.full_clean()
        assert set(refused.value.message_dict) & {"unit", "grid"}, kind
