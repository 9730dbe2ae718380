"""The demo's Party tree and volunteering (demo.party, demo.volunteering) on the small world:
made through the services, with the invariants the services keep, and made once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from onegrid.demo.party import seed_party
from onegrid.demo.people import seed_teams
from onegrid.demo.volunteering import RULES, seed_volunteering
from onegrid.insight.periods import TZ
from onegrid.party.models import Member, Membership, Organisation, ReportIn
from onegrid.territory.models import Grid
from onegrid.volunteers.models import (
    Activity,
    Claim,
    PointsEntry,
    PointsRule,
    Redemption,
    SignUp,
    Volunteer,
)

START = dt.datetime(2026, 2, 1, tzinfo=TZ)
END = START + dt.timedelta(days=30)  # before the world's frozen now (2026-03-10)


@pytest.fixture
def demo(world):
    seed_teams(world.district)
    party = seed_party(start=START, end=END)
    volunteering = seed_volunteering(start=START, end=END)
    return party, volunteering


def test_the_tree_stands_on_the_territory(world, demo):
    party, _v = demo
    assert party.made_now
    assert Organisation.objects.filter(kind="district_committee").count() == 1
    assert Organisation.objects.filter(kind="street_committee").count() == 2
    assert Organisation.objects.filter(kind="community_committee").count() == 2
    for grid in Grid.objects.all():
        group = Organisation.objects.get(kind="grid_group", grid=grid)
        assert group.unit_id == grid.community_id
        assert group.parent.kind == "community_committee"
        assert group.parent.unit_id == grid.community_id
        head = f"gh-{grid.code}"
        if group.secretary is not None:
            assert group.secretary.username == head


def test_every_member_has_one_open_membership_where_it_says(world, demo):
    members = Member.objects.all()
    assert members.count() >= Grid.objects.count()
    for member in members:
        open_stays = list(Membership.objects.filter(member=member, ended_on__isnull=True))
        assert len(open_stays) == 1
        assert member.organisation_id == open_stays[0].organisation_id
    # The grid teams' Party members are linked to their accounts.
    linked = Member.objects.filter(user__username__startswith="pm-")
    assert linked.count() == Member.objects.filter(user__isnull=False).count() > 0
    # 双报到: only employed members, to their home community; decisions made by the staff.
    for row in ReportIn.objects.filter(kind="member"):
        assert row.member.category == "in_service"
        assert row.community_id == row.member.home_community_id
    states = Counter(ReportIn.objects.values_list("state", flat=True))
    assert states["confirmed"] > 0


def test_volunteering_through_the_month(world, demo):
    _p, v = demo
    assert v.made_now
    assert not v.refused, v.refused  # every step the demo takes, the services accept
    assert {r.kind: r.points for r in PointsRule.objects.filter(active=True)} == RULES
    assert Volunteer.objects.filter(user=world.people.resident).exists()
    assert Activity.objects.exists()
    for row in SignUp.objects.filter(confirmed_at__isnull=False):
        assert row.checked_in_at is not None and row.checked_out_at is not None
        assert START <= row.confirmed_at < END
        entry = PointsEntry.objects.get(source_key=f"signup:{row.pk}")
        assert entry.amount == int(row.confirmed_hours * RULES["hours"])
    for claim in Claim.objects.exclude(member=None):
        live = ReportIn.objects.filter(member=claim.member, state="confirmed").first()
        assert live is not None and live.community_id == claim.item.community_id
        assert live.decided_at < claim.claimed_at
    for claim in Claim.objects.filter(state="confirmed", member__user__isnull=False):
        assert PointsEntry.objects.filter(source_key=f"claim:{claim.pk}").exists()
    for redemption in Redemption.objects.all():
        assert PointsEntry.objects.get(source_key=f"redeem:{redemption.pk}").amount == (
            -redemption.points
        )


def test_the_demo_parts_are_made_once(world, demo):
    before = (Member.objects.count(), Activity.objects.count(), PointsEntry.objects.count())
    again = seed_party(start=START, end=END), seed_volunteering(start=START, end=END)
    assert not again[0].made_now and not again[1].made_now
    after = (Member.objects.count(), Activity.objects.count(), PointsEntry.objects.count())
    assert after == before


def test_streets_whistle_on_quiet_open_cases(world, settings, tmp_path):
    """The demo's whistles go through the workflow: summoned, reported in, fed back, rated, each
    after the case's own last event."""
    from onegrid.cases.models import CaseEvent, Task
    from onegrid.demo import whistles
    from onegrid.org.models import Role
    from support.cases import drive
    from support.people import person

    settings.MEDIA_ROOT = tmp_path
    cases = [drive(world, "in_progress"), drive(world, "in_progress")]
    person("lead-001", Role.SHIFT_LEAD, unit=world.street)
    for department in (world.ecology, world.market):
        person(f"dept-{department.code}", Role.DEPT_HANDLER, department=department)
    last = max(CaseEvent.objects.values_list("at", flat=True))
    start, end = dt.datetime(2026, 3, 1, tzinfo=TZ), dt.datetime(2026, 3, 25, tzinfo=TZ)
    result = whistles.seed_whistles(start=start, end=end, seed=3)
    assert result.cases == 2 and not result.refused, result.refused
    tasks = Task.objects.filter(role=Task.Role.WHISTLE)
    assert tasks.exists()
    assert {t.department_id for t in tasks} <= {world.ecology.pk, world.market.pk}
    assert all(t.dispatched_at > last for t in tasks)
    assert any(t.reported_in_at is not None for t in tasks)
    for case in cases:
        events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
        assert [e.at for e in events] == sorted(e.at for e in events)  # history in order
    # Once is enough.
    assert whistles.seed_whistles(start=start, end=end).cases == 0


