"""The demo's one Party member who signs in (the grid teams' pm- people cannot): listed on the
login table so a new user can try the member's side of 双报到 and the lists."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from onegrid.demo.party import member_login, seed_party
from onegrid.demo.people import DEMO_PASSWORD, seed_teams
from onegrid.insight.periods import TZ
from onegrid.party.models import Member, ReportIn

START = dt.datetime(2026, 2, 1, tzinfo=TZ)
END = START + dt.timedelta(days=30)  # before the world's frozen now (2026-03-10)


def test_one_reported_in_member_signs_in_with_the_demo_password(world):
    assert member_login() is None  # nothing to offer before the Party demo
    seed_teams(world.district)
    seed_party(start=START, end=END)
    username = member_login()
    assert username is not None and username.startswith("pm-")
    member = Member.objects.get(user__username=username)
    assert member.category == Member.Category.IN_SERVICE
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    page = client.get("/resident/report-in/")
    assert page.status_code == 200 and "未关联党员" not in page.content.decode()
    confirmed = member.report_ins.filter(state=ReportIn.State.CONFIRMED).first()
    if confirmed is not None:
        assert confirmed.community.name in page.content.decode()
    elif Member.objects.filter(
        user__username__startswith="pm-", report_ins__state=ReportIn.State.CONFIRMED
    ).exists():
        raise AssertionError("a member with a confirmed report-in was passed over")
    assert member_login() == username  # the same person every time
    others = Member.objects.filter(user__username__startswith="pm-").exclude(pk=member.pk)
    assert not any(
        m.user.has_usable_password() and m.user.check_password(DEMO_PASSWORD) for m in others
    )
