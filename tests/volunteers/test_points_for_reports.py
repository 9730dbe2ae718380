"""Points for verified reports: the sweep pays the "report" rule once per registered case, to
volunteers and Party members only, and rereads harmlessly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import translation

from onegrid.cases.models import CaseEvent
from onegrid.core import clock
from onegrid.org.models import Role
from onegrid.volunteers import points, report_points
from onegrid.volunteers.models import PointsEntry, PointsRule, PointsSweepMark
from support.cases import act, report
from support.people import person

pytestmark = pytest.mark.django_db


def registered(world, who):
    case = report(world, who=who)
    if who == world.people.resident:  # a resident's report is verified on site first
        case = act(case, world.people.acceptor, "request_verification")
        case = act(case, world.people.worker, "verify", result="confirmed")
    case = act(case, world.people.acceptor, "register")
    assert case.events.filter(action="register").exists()
    return case


def test_a_volunteer_s_registered_report_earns_once(store, world):
    case = registered(world, store.volunteer)
    before = points.balance(store.volunteer)
    assert report_points.award_verified_reports() == 1
    assert report_points.award_verified_reports() == 0
    assert report_points.award_verified_reports(since=clock.now() - dt.timedelta(days=1)) == 0
    entry = PointsEntry.objects.get(source_key=f"report:{case.pk}")
    assert entry.amount == 5 and entry.kind == PointsEntry.Kind.EARN_REPORT
    assert points.balance(store.volunteer) == before + 5


def test_the_entry_s_note_names_the_case_and_its_time_is_when_it_was_written(store, world):
    case = registered(world, store.volunteer)
    registered_at = case.events.get(action="register").at
    later = registered_at + dt.timedelta(hours=3)
    # The stored note is in the district's language whatever the request's language is.
    with translation.override("en"), clock.frozen_at(later):
        assert report_points.award_verified_reports() == 1
    entry = PointsEntry.objects.get(source_key=f"report:{case.pk}")
    assert entry.note == f"上报问题 {case.number} 已立案"
    # An append-only ledger: the entry is dated when it was written, not when the case was.
    assert entry.created_at == later


def test_residents_and_staff_earn_nothing_and_unregistered_reports_wait(store, world):
    registered(world, world.people.resident)
    registered(world, world.people.worker)
    member = person("member", Role.PARTY_MEMBER, unit=world.community)
    report(world, who=member)  # not registered yet
    assert report_points.award_verified_reports() == 0
    assert points.balance(world.people.resident) == 0
    assert points.balance(world.people.worker) == 0
    assert points.balance(member) == 0


def test_the_mark_moves_and_a_late_event_inside_the_overlap_is_still_paid(store, world):
    case = registered(world, store.volunteer)
    event = CaseEvent.objects.get(case=case, action="register")
    PointsSweepMark.objects.create(name="reports", at=event.at + dt.timedelta(minutes=5))
    assert report_points.award_verified_reports() == 1
    assert PointsSweepMark.objects.get(name="reports").at >= event.at


def test_no_active_rule_pays_nothing_and_later_rules_pay_no_old_reports(store, world):
    PointsRule.objects.filter(kind="report").update(active=False)
    registered(world, store.volunteer)
    assert report_points.award_verified_reports() == 0
    clock.set_now(clock.now() + dt.timedelta(hours=1))
    PointsRule.objects.create(kind="report", points=5, changed_at=clock.now())
    assert report_points.award_verified_reports() == 0


def test_the_command_runs_the_sweep(store, world, capsys):
    registered(world, store.volunteer)
    call_command("volunteers", "award-reports")
    assert "1" in capsys.readouterr().out
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN_REPORT).count() == 1


def test_a_resident_linked_to_a_party_member_earns(store, world):
    from onegrid.party.models import Member, Organisation

    branch = Organisation.objects.create(
        code="B1",
        name="第1社区党支部",
        kind=Organisation.Kind.COMMUNITY_BRANCH,
        unit=world.community,
        created_at=clock.now(),
    )
    Member.objects.create(
        user=world.people.resident,
        name="张三",
        category=Member.Category.RETIRED,
        organisation=branch,
        created_at=clock.now(),
    )
    registered(world, world.people.resident)
    assert report_points.award_verified_reports() == 1
    assert points.balance(world.people.resident) == 5