def test_the_grid_teams_party_members_and_volunteers_report_in_the_simulation(
    world, settings, tmp_path
):
    """The simulator has a share of the reports made by the grid teams' pm- and vol- accounts,
    so the month's participation counts reports by Party members and volunteers, and their
    registered reports earn points whose ledger note names the case."""
    from onegrid.cases.models import Case
    from onegrid.demo.party import STAFF_USERNAME
    from onegrid.demo.people import seed_people
    from onegrid.demo.simulator import simulate
    from onegrid.insight import participation, periods
    from onegrid.org.models import RoleAssignment, User

    settings.MEDIA_ROOT = tmp_path
    seed_people("pw-simulated")  # the desks, residents and grid teams the simulator acts as
    result = simulate(5, 20260202, start=dt.datetime(2026, 2, 2, tzinfo=TZ), reports_per_day=30)
    assert result.errors == []
    team = Case.objects.filter(source="team").select_related("reporter", "grid")
    patrol_and_residents = Case.objects.filter(source__in=("grid_worker", "resident", "team"))
    assert 0 < team.count() <= 0.15 * patrol_and_residents.count()
    usernames = {case.reporter.username for case in team}
    assert any(u.startswith("pm-") for u in usernames), usernames
    assert any(u.startswith("vol-") for u in usernames), usernames
    for case in team:  # a member of the team of the grid where the problem is
        assert RoleAssignment.objects.filter(
            user=case.reporter, grid=case.grid, role__in=("party_member", "volunteer")
        ).exists()

    seed_party(start=START, end=END)
    seed_volunteering(start=START, end=END)
    staff = User.objects.get(username=STAFF_USERNAME)
    table = participation.participation(
        staff, period=periods.month(2026, 2), scope=participation.Scope("district")
    )
    cells = table.rows[0].cells
    assert cells["reports_members"].value > 0
    assert cells["reports_team_volunteers"].value > 0

    paid = PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN_REPORT)
    assert paid.exists()
    for entry in paid:
        case = Case.objects.get(pk=entry.source_key.removeprefix("report:"))
        assert entry.note == f"上报问题 {case.number} 已立案"
