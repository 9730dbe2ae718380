"""双报到: who reports in where, who confirms, one live report-in per unit and member, replays,
and the coverage figures the measures read."""

from __future__ import annotations

import pytest

from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.org.models import PersonalDataRead
from onegrid.party import report_ins
from onegrid.party.models import Member, ReportIn
from onegrid.party.report_in_selectors import (
    live_report_in,
    report_in_coverage,
    report_ins_for_staff,
    report_ins_to,
)
from support.party_rows import party_rows


@pytest.fixture
def rows(world):
    return party_rows(world)


def test_a_unit_reports_in_to_where_it_stands_and_the_community_confirms(world, rows):
    out = report_ins.report_in_unit(
        actor=rows.secretary, organisation=rows.firm, idempotency_key="u1"
    )
    assert out.report_in.community == world.community
    assert out.report_in.state == ReportIn.State.PENDING
    assert live_report_in(organisation=rows.firm) is None  # pending is not yet live for claims
    report_ins.confirm(actor=rows.community_staff, report_in=out.report_in)
    assert live_report_in(organisation=rows.firm).pk == out.report_in.pk


def test_a_unit_may_not_report_in_to_another_community(world, rows):
    with pytest.raises(InvalidInput) as refused:
        report_ins.report_in_unit(
            actor=rows.secretary,
            organisation=rows.firm,
            idempotency_key="u1",
            community=rows.other_community,
        )
    assert refused.value.field == "community"
    assert not ReportIn.objects.exists()


def test_only_the_secretary_or_party_staff_report_a_unit_in(world, rows):
    for stranger in (world.people.resident, rows.other_staff, rows.admin, rows.member_account):
        with pytest.raises(PermissionDenied):
            report_ins.report_in_unit(actor=stranger, organisation=rows.firm, idempotency_key="x")
    report_ins.report_in_unit(actor=rows.street_staff, organisation=rows.firm, idempotency_key="y")


def test_a_territorial_organisation_does_not_report_in(world, rows):
    with pytest.raises(InvalidInput):
        report_ins.report_in_unit(
            actor=rows.district_staff, organisation=rows.community_org, idempotency_key="c"
        )


def test_an_employed_member_reports_in_to_their_home_community(world, rows):
    out = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    assert out.report_in.community == world.community
    assert out.report_in.kind == ReportIn.Kind.MEMBER


def test_a_retired_member_is_refused_with_the_reason(world, rows):
    with pytest.raises(InvalidInput) as refused:
        report_ins.report_in_member(
            actor=rows.community_staff, member=rows.retired, idempotency_key="m1"
        )
    assert "在职" in str(refused.value.message) or "in-service" in str(refused.value.message)
    assert not ReportIn.objects.exists()


def test_a_member_without_a_home_community_must_set_it(world, rows):
    with pytest.raises(InvalidInput) as refused:
        report_ins.report_in_member(
            actor=rows.district_staff, member=rows.homeless, idempotency_key="m1"
        )
    assert refused.value.field == "home_community"


def test_a_member_reports_in_nowhere_but_home(world, rows):
    with pytest.raises(InvalidInput) as refused:
        report_ins.report_in_member(
            actor=rows.member_account,
            member=rows.employed,
            idempotency_key="m1",
            community=rows.other_community,
        )
    assert refused.value.field == "community"


def test_someone_else_may_not_report_a_member_in(world, rows):
    # Another member's account, and staff of another street, are refused.
    with pytest.raises(PermissionDenied):
        report_ins.report_in_member(
            actor=rows.member_account, member=rows.elsewhere, idempotency_key="m1"
        )
    with pytest.raises(PermissionDenied):
        report_ins.report_in_member(
            actor=rows.other_staff, member=rows.employed, idempotency_key="m2"
        )


def test_one_live_report_in_per_member_and_unit(world, rows):
    report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    with pytest.raises(InvalidInput) as refused:
        report_ins.report_in_member(
            actor=rows.member_account, member=rows.employed, idempotency_key="m2"
        )
    assert "第1社区" in str(refused.value.message)
    first = report_ins.report_in_unit(
        actor=rows.secretary, organisation=rows.firm, idempotency_key="u1"
    )
    report_ins.confirm(actor=rows.street_staff, report_in=first.report_in)
    with pytest.raises(InvalidInput):
        report_ins.report_in_unit(
            actor=rows.secretary, organisation=rows.firm, idempotency_key="u2"
        )
    assert ReportIn.objects.count() == 2
    # Ended (moved away), it may report in again.
    report_ins.end(actor=rows.secretary, report_in=first.report_in)
    report_ins.report_in_unit(actor=rows.secretary, organisation=rows.firm, idempotency_key="u3")
    assert ReportIn.objects.filter(state__in=["pending", "confirmed"]).count() == 2


def test_a_replay_returns_the_first_report_in(world, rows):
    first = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="same"
    )
    again = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="same"
    )
    assert again.replayed and again.report_in.pk == first.report_in.pk
    assert ReportIn.objects.count() == 1
    with pytest.raises(Conflict):
        report_ins.report_in_unit(
            actor=rows.secretary, organisation=rows.firm, idempotency_key="same"
        )


