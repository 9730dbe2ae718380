"""The monthly reports page /console/reports/: who sees which reports, downloads them and may
have one written now (POST, CSRF, org.policies); odd input is a 4xx naming the field."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from django.test import Client

from onegrid.core import clock
from onegrid.insight import periods, reports
from onegrid.org.models import Role, RoleAssignment, User
from support.cases import report
from support.web import client_for

MARCH = periods.month(2026, 3)
APRIL_2 = dt.datetime(2026, 4, 2, 8, 0, tzinfo=periods.TZ)
ROW = re.compile(r'data-report="([^"]+)"')


@pytest.fixture
def written(world, settings, tmp_path):
    """March's reports of the district and both streets written; a supervisor and a street
    leader added; the clock in early April."""
    settings.ONEGRID = {**settings.ONEGRID, "REPORTS_DIR": str(tmp_path / "reports")}
    report(world)
    report(world, who=world.people.far_worker, point=world.far_point)
    clock.set_now(APRIL_2)
    reports.generate_monthly(MARCH, reports.report_scopes())
    for username, role, unit in [
        ("supervisor", Role.SUPERVISOR, world.district),
        ("street_leader", Role.LEADER, world.street),
    ]:
        user = User.objects.create_user(username)
        RoleAssignment.objects.create(user=user, role=role, unit=unit)
        setattr(world.people, username, user)
    return world


def _listed(world, who: str) -> set[str]:
    response = client_for(world, who).get("/console/reports/")
    assert response.status_code == 200
    return set(ROW.findall(response.content.decode()))


def test_each_role_lists_the_reports_it_may_read(written):
    w = written
    mine, theirs = f"2026-03/{w.street.code}", f"2026-03/{w.other_street.code}"
    everything = {"2026-03/district", mine, theirs}
    assert _listed(w, "command") == everything
    assert _listed(w, "leader") == everything
    assert _listed(w, "supervisor") == everything
    assert _listed(w, "acceptor") == {mine}
    assert _listed(w, "dispatcher") == {mine}
    assert _listed(w, "street_leader") == {mine}
    assert _listed(w, "other_acceptor") == {theirs}


@pytest.mark.parametrize("who", ["worker", "resident", "city_handler"])
def test_others_may_not_open_the_page_or_download(written, who):
    client = client_for(written, who)
    assert client.get("/console/reports/").status_code == 403
    assert client.get("/console/reports/2026-03/district.pdf").status_code == 403


def test_download_is_the_pdf_for_those_who_may_read_it(written):
    w = written
    response = client_for(w, "acceptor").get(f"/console/reports/2026-03/{w.street.code}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith("attachment; ")
    name = unquote(response["Content-Disposition"].split("filename*=UTF-8''", 1)[1])
    assert name == "果园新村街道月度报告 2026-03.pdf"
    assert response["Cache-Control"] == "private, no-store"
    # Another street's report and the district's are not the desk's.
    client = client_for(w, "acceptor")
    assert client.get(f"/console/reports/2026-03/{w.other_street.code}.pdf").status_code == 403
    assert client.get("/console/reports/2026-03/district.pdf").status_code == 403
    assert client_for(w, "leader").get("/console/reports/2026-03/district.pdf").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "2026-02/district.pdf",  # not written
        "2026-13/district.pdf",
        "2026-03/120113009000.pdf",
        "2026-03/..%2F..%2Fsecret_key.pdf",
        "2026-03/" + "9" * 5000 + ".pdf",
        "x" * 5000 + "/district.pdf",
        "２０２６-03/district.pdf",
    ],
)
def test_unknown_or_odd_report_paths_are_404(written, path):
    assert client_for(written, "command").get(f"/console/reports/{path}").status_code == 404


def test_generate_now_writes_the_report_and_lists_it(written):
    w = written
    client = client_for(w, "command")
    response = client.post("/console/reports/generate/", {"month": "2026-02", "scope": "district"})
    assert response.status_code == 302
    assert (reports.reports_dir() / "2026-02" / "district.pdf").is_file()
    page = client.get("/console/reports/").content.decode()
    assert 'data-report="2026-02/district"' in page
    assert "已生成" in page  # the message


def test_generate_now_is_policy_checked(written):
    w = written
    desk = client_for(w, "acceptor")
    ok = desk.post("/console/reports/generate/", {"month": "2026-02", "scope": w.street.code})
    assert ok.status_code == 302
    for scope in ("district", w.other_street.code):
        refused = desk.post("/console/reports/generate/", {"month": "2026-02", "scope": scope})
        assert refused.status_code == 403
    assert not (reports.reports_dir() / "2026-02" / "district.pdf").exists()
    assert (
        client_for(w, "worker")
        .post("/console/reports/generate/", {"month": "2026-02", "scope": w.street.code})
        .status_code
        == 403
    )


def test_generate_needs_the_csrf_token_and_a_post(written):
    client = Client(enforce_csrf_checks=True)
    client.force_login(written.people.command)
    response = client.post("/console/reports/generate/", {"month": "2026-02", "scope": "district"})
    assert response.status_code == 403
    assert not (reports.reports_dir() / "2026-02").exists()
    assert client_for(written, "command").get("/console/reports/generate/").status_code == 405


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"month": "2026-13", "scope": "district"}, "month"),
        ({"month": "2026-04", "scope": "district"}, "month"),  # not ended yet
        ({"month": "2099-01", "scope": "district"}, "month"),
        ({"month": "２０２６-03", "scope": "district"}, "month"),
        ({"month": "9" * 10_000, "scope": "district"}, "month"),
        ({"month": "2026-03\x00", "scope": "district"}, "month"),
        ({"scope": "district"}, "month"),
        ({"month": "2026-03", "scope": "120113009000"}, "scope"),
        ({"month": "2026-03", "scope": "9" * 10_000}, "scope"),
        ({"month": "2026-03"}, "scope"),
    ],
)
def test_bad_generate_input_is_a_400_naming_the_field(written, data, field):
    response = client_for(written, "command").post("/console/reports/generate/", data)
    assert response.status_code == 400
    assert f'data-field="{field}"'.encode() in response.content


def test_a_busy_writer_is_told_not_failed(written):
    with reports._writing_lock(wait=True):
        response = client_for(written, "command").post(
            "/console/reports/generate/", {"month": "2026-02", "scope": "district"}, follow=True
        )
    assert response.status_code == 200
    assert "另一份报告正在生成" in response.content.decode()


def test_the_page_is_in_the_navigation_of_those_who_may_open_it(written):
    link = 'href="/console/reports/"'
    assert link in client_for(written, "leader").get("/console/measures/").content.decode()
    assert link in client_for(written, "acceptor").get("/console/").content.decode()
    assert link not in client_for(written, "city_handler").get("/inbox/").content.decode()
    # Nobody lands on it: leaders still land on the measures page.
    landing = client_for(written, "leader").get("/")
    assert landing.status_code == 302 and landing["Location"] == "/console/measures/"


def test_the_serve_loop_writes_last_months_reports_if_missing():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "while sleep 60" in recipe
    assert "onegrid reports monthly --if-missing" in recipe
