"""The registers (台账) as XLSX: the mediation register (its file columns only for those who read
the disputes, each download one recorded read of every dispute and party it names), the risk
register and the month's screening of every grid, screened or not."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from onegrid.core import clock
from onegrid.mediation import agreements, risks, screening, services
from onegrid.org.models import PersonalDataRead
from support.mediation_world import build, key, mediating, walk_in
from support.spreadsheets import first_sheet, runs_anything

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _table(response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content)
    assert not runs_anything(first_sheet(data)[0])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def _reads():
    return PersonalDataRead.objects.filter(kind=PersonalDataRead.Kind.MEDIATION)


@pytest.fixture
def disputes(world):
    med = build(world)
    agreed = mediating(world, med)
    agreements.record_agreement(
        actor=med.mediator,
        dispute=agreed,
        facts="漏水",
        matters="维修费",
        responsibilities="楼上承担",
        terms="楼上赔偿维修费2000元",
        performance_manner="一次付清",
        effective_on=clock.local_date(clock.now()).isoformat(),
    )
    failed = mediating(world, med)
    services.fail(
        by=med.mediator,
        dispute=failed,
        reason="双方分歧大",
        referral="litigation",
        referral_note='=HYPERLINK("http://x")',
    )
    fresh = walk_in(world, med, title="=1+1")
    return med, agreed, failed, fresh


def test_the_judicial_office_downloads_the_register_with_its_columns(world, disputes):
    med, agreed, failed, fresh = disputes
    before = _reads().count()
    rows = _table(_client(med.judicial).get("/mediation/register.xlsx"))
    by_number = {r["编号"] if "编号" in r else r["Number"]: r for r in rows}
    assert set(by_number) == {agreed.number, failed.number, fresh.number}
    values = [v for r in rows for v in r.values() if v is not None]
    assert "张三" in values and "李四" in values
    agreed.refresh_from_db()
    assert agreed.agreement.number in values
    assert any(isinstance(v, str) and "=HYPERLINK" in v for v in values)  # kept as text
    # One recorded read per dispute and party named, in one request, channel download.
    new = _reads().filter(pk__gt=0).order_by("-pk")[: _reads().count() - before]
    subjects = {r.subject_id for r in new}
    assert {f"dispute:{d.pk}" for d in (agreed, failed, fresh)} <= subjects
    assert len([s for s in subjects if s.startswith("party:")]) == 6
    assert {r.channel for r in new} == {"download"} and {r.user for r in new} == {med.judicial}
    agreed_read = next(r for r in new if r.subject_id == f"dispute:{agreed.pk}")
    assert "agreement" in agreed_read.fields


def test_filters_narrow_the_download(world, disputes):
    med, agreed, failed, fresh = disputes
    rows = _table(_client(med.mediator).get("/mediation/register.xlsx?state=failed"))
    assert len(rows) == 1
    assert failed.number in rows[0].values()


def test_a_street_desk_gets_lines_and_no_names_and_no_read(world, disputes):
    med, agreed, failed, fresh = disputes
    before = _reads().count()
    rows = _table(_client(world.people.acceptor).get("/mediation/register.xlsx"))
    assert len(rows) == 3
    values = [v for r in rows for v in r.values() if v is not None]
    for secret in ("张三", "李四", "楼上漏水", agreed.agreement.number, "双方分歧大"):
        assert secret not in values
    assert _reads().count() == before


@pytest.mark.parametrize("name", ["other_mediator", "other_judicial"])
def test_another_committee_or_street_downloads_none_of_them(world, disputes, name):
    med = disputes[0]
    rows = _table(_client(getattr(med, name)).get("/mediation/register.xlsx"))
    assert rows == []


@pytest.mark.parametrize("name", ["leader", "worker", "resident"])
def test_those_without_the_register_get_no_download(world, disputes, name):
    response = _client(getattr(world.people, name)).get("/mediation/register.xlsx")
    assert response.status_code == 403


def test_the_register_page_links_its_download(world, disputes):
    page = _client(disputes[0].judicial).get("/mediation/?state=failed").content.decode()
    assert 'id="register-xlsx"' in page and "/mediation/register.xlsx?state=failed" in page


def test_the_risk_register_download(world):
    risk = risks.raise_risk(
        actor=world.people.worker,
        grid=world.grids[0],
        title="@SUM(1)",
        description="多户对物业收费不满。",
        level="high",
        owner=world.people.worker,
        idempotency_key=key("r"),
    ).risk
    rows = _table(_client(world.people.leader).get("/mediation/risks/register.xlsx"))
    assert [r for r in rows if risk.number in r.values()]
    assert "@SUM(1)" in rows[0].values()
    none = _table(_client(world.people.leader).get("/mediation/risks/register.xlsx?level=low"))
    assert none == []
    assert _client(world.people.resident).get("/mediation/risks/register.xlsx").status_code == 403
    page = _client(world.people.leader).get("/mediation/risks/").content.decode()
    assert 'id="risk-register-xlsx"' in page and 'id="screening-xlsx"' in page


def test_the_month_screening_lists_every_grid_screened_or_not(world):
    done = screening.record_screening(
        actor=world.people.worker,
        grid=world.grids[0],
        disputes_found=2,
        risk_level="medium",
        stable=False,
        note="-cmd|' /C calc'!A0",
        idempotency_key=key("s"),
    ).screening
    month = done.month.strftime("%Y-%m")
    rows = _table(
        _client(world.people.acceptor).get(f"/mediation/risks/screening.xlsx?month={month}")
    )
    codes = {r.get("网格编码", r.get("Grid code")): r for r in rows}
    street_grids = [g for g in world.grids if g.street_id == world.street.pk]
    assert set(codes) == {g.code for g in street_grids}
    screened = [r for r in rows if 2 in r.values()]
    assert len(screened) == 1 and "-cmd|' /C calc'!A0" in screened[0].values()
    # The unscreened grids come first.
    assert rows[-1] is screened[0] or len(rows) == 1
    bad = _client(world.people.acceptor).get("/mediation/risks/screening.xlsx?month=2026-13")
    assert bad.status_code == 400 and "month" in bad.content.decode()
    assert _client(world.people.resident).get("/mediation/risks/screening.xlsx").status_code == 403