def test_a_report_in_needs_a_sound_key(world, rows):
    for key in ("", None, "x" * 65, "a\x00b"):
        with pytest.raises(InvalidInput) as refused:
            report_ins.report_in_member(
                actor=rows.member_account, member=rows.employed, idempotency_key=key
            )
        assert refused.value.field == "idempotency_key"


def test_only_the_communitys_party_staff_confirm(world, rows):
    out = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    for stranger in (rows.other_staff, rows.admin, world.people.acceptor, rows.member_account):
        with pytest.raises(PermissionDenied):
            report_ins.confirm(actor=stranger, report_in=out.report_in)
    for allowed in (rows.community_staff, rows.street_staff, rows.district_staff):
        assert report_ins.confirm(actor=allowed, report_in=out.report_in).report_in.state == (
            "confirmed"
        )


def test_declining_needs_a_reason_and_frees_the_member(world, rows):
    out = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    for reason in ("", "   ", "x" * 201, "bad\x00"):
        with pytest.raises(InvalidInput) as refused:
            report_ins.decline(actor=rows.community_staff, report_in=out.report_in, reason=reason)
        assert refused.value.field == "reason"
    declined = report_ins.decline(
        actor=rows.community_staff, report_in=out.report_in, reason="不在本社区居住"
    ).report_in
    assert declined.state == "declined" and declined.decline_reason == "不在本社区居住"
    with pytest.raises(InvalidInput):
        report_ins.confirm(actor=rows.community_staff, report_in=declined)
    report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m2"
    )


def test_a_transfer_or_move_keeps_the_report_in_until_ended(world, rows):
    out = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    report_ins.confirm(actor=rows.community_staff, report_in=out.report_in)
    Member.objects.filter(pk=rows.employed.pk).update(home_community=rows.other_community)
    assert live_report_in(member=rows.employed).community == world.community
    with pytest.raises(InvalidInput):
        report_ins.report_in_member(
            actor=rows.member_account, member=rows.employed, idempotency_key="m2"
        )
    report_ins.end(actor=rows.member_account, report_in=out.report_in)
    moved = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m3"
    )
    assert moved.report_in.community == rows.other_community


def test_members_are_masked_unless_the_reader_reads_party_membership(world, rows):
    out = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    report_ins.confirm(actor=rows.community_staff, report_in=out.report_in)
    unit = report_ins.report_in_unit(
        actor=rows.secretary, organisation=rows.firm, idempotency_key="u1"
    )
    report_ins.confirm(actor=rows.community_staff, report_in=unit.report_in)
    seen = {r.kind: r for r in report_ins_to(world.community, user=world.people.acceptor)}
    assert seen["unit"].name == "某公司党支部"
    assert seen["member"].masked and "李四" not in seen["member"].name
    assert not PersonalDataRead.objects.exists()
    staff_view = {r.kind: r for r in report_ins_to(world.community, user=rows.street_staff)}
    assert staff_view["member"].name == "李四"
    log = PersonalDataRead.objects.get()
    assert log.kind == "party_membership" and log.user == rows.street_staff


def test_staff_see_the_pending_report_ins_of_their_communities_only(world, rows):
    report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    assert [r.name for r in report_ins_for_staff(rows.street_staff, state="pending")] == ["李四"]
    assert report_ins_for_staff(rows.other_staff, state="pending") == []
    assert report_ins_for_staff(world.people.leader, state="pending") == []


def test_coverage_figures_from_known_rows(world, rows):
    # In the first community: one unit (firm) and one in-service member living there
    # (李四; 张三 is retired, 王五 has no home, 赵六 lives in the other street).
    empty = report_in_coverage(unit=world.community)
    assert (empty.units, empty.units_reported, empty.members, empty.members_reported) == (
        1,
        0,
        1,
        0,
    )
    assert empty.unit_rate == 0
    unit = report_ins.report_in_unit(
        actor=rows.secretary, organisation=rows.firm, idempotency_key="u1"
    )
    member = report_ins.report_in_member(
        actor=rows.member_account, member=rows.employed, idempotency_key="m1"
    )
    # Pending counts for nothing.
    assert report_in_coverage(unit=world.community).units_reported == 0
    report_ins.confirm(actor=rows.community_staff, report_in=unit.report_in)
    report_ins.confirm(actor=rows.community_staff, report_in=member.report_in)
    street = report_in_coverage(unit=world.street)
    assert (street.units, street.units_reported, street.members, street.members_reported) == (
        1,
        1,
        1,
        1,
    )
    district = report_in_coverage(unit=world.district)
    # The district adds the other street's unit and member, neither reported in.
    assert (district.units, district.units_reported) == (2, 1)
    assert (district.members, district.members_reported) == (2, 1)
    assert district.member_rate == 0.5
    nothing = report_in_coverage(unit=world.other_street)
    assert nothing.units == 1 and nothing.unit_rate == 0
