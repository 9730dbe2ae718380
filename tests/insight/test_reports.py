"""insight.reports: the monthly PDF report rendered and read back (pypdf), its font embedded,
the figures equal compute_measures'; the reports written under the reports folder once per
month and scope; `onegrid reports monthly`, cheap when there is nothing to do."""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onegrid.core import clock
from onegrid.insight import periods, reports
from onegrid.insight.measures import compute_measures
from support.cases import drive, report

MARCH = periods.month(2026, 3)
# Early April: March is the last full month.
APRIL_2 = dt.datetime(2026, 4, 2, 8, 0, tzinfo=periods.TZ)


@pytest.fixture
def history(world, settings, tmp_path):
    """Cases of March 2026 in both streets (one closed, one at a department, some reported),
    then the clock in early April; the reports folder in tmp_path."""
    settings.ONEGRID = {**settings.ONEGRID, "REPORTS_DIR": str(tmp_path / "reports")}
    p = world.people
    drive(world, "closed")
    drive(world, "in_progress")
    report(world, who=p.worker2, point=(117.115, 39.205))
    report(world, who=p.far_worker, point=world.far_point)
    report(world, who=p.far_worker, case_class=world.building, point=world.far_point)
    clock.set_now(APRIL_2)
    return world


def _text(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _fonts(reader: pypdf.PdfReader) -> dict[str, object]:
    """Every font the pages use: base name → its font descriptor (of the descendant font)."""
    found = {}
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            found[str(font["/BaseFont"])] = descriptor.get_object() if descriptor else None
    return found


def test_district_report_reads_back_in_chinese_with_the_measures_figures(history):
    pdf = reports.render_monthly_report(MARCH, reports.district_scope())
    assert pdf.startswith(b"%PDF-")
    reader, text = _text(pdf)
    assert "北辰区网格化管理月度报告" in text
    assert "数据截至 2026-04-02 08:00（北京时间）" in text
    assert "2026-03-01 至 2026-03-31" in text
    # The figures are compute_measures' for the same period and moment.
    measures = compute_measures(MARCH.start, MARCH.end, as_of=APRIL_2)
    for key in ("valid_report_rate", "proactive_share", "closure_rate"):
        item = measures[key]
        assert item.denominator > 0
        assert f"{item.numerator} / {item.denominator}" in text
        assert f"{item.value}%" in text
        assert str(item.label) in text  # the Chinese label
    assert str(measures.reports) in text
    # League tables with the red and black marks, both streets, the departments.
    for heading in ("街道排名（红黑榜）", "部门排名（红黑榜）", "网格员排名（红黑榜）"):
        assert heading in text
    assert "果园新村街道" in text and "集贤里街道" in text and "城管委" in text
    assert "红榜" in text
    # Comparisons, trend, classes, page numbers.
    assert "环比（上月）" in text and "同比（去年同月）" in text
    assert "近 12 个月趋势" in text and "2025-04" in text and "2026-03" in text
    assert "高发问题类别" in text and "暴露垃圾" in text
    pages = len(reader.pages)
    assert f"第 1 页，共 {pages} 页" in text and f"第 {pages} 页，共 {pages} 页" in text
    # Metadata.
    assert reader.metadata.title.startswith("北辰区")


def test_the_cjk_font_is_embedded_as_a_subset_and_nothing_else_is_needed(history):
    reader, _text_ = _text(reports.render_monthly_report(MARCH, reports.district_scope()))
    fonts = _fonts(reader)
    assert fonts
    for name, descriptor in fonts.items():
        assert re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei.*", name), name  # subset prefix
        assert descriptor is not None and "/FontFile2" in descriptor  # TrueType, embedded


def test_street_report_ranks_the_streets_and_only_its_own_grid_workers(history):
    scope = reports.street_scope(history.street.code)
    _reader, text = _text(reports.render_monthly_report(MARCH, scope))
    assert "果园新村街道网格化管理月度报告" in text
    assert "果园新村街道 ◀" in text  # its own row in the streets' table
    assert "集贤里街道" in text  # the other street, ranked
    assert "worker2" in text and "far_worker" not in text  # its own grid workers only
    assert "部门排名" not in text
    street = compute_measures(MARCH.start, MARCH.end, as_of=APRIL_2, street=history.street)
    item = street["valid_report_rate"]
    assert f"{item.numerator} / {item.denominator}" in text and f"{item.value}%" in text


def test_an_empty_month_still_renders(history):
    pdf = reports.render_monthly_report(periods.month(2025, 1), reports.district_scope())
    _reader, text = _text(pdf)
    assert "本期无上报。" in text  # no classes
    assert "0 / 0" in text and "—" in text  # rates with nothing to measure
    assert "2025-01" in text


def test_a_missing_font_is_a_clear_error(history, settings, tmp_path):
    settings.ONEGRID = {**settings.ONEGRID, "PDF_FONT": str(tmp_path / "nope.ttc")}
    with pytest.raises(reports.ReportFontMissing, match="fonts-wqy-microhei"):
        reports.render_monthly_report(MARCH, reports.district_scope())
    not_a_font = tmp_path / "not-a-font.ttf"
    not_a_font.write_bytes(b"plain text, not a font")
    settings.ONEGRID = {**settings.ONEGRID, "PDF_FONT": str(not_a_font)}
    with pytest.raises(reports.ReportFontMissing, match="无法使用"):
        reports.render_monthly_report(MARCH, reports.district_scope())
    with pytest.raises(CommandError, match="fonts-wqy-microhei|无法使用"):
        call_command("reports", "monthly", "--district", "--month", "2026-03")


def _files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_generate_writes_once_per_month_and_scope_and_if_missing_keeps_them(history):
    root = reports.reports_dir()
    scopes = reports.report_scopes()
    assert [s.kind for s in scopes] == ["district", "street", "street"]
    first = reports.generate_monthly(MARCH, scopes)
    assert all(o.written for o in first)
    written = [f for f in _files(root) if not f.endswith(".lock")]
    assert written == [
        "2026-03/district.pdf",
        f"2026-03/street-{history.street.code}.pdf",
        f"2026-03/street-{history.other_street.code}.pdf",
    ]
    district = root / "2026-03" / "district.pdf"
    os.utime(district, (1, 1))
    again = reports.generate_monthly(MARCH, scopes)  # replaced, not duplicated
    assert all(o.written for o in again)
    assert [f for f in _files(root) if not f.endswith(".lock")] == written
    assert district.stat().st_mtime > 1
    os.utime(district, (1, 1))
    kept = reports.generate_monthly(MARCH, scopes, if_missing=True)
    assert not any(o.written for o in kept)
    assert district.stat().st_mtime == 1
    listed = reports.stored_reports()
    assert [(r.period.key, r.key) for r in listed] == [
        ("2026-03", "district"),
        ("2026-03", history.street.code),
        ("2026-03", history.other_street.code),
    ]
    assert reports.find_report("2026-03", "district").path == district


def test_if_missing_with_nothing_missing_is_cheap(history, monkeypatch):
    reports.generate_monthly(MARCH, reports.report_scopes())

    def must_not_render(*args, **kwargs):
        raise AssertionError("nothing was missing")

    monkeypatch.setattr(reports, "render_monthly_report", must_not_render)
    with CaptureQueriesContext(connection) as queries:
        call_command("reports", "monthly", "--if-missing", stdout=io.StringIO())
    assert len(queries) <= 2  # the streets, to know which reports there should be


def test_command_writes_the_last_full_month_by_default(history):
    out = io.StringIO()
    call_command("reports", "monthly", "--street", history.street.code, stdout=out)
    assert f"2026-03/street-{history.street.code}.pdf" in out.getvalue()
    assert "1" in out.getvalue().splitlines()[-1]
    call_command("reports", "monthly", "--district", "--month", "2026-02", stdout=out)
    assert (reports.reports_dir() / "2026-02" / "district.pdf").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month"),
        (["--month", "２０２６-03"], "--month"),
        (["--month", "99999-01"], "--month"),
        (["--street", "999999999999"], "--street"),
    ],
)
def test_command_refuses_bad_input_naming_the_option(history, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("reports", "monthly", *args)


def test_one_writer_at_a_time(history):
    with reports._writing_lock(wait=True), pytest.raises(reports.Busy):
        reports.generate_monthly(MARCH, [reports.district_scope()], wait=False)
    # The schedule's run steps aside quietly when another is writing.
    with reports._writing_lock(wait=True):
        err = io.StringIO()
        call_command("reports", "monthly", "--if-missing", stderr=err, stdout=io.StringIO())
        assert "另一个进程" in err.getvalue()


def test_long_league_tables_show_their_two_ends():
    from onegrid.insight.selectors import LeagueRow

    def rows(n):
        return [LeagueRow(i + 1, f"c{i}", f"n{i}", None, 0, 0, "", True) for i in range(n)]

    assert reports._league_rows(rows(24)) == rows(24)  # every street
    shown = reports._league_rows(rows(1300))  # a district's grid workers
    assert len(shown) == 2 * reports.LEAGUE_ENDS + 1 and shown[reports.LEAGUE_ENDS] is None
    assert shown[0].rank == 1 and shown[-1].rank == 1300


@pytest.mark.django_db
def test_a_district_not_set_up_yet_still_gets_an_empty_report(settings, tmp_path):
    settings.ONEGRID = {**settings.ONEGRID, "REPORTS_DIR": str(tmp_path)}
    assert reports.report_scopes() == [reports.district_scope()]
    _reader, text = _text(reports.render_monthly_report(MARCH, reports.district_scope()))
    name = reports.scope_name(reports.district_scope())  # "whole district", translated
    assert name and f"{name}网格化管理月度报告" in text
    assert "本期无上报。" in text
