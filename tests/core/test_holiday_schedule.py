"""The holiday schedule administrators keep: reading files, whole-year imports that change
nothing while any row is bad, replacing, repeating, exporting, and `onegrid calendar`/`tick`."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from onegrid.core import clock, holiday_schedule, spreadsheets, workdays
from onegrid.core.errors import InvalidInput
from onegrid.core.models import CalendarState, HolidayDay, HolidayYear
from support.holidays import SCHEDULE_2027_CSV, import_2027
from support.spreadsheets import first_sheet, quote_prefixed, runs_anything

pytestmark = pytest.mark.django_db
D = dt.date
TZ = workdays.TZ


def run(text: str | bytes, filename="s.csv", **options) -> holiday_schedule.ScheduleReport:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return holiday_schedule.import_schedule(
        data=data, filename=filename, imported_by=options.pop("imported_by", "tester"), **options
    )


def stored() -> list[tuple]:
    return list(HolidayDay.objects.order_by("day").values_list("day", "kind", "name"))


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reading ----------------------------------------------------------------------------------


def test_import_stores_the_year_with_who_and_when():
    moment = dt.datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
    with clock.frozen_at(moment):
        report = import_2027(imported_by="admin")
    assert [(p.year, p.rest, p.work, p.replaces) for p in report.years] == [
        (2027, 8, 2, workdays.WEEKDAYS)
    ]
    year = HolidayYear.objects.get()
    assert (year.year, year.imported_by, year.imported_at, year.source_name) == (
        2027,
        "admin",
        moment,
        "2027.csv",
    )
    assert stored()[:2] == [(D(2027, 1, 1), "rest", "元旦"), (D(2027, 1, 31), "work", "春节")]
    assert HolidayDay.objects.count() == 10
    assert CalendarState.objects.get().version == 1


def test_every_bad_row_is_named_and_nothing_changes():
    import_2027()
    before, version = stored(), CalendarState.objects.get().version
    bad = (
        "日期,类型,名称\n"
        "2027-02-30,休,x\n"  # no such date
        "2027-02-03,班,y\n"  # a make-up day on a Wednesday
        "2027-02-05,放,\n"  # not a kind
        "2027-02-05,休,\n"  # the same date again
        "2027-02-12,休," + "长" * 41 + "\n"  # name too long
        "1999-02-12,休,\n"  # out of range
        "2027-04-05,休,清明\n"  # a good row
    )
    report = run(bad, replace=True)
    assert report.refused
    assert [(p.row, p.field) for p in report.problems] == [
        (2, "date"),
        (3, "kind"),
        (4, "kind"),
        (5, "date"),
        (6, "name"),
        (7, "date"),
    ]
    # Each message names its row, the column as the file heads it, and the value at fault.
    messages = [p.message for p in report.problems]
    assert all(str(row) in m for row, m in zip(range(2, 8), messages, strict=True))
    assert "日期" in messages[0] and "2027-02-30" in messages[0]
    assert "类型" in messages[1] and "2027-02-03" in messages[1]
    assert "放" in messages[2]
    assert "2027-02-05" in messages[3] and "4" in messages[3]  # the row it repeats
    assert "40" in messages[4]
    assert "1999-02-12" in messages[5]
    assert stored() == before
    assert CalendarState.objects.get().version == version


def test_a_rest_day_on_a_weekend_is_kept_with_a_warning():
    report = import_2027()
    assert [(w.row, w.field) for w in report.warnings] == [(5, "kind"), (6, "kind")]
    assert "2027-02-06" in report.warnings[0].message
    assert (D(2027, 2, 6), "rest", "春节") in stored()


def test_english_headers_kinds_and_other_date_forms():
    text = "Date,Kind,Name\n2027/1/1,rest,New Year\n2027年1月31日,WORK,\n2027.02.05,Rest,\n"
    report = run(text)
    assert not report.problems
    assert stored() == [
        (D(2027, 1, 1), "rest", "New Year"),
        (D(2027, 1, 31), "work", ""),
        (D(2027, 2, 5), "rest", ""),
    ]


def test_gb18030_csv_and_xlsx_are_read():
    report = run(SCHEDULE_2027_CSV.encode("gb18030"), filename="2027.csv")
    assert not report.problems and HolidayDay.objects.count() == 10
    rows = [
        ["日期", "类型", "名称"],
        [dt.datetime(2027, 1, 1), "休", "元旦"],
        ["2027-01-31", "班", ""],
    ]
    report = run(xlsx(rows), filename="2027.xlsx", replace=True)
    assert not report.problems
    assert stored() == [(D(2027, 1, 1), "rest", "元旦"), (D(2027, 1, 31), "work", "")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "file"),
        (b"day,what\n2027-01-01,rest\n", "date"),
        (b"date,name\n2027-01-01,x\n", "kind"),
        (b"\xff\xfe\x00\xd8broken", "file"),
        (b"PK\x03\x04 not a workbook", "file"),
        (b"date,kind\n" + b"2027-01-01,rest\n" * (holiday_schedule.MAX_ROWS + 1), "file"),
        (b"x" * (holiday_schedule.MAX_FILE_BYTES + 1), "file"),
    ],
)
def test_unreadable_files_are_refused_at_their_field(data, field):
    with pytest.raises(InvalidInput) as error:
        run(data)
    assert error.value.field == field
    assert not HolidayYear.objects.exists()


def test_a_file_without_dates_is_refused():
    report = run("日期,类型,名称\n,,\n")
    assert report.refused and report.problems[0].field == "file"


# --- years ------------------------------------------------------------------------------------


def test_a_year_with_a_schedule_is_replaced_only_when_asked():
    import_2027()
    changed = SCHEDULE_2027_CSV.replace("2027-02-14,班,春节\n", "2027-02-20,班,春节\n")
    report = run(changed)
    assert report.refused
    assert [p.field for p in report.problems] == ["replace"]
    assert (D(2027, 2, 14), "work", "春节") in stored()
    report = run(changed, replace=True)
    assert not report.problems
    plan = report.years[0]
    assert (plan.replaces, plan.added, plan.removed, plan.changed) == (
        workdays.SCHEDULE,
        [D(2027, 2, 20)],
        [D(2027, 2, 14)],
        [],
    )
    assert (D(2027, 2, 20), "work", "春节") in stored()
    assert (D(2027, 2, 14), "work", "春节") not in stored()


def test_importing_the_same_file_again_changes_nothing():
    import_2027()
    version = CalendarState.objects.get().version
    report = run(SCHEDULE_2027_CSV, filename="again.csv")  # no replace needed: it is the same
    assert not report.problems and report.years[0].unchanged
    assert CalendarState.objects.get().version == version
    assert HolidayYear.objects.get().source_name == "2027.csv"


def test_only_the_chosen_year_and_other_years_are_errors():
    text = SCHEDULE_2027_CSV + "2028-01-03,休,元旦\n"
    report = run(text, year=2027)
    assert report.refused
    assert [(p.row, p.field) for p in report.problems] == [(12, "date")]
    assert not HolidayYear.objects.exists()
    report = run(text)  # without a year: both years, each replaced whole
    assert not report.problems
    assert [p.year for p in report.years] == [2027, 2028]
    assert list(HolidayYear.objects.values_list("year", flat=True)) == [2027, 2028]
    report = run(SCHEDULE_2027_CSV, year=2028)
    assert [p.field for p in report.problems] == ["date"] * 10
    with pytest.raises(InvalidInput) as error:
        run(SCHEDULE_2027_CSV, year=1800)
    assert error.value.field == "year"


def test_a_dry_run_reports_and_changes_nothing():
    report = run(SCHEDULE_2027_CSV, dry_run=True)
    assert report.dry_run and not report.problems
    assert report.years[0].added[:2] == [D(2027, 1, 1), D(2027, 1, 31)]
    assert not HolidayYear.objects.exists() and not CalendarState.objects.exists()
    assert workdays.source_of(2027) == workdays.WEEKDAYS


def test_a_schedule_for_a_package_year_says_how_far_it_differs():
    text = "date,kind\n2026-02-16,rest\n2026-02-14,work\n"
    report = run(text, dry_run=True)
    differ = [w for w in report.warnings if w.field == "year"]
    assert len(differ) == 1 and "2026" in differ[0].message


def test_export_reads_back_as_the_same_schedule():
    import_2027()
    exported = holiday_schedule.export_csv([2027])
    assert exported.startswith("\ufeff日期,类型,名称".encode())
    HolidayYear.objects.all().delete()
    report = run(exported, filename="back.csv")
    assert not report.problems and HolidayDay.objects.count() == 10
    header, rows = holiday_schedule.export_table([2026])  # the package's 2026, in Chinese
    assert header == ["日期", "类型", "名称"]
    assert ["2026-02-16", "休", "春节"] in rows and ["2026-02-14", "班", "春节"] in rows
    book = openpyxl.load_workbook(io.BytesIO(holiday_schedule.export_xlsx([2027])))
    assert [c.value for c in book.active[2]] == ["2027-01-01", "休", "元旦"]


def test_holiday_names_are_exported_as_text_and_read_back_the_same():
    """A name that starts like a formula never runs in the spreadsheet that opens an export,
    and the export imports back to the same schedule (core.formula_text)."""
    names = ['=HYPERLINK("http://evil.example","点此")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "'-1"]
    rows = [[f"2027-01-0{day}", "休", name] for day, name in enumerate(names, start=1)]
    # Typed into a workbook: "'-1" keeps its apostrophe (in a CSV, an apostrophe before a
    # formula start is read as the spreadsheets' mark for text and taken off).
    typed = spreadsheets.xlsx_bytes(["日期", "类型", "名称"], rows)
    report = run(typed, filename="typed.xlsx")
    assert not report.problems, report.problems
    before = stored()
    assert [name for _day, _kind, name in before] == names
    exported = holiday_schedule.export_csv([2027])
    fields = [f for r in csv.reader(io.StringIO(exported.decode("utf-8-sig"))) for f in r]
    assert not [f for f in fields if f[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert '\'=HYPERLINK("http://evil.example","点此")' in fields and "''-1" in fields
    as_xlsx = holiday_schedule.export_xlsx([2027])
    assert not runs_anything(first_sheet(as_xlsx)[0])
    assert quote_prefixed(as_xlsx, "C") == {"C2", "C3", "C4", "C5"}
    for data, filename in ((exported, "back.csv"), (as_xlsx, "back.xlsx")):
        HolidayYear.objects.all().delete()
        report = run(data, filename=filename)
        assert not report.problems and stored() == before, filename


def test_removing_a_year_gives_it_back_to_the_package_or_weekdays():
    import_2027()
    assert holiday_schedule.remove_year(year=2027)
    assert workdays.source_of(2027) == workdays.WEEKDAYS
    assert not HolidayDay.objects.exists()
    assert not holiday_schedule.remove_year(year=2027)


# --- the commands -----------------------------------------------------------------------------


def write(tmp_path, text, name="2027.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def test_calendar_import_command_names_bad_rows_and_changes_nothing(tmp_path, capsys):
    path = write(tmp_path, "日期,类型\n2027-02-03,班\n2027-13-01,休\n2027-02-05,休\n")
    with pytest.raises(CommandError):
        call_command("calendar", "import", path, "--year", "2027")
    out = capsys.readouterr().out
    assert "2027-02-03" in out and "2027-13-01" in out
    assert "2" in out and "3" in out
    assert not HolidayYear.objects.exists()


def test_calendar_import_show_export_commands(tmp_path, capsys):
    path = write(tmp_path, SCHEDULE_2027_CSV)
    call_command("calendar", "import", path, "--dry-run")
    assert not HolidayYear.objects.exists()
    call_command("calendar", "import", path, "--by", "admin")
    assert HolidayYear.objects.get().imported_by == "admin"
    other = write(tmp_path, "日期,类型\n2027-02-01,休\n", "x.csv")
    with pytest.raises(CommandError):
        call_command("calendar", "import", other)  # 2027 has a schedule: needs --replace
    call_command("calendar", "import", other, "--replace", "--by", "admin2")
    assert stored() == [(D(2027, 2, 1), "rest", "")]
    capsys.readouterr()
    with clock.frozen_at(dt.datetime(2026, 12, 5, 9, tzinfo=TZ)):
        call_command("calendar", "show")
    shown = capsys.readouterr()
    lines = shown.out.splitlines()
    assert any(line.startswith("2027") and "admin2" in line and "x.csv" in line for line in lines)
    assert any(line.startswith("2026") for line in lines)
    assert shown.err == ""  # 2027 has a schedule
    call_command("calendar", "show", "--year", "2027")
    assert "2027-02-01" in capsys.readouterr().out
    out = tmp_path / "out.xlsx"
    call_command("calendar", "export", "--year", "2027", "--out", str(out))
    assert openpyxl.load_workbook(out).active["A2"].value == "2027-02-01"
    call_command("calendar", "export", "--year", "2026")
    assert "2026-10-01,休,国庆节" in capsys.readouterr().out
    call_command("calendar", "remove", "--year", "2027")
    assert not HolidayYear.objects.exists()
    with pytest.raises(CommandError):
        call_command("calendar", "import", str(tmp_path / "missing.csv"))


@pytest.mark.parametrize(
    ("moment", "warned"),
    [
        (dt.datetime(2026, 11, 30, 23, 59, tzinfo=TZ), False),
        (dt.datetime(2026, 12, 1, 0, 0, tzinfo=TZ), True),
        (dt.datetime(2026, 12, 31, 23, 0, tzinfo=TZ), True),
    ],
)
def test_tick_warns_on_stderr_from_the_first_of_december(moment, warned, capsys):
    with clock.frozen_at(moment):
        call_command("tick")
    captured = capsys.readouterr()
    assert "escalated" in captured.out
    assert ("2027" in captured.err) is warned
    assert "2027" not in captured.out


def test_tick_is_quiet_once_next_year_is_imported(capsys):
    import_2027()
    with clock.frozen_at(dt.datetime(2026, 12, 1, 9, tzinfo=TZ)):
        call_command("tick")
    assert capsys.readouterr().err == ""
