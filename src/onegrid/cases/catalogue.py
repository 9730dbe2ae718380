"""The class catalogue as a spreadsheet: the default catalogue, import and export.

A catalogue file has one row per minor class; the major class is repeated on every row, so the
file can be sorted and filtered in Excel without losing anything. Columns (see COLUMNS):

    major_code, major_name, major_name_en, code, name, name_en, time_limit, time_unit, urgency,
    default_department, route_to_street_police, minor_self_closable, filing_criteria,
    closing_criteria, active, legal_basis_law, legal_basis_article

Only the first six of those listed in REQUIRED must be present; unknown columns are ignored, so a
hotline (12345) catalogue or a neighbouring city's catalogue imports as long as it uses these
headers. Import is all-or-nothing: every row is checked before anything is written, and the
error names the spreadsheet row (the header is row 1) and the column. Rows are upserted by
class code; classes that are missing from the file are left as they are (deactivate them with
active=false rather than by omission, so cases that use them keep their class).

legal_basis_law and legal_basis_article name the law a class is handled under and its
article(s) (法律依据, shown to staff on the case page); both optional, an article only with its
law. The default catalogue names them where a law clearly governs the class and leaves them
blank elsewhere.

Class and major class codes follow core.codes' rule (ASCII letters and digits, then also
- _ .). A file is read within the upload limits (core.limits: its size, what an XLSX unpacks
to, its rows), refused before it is read on when it is beyond them.

The default catalogue (data/default_catalogue.csv) merges city management with comprehensive
governance (DOMAIN.md §4). In major class A, events keep the national standard's event codes
(A0101 私搭乱建, A0102 暴露垃圾, …) and components (部件) take an "AC" prefix (AC0101 井盖缺失破损),
because the standard numbers components and events from 01 alike and a code must be unique.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from onegrid.core import columns
from onegrid.core.codes import code_problem
from onegrid.core.errors import InvalidInput
from onegrid.core.formula_text import csv_row
from onegrid.core.limits import file_too_large, upload_limits
from onegrid.core.spreadsheets import iter_sheet_rows, read_csv_table, xlsx_bytes
from onegrid.org.departments import ensure_default_departments
from onegrid.org.models import Department
from onegrid.territory.models import AdminUnit

from .models import CaseClass, ClassOverride, MajorClass

if TYPE_CHECKING:
    from _typeshed import SupportsRead

DEFAULT_CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "default_catalogue.csv"

COLUMNS = (
    "major_code",
    "major_name",
    "major_name_en",
    "code",
    "name",
    "name_en",
    "time_limit",
    "time_unit",
    "urgency",
    "default_department",
    "route_to_street_police",
    "minor_self_closable",
    "filing_criteria",
    "closing_criteria",
    "active",
    "legal_basis_law",
    "legal_basis_article",
)
REQUIRED = ("major_code", "major_name", "code", "name", "time_limit", "time_unit")
FORMATS = ("csv", "xlsx")

# Spreadsheets written by hand use these spellings; export always writes the canonical value.
_UNITS = {
    "hours": "hours",
    "hour": "hours",
    "h": "hours",
    "小时": "hours",
    "工作小时": "hours",
    "days": "days",
    "day": "days",
    "d": "days",
    "天": "days",
    "工作日": "days",
}
_URGENCIES = {
    "red": "red",
    "红": "red",
    "紧急": "red",
    "yellow": "yellow",
    "黄": "yellow",
    "优先": "yellow",
    "blue": "blue",
    "蓝": "blue",
    "一般": "blue",
}
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}
_MAX_LENGTH = {
    "major_code": columns.max_length(MajorClass, "code"),
    "major_name": columns.max_length(MajorClass, "name"),
    "major_name_en": columns.max_length(MajorClass, "name_en"),
    "code": columns.max_length(CaseClass, "code"),
    "name": columns.max_length(CaseClass, "name"),
    "name_en": columns.max_length(CaseClass, "name_en"),
    "legal_basis_law": columns.max_length(CaseClass, "legal_basis_law"),
    "legal_basis_article": columns.max_length(CaseClass, "legal_basis_article"),
}
_CODE_COLUMNS = ("major_code", "code")
# The fields of CaseClass an import sets, in the order they are compared.
_CLASS_FIELDS = (
    "name",
    "name_en",
    "filing_criteria",
    "closing_criteria",
    "time_limit",
    "time_unit",
    "default_department_id",
    "route_to_street_police",
    "urgency",
    "minor_self_closable",
    "active",
    "legal_basis_law",
    "legal_basis_article",
)
# Far beyond any real limit (about 48 working years of hours) but safe for every database.
_MAX_LIMIT = MAX_TIME_LIMIT = 100_000
# How many problems one error message lists before summing up the rest.
_MAX_LISTED = 20


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    majors_created: int = 0
    majors_updated: int = 0
    dry_run: bool = False
    created_codes: list[str] = field(default_factory=list)
    updated_codes: list[str] = field(default_factory=list)


@dataclass
class _Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d, column %(column)s: %(problem)s") % {
            "row": self.row,
            "column": self.column,
            "problem": self.message,
        }


class CatalogueProblems(InvalidInput):
    """The rows of a catalogue file at fault. The message lists the first few; `problems` keeps
    every one, (row, column, problem), so an upload page can mark each bad cell."""

    def __init__(self, message: str, *, field: str, problems: list[tuple[int, str, str]]) -> None:
        super().__init__(message, field=field)
        self.problems = problems
        self.row = problems[0][0]


# One checked row: CaseClass's fields by name (as `**` passes them on) and its major's.
_Cleaned = dict[str, Any]


# --- reading ----------------------------------------------------------------------------------


def _read_bytes(fileobj: bytes | str | SupportsRead[bytes | str]) -> bytes | str:
    """The file's content, refused (LimitExceeded) past the upload size limit."""
    limit = upload_limits().max_bytes
    data = fileobj if isinstance(fileobj, bytes | str) else fileobj.read(limit + 1)
    if len(data) > limit:
        raise file_too_large(limit)
    return data


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _table_from_xlsx(data: bytes | str) -> list[list[str]]:
    if isinstance(data, str):
        raise InvalidInput(_("The file is not a readable XLSX workbook."), field="file")
    rows = iter_sheet_rows(data, max_rows=upload_limits().max_rows)
    return [[_cell_text(v) for v in row] for _number, row in rows]


def _records(table: list[list[str]]) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: stripped text}) for each non-blank data row."""
    if not table or not any(c.strip() for c in table[0]):
        raise InvalidInput(_("Row 1: the file has no header row."), field="file")
    header = [c.strip().removeprefix("\ufeff").lower() for c in table[0]]
    for column in REQUIRED:
        if column not in header:
            raise InvalidInput(
                _('Row 1: the file has no "%(column)s" column.') % {"column": column},
                field=column,
            )
    positions = {name: i for i, name in reversed(list(enumerate(header))) if name in COLUMNS}
    records = []
    for number, raw in enumerate(table[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        values = {name: (raw[i].strip() if i < len(raw) else "") for name, i in positions.items()}
        records.append((number, values))
    return records


# --- checking ---------------------------------------------------------------------------------


def _flag(value: str, default: bool, row: int, column: str, problems: list[_Problem]) -> bool:
    if not value:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    problems.append(
        _Problem(row, column, _('expected true or false, not "%(value)s"') % {"value": value})
    )
    return default


def _check(
    records: list[tuple[int, dict[str, str]]], departments: dict[str, Department]
) -> tuple[list[_Cleaned], list[_Problem]]:
    problems: list[_Problem] = []
    cleaned: list[_Cleaned] = []
    first_row_of_code: dict[str, int] = {}
    majors: dict[str, tuple[int, str, str]] = {}
    for row, v in records:

        def problem(column: str, message: str, row: int = row) -> None:
            problems.append(_Problem(row, column, message))

        for column in REQUIRED:
            if not v.get(column):
                problem(column, _("a value is required"))
        for column, limit in _MAX_LENGTH.items():
            if len(v.get(column, "")) > limit:
                problem(column, _("at most %(limit)d characters") % {"limit": limit})
            elif column in _CODE_COLUMNS and v.get(column):
                bad = code_problem(v[column], max_length=limit)
                if bad:
                    problem(column, bad)

        code = v.get("code", "")
        if code:
            if code in first_row_of_code:
                problem(
                    "code",
                    _('code "%(code)s" already appears in row %(first)d')
                    % {"code": code, "first": first_row_of_code[code]},
                )
            else:
                first_row_of_code[code] = row

        major_code = v.get("major_code", "")
        major = (v.get("major_name", ""), v.get("major_name_en", ""))
        if major_code in majors and majors[major_code][1:] != major:
            problem(
                "major_name",
                _('major class "%(code)s" is named differently in row %(first)d')
                % {"code": major_code, "first": majors[major_code][0]},
            )
        elif major_code:
            majors.setdefault(major_code, (row, *major))

        limit_text = v.get("time_limit", "")
        time_limit = None
        if limit_text:
            try:
                time_limit = int(limit_text)
            except ValueError:
                time_limit = None
            if time_limit is None or not 0 < time_limit <= _MAX_LIMIT:
                problem(
                    "time_limit",
                    _('the time limit must be a whole number from 1 to %(max)d, not "%(value)s"')
                    % {"max": _MAX_LIMIT, "value": limit_text},
                )

        unit_text = v.get("time_unit", "")
        unit = _UNITS.get(unit_text.lower())
        if unit_text and unit is None:
            problem(
                "time_unit",
                _('the time unit must be "hours" or "days", not "%(value)s"')
                % {"value": unit_text},
            )

        urgency_text = v.get("urgency", "")
        urgency = _URGENCIES.get(urgency_text.lower()) if urgency_text else "blue"
        if urgency is None:
            problem(
                "urgency",
                _('the urgency must be "red", "yellow" or "blue", not "%(value)s"')
                % {"value": urgency_text},
            )

        law, article = v.get("legal_basis_law", ""), v.get("legal_basis_article", "")
        for column, text in (("legal_basis_law", law), ("legal_basis_article", article)):
            if any(ch < " " or ch == "\x7f" for ch in text):
                problem(column, _("control characters and line breaks are not allowed"))
        if article and not law:
            problem("legal_basis_law", _("name the law the article belongs to"))

        dept_code = v.get("default_department", "")
        department = departments.get(dept_code) if dept_code else None
        if dept_code and department is None:
            problem(
                "default_department",
                _('unknown department code "%(value)s"') % {"value": dept_code},
            )

        cleaned.append(
            {
                "row": row,
                "major_code": major_code,
                "major_name": major[0],
                "major_name_en": major[1],
                "code": code,
                "name": v.get("name", ""),
                "name_en": v.get("name_en", ""),
                "filing_criteria": v.get("filing_criteria", ""),
                "closing_criteria": v.get("closing_criteria", ""),
                "time_limit": time_limit,
                "time_unit": unit,
                "default_department_id": department.pk if department else None,
                "route_to_street_police": _flag(
                    v.get("route_to_street_police", ""),
                    False,
                    row,
                    "route_to_street_police",
                    problems,
                ),
                "urgency": urgency,
                "minor_self_closable": _flag(
                    v.get("minor_self_closable", ""), False, row, "minor_self_closable", problems
                ),
                "active": _flag(v.get("active", ""), True, row, "active", problems),
                "legal_basis_law": law,
                "legal_basis_article": article,
            }
        )
    return cleaned, problems


def _raise_problems(problems: list[_Problem]) -> None:
    problems.sort(key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else 99))
    lines = [str(p) for p in problems[:_MAX_LISTED]]
    rest = len(problems) - _MAX_LISTED
    if rest > 0:
        lines.append(
            ngettext("and %(count)d more problem", "and %(count)d more problems", rest)
            % {"count": rest}
        )
    raise CatalogueProblems(
        "\n".join(lines),
        field=problems[0].column,
        problems=[(p.row, p.column, p.message) for p in problems],
    )


# --- writing ----------------------------------------------------------------------------------


def _apply(cleaned: list[_Cleaned], *, dry_run: bool, update_existing: bool = True) -> ImportReport:
    report = ImportReport(rows=len(cleaned), dry_run=dry_run)
    existing_majors = MajorClass.objects.in_bulk(field_name="code")
    existing = CaseClass.objects.in_bulk(field_name="code")
    with transaction.atomic():
        majors: dict[str, MajorClass] = {}
        for item in cleaned:
            code = item["major_code"]
            if code in majors:
                continue
            major = existing_majors.get(code)
            if major is None:
                major = MajorClass(
                    code=code, name=item["major_name"], name_en=item["major_name_en"]
                )
                report.majors_created += 1
                if not dry_run:
                    major.save()
            elif update_existing and (major.name, major.name_en) != (
                item["major_name"],
                item["major_name_en"],
            ):
                major.name, major.name_en = item["major_name"], item["major_name_en"]
                report.majors_updated += 1
                if not dry_run:
                    major.save(update_fields=["name", "name_en"])
            majors[code] = major

        for item in cleaned:
            values = {f: item[f] for f in _CLASS_FIELDS}
            current = existing.get(item["code"])
            if current is None:
                report.created += 1
                report.created_codes.append(item["code"])
                if not dry_run:
                    CaseClass.objects.create(
                        code=item["code"], major=majors[item["major_code"]], **values
                    )
                continue
            changed = [f for f, value in values.items() if getattr(current, f) != value]
            if current.major_id != majors[item["major_code"]].pk:
                changed.append("major")
            if changed and not update_existing and _basis_to_fill(current, values):
                # Topping up: a class named before the catalogue had a legal basis gets the
                # file's (it had none, so no edit is undone); nothing else of it changes.
                report.updated += 1
                report.updated_codes.append(item["code"])
                if not dry_run:
                    current.legal_basis_law = values["legal_basis_law"]
                    current.legal_basis_article = values["legal_basis_article"]
                    current.save(update_fields=["legal_basis_law", "legal_basis_article"])
                continue
            if not changed or not update_existing:
                report.unchanged += 1
                continue
            report.updated += 1
            report.updated_codes.append(item["code"])
            if not dry_run:
                for f, value in values.items():
                    setattr(current, f, value)
                current.major = majors[item["major_code"]]
                current.save()
    return report


def _basis_to_fill(current: CaseClass, values: dict[str, Any]) -> bool:
    return not (current.legal_basis_law or current.legal_basis_article) and bool(
        values["legal_basis_law"]
    )


# --- public API -------------------------------------------------------------------------------


def import_catalogue(
    fileobj: bytes | str | SupportsRead[bytes | str],
    fmt: str,
    *,
    dry_run: bool = False,
    update_existing: bool = True,
) -> ImportReport:
    """Check every row of a catalogue file, then upsert its classes by code in one transaction.

    ``fileobj`` is a binary (or, for CSV, text) file object, or the file's bytes. Raises
    InvalidInput naming the row and column of the first problem (all problems are listed in the
    message and on ``error.problems``) and changes nothing. With ``dry_run`` nothing is written
    and the report says what would have happened. With ``update_existing=False`` classes that
    already exist are left alone (used to top up the default catalogue without undoing edits),
    except that one naming no legal basis gets the file's.
    """
    if fmt not in FORMATS:
        raise InvalidInput(_('The format must be "csv" or "xlsx".'), field="fmt")
    data = _read_bytes(fileobj)
    if fmt == "csv":  # as export_catalogue wrote it, or typed
        table = read_csv_table(data, max_rows=upload_limits().max_rows)
    else:
        table = _table_from_xlsx(data)
    records = _records(table)
    if not records:
        raise InvalidInput(_("The file has no classes."), field="file")
    departments = Department.objects.in_bulk(field_name="code")
    cleaned, problems = _check(records, departments)
    if problems:
        _raise_problems(problems)
    return _apply(cleaned, dry_run=dry_run, update_existing=update_existing)


def load_default_catalogue(*, update_existing: bool = False) -> ImportReport:
    """Create the default departments and the default catalogue's missing classes.

    Idempotent. Classes that already exist keep any edits made since, unless
    ``update_existing`` is set, which resets them to the defaults; one that names no legal
    basis yet gets the default's. Police stations are not
    created here (they need the streets): see org.departments.ensure_default_departments.
    """
    ensure_default_departments(())
    with DEFAULT_CATALOGUE_PATH.open("rb") as f:
        return import_catalogue(f, "csv", update_existing=update_existing)


def catalogue_rows(district: AdminUnit | None = None) -> list[list[str | int]]:
    """The catalogue as rows of COLUMNS values (time_limit as int, flags as "true"/"false");
    with a district, each class as that district has it (its overrides applied)."""
    classes = CaseClass.objects.select_related("major", "default_department").order_by("code")
    rows: list[list[str | int]] = []
    changed = _district_rows(district) if district is not None else {}
    departments = dict(Department.objects.values_list("pk", "code")) if district is not None else {}
    for c in classes:
        row = changed.get(c.pk)
        if row is not None:
            # As the district has it: an export read back by import --district sets the same.
            c.time_limit = row.time_limit if row.time_limit is not None else c.time_limit
            c.time_unit = row.time_unit or c.time_unit
            c.urgency = row.urgency or c.urgency
            if row.default_department_id:
                c.default_department = Department(
                    pk=row.default_department_id, code=departments[row.default_department_id]
                )
            c.active = c.active and row.active is not False
        rows.append(
            [
                c.major.code,
                c.major.name,
                c.major.name_en,
                c.code,
                c.name,
                c.name_en,
                c.time_limit,
                c.time_unit,
                c.urgency,
                c.default_department.code if c.default_department else "",
                _bool_text(c.route_to_street_police),
                _bool_text(c.minor_self_closable),
                c.filing_criteria,
                c.closing_criteria,
                _bool_text(c.active),
                c.legal_basis_law,
                c.legal_basis_article,
            ]
        )
    return rows


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def export_catalogue(fmt: str, district: AdminUnit | None = None) -> bytes:
    """The whole catalogue as a file that import_catalogue reads back to the same catalogue;
    with a district, as that district has it (import_district_overrides reads it back).

    CSV is UTF-8 with a byte-order mark, because Excel only recognises UTF-8 (and so shows
    Chinese correctly) when the mark is there. Text that starts like a formula is written so
    that no spreadsheet runs it, and read back as it was (core.formula_text).
    """
    if fmt not in FORMATS:
        raise InvalidInput(_('The format must be "csv" or "xlsx".'), field="fmt")
    rows = catalogue_rows(district)
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(csv_row(row) for row in rows)
        return out.getvalue().encode("utf-8-sig")
    return xlsx_bytes(list(COLUMNS), rows, title="catalogue")


# --- a district's overrides -------------------------------------------------------------------


def _district_rows(district: AdminUnit) -> dict[int, ClassOverride]:
    return {o.case_class_id: o for o in ClassOverride.objects.filter(district=district)}


@dataclass
class OverrideReport:
    """What import_district_overrides did (or, with dry_run, would do)."""

    rows: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    dry_run: bool = False


def find_district(code: object) -> AdminUnit:
    """The district row of a 6- or 12-digit code, else InvalidInput naming `district`."""
    text = str(code or "").strip()
    if len(text) == 6 and text.isdigit():
        text += "000000"
    unit = (
        AdminUnit.objects.filter(code=text, level=AdminUnit.Level.DISTRICT).first()
        if len(text) == 12 and text.isascii() and text.isdigit()
        else None
    )
    if unit is None:
        raise InvalidInput(
            _("No district has the code %(code)s.") % {"code": text[:20]}, field="district"
        )
    return unit


def import_district_overrides(
    fileobj: bytes | str | SupportsRead[bytes | str],
    fmt: str,
    *,
    district: AdminUnit,
    dry_run: bool = False,
    by: str = "",
) -> OverrideReport:
    """Set a district's overrides from a catalogue file (the catalogue's columns, as
    export_catalogue(district=…) writes them): for each row's class, the time limit and unit,
    urgency, default department and active that differ from the shared catalogue's become the
    district's; those equal to it are the catalogue's again. Names and the other columns are
    the city's and are not read. Classes missing from the file keep their overrides. All or
    nothing, as import_catalogue."""
    from . import overrides

    if fmt not in FORMATS:
        raise InvalidInput(_('The format must be "csv" or "xlsx".'), field="fmt")
    data = _read_bytes(fileobj)
    if fmt == "csv":
        table = read_csv_table(data, max_rows=upload_limits().max_rows)
    else:
        table = _table_from_xlsx(data)
    records = _records(table)
    if not records:
        raise InvalidInput(_("The file has no classes."), field="file")
    departments = Department.objects.in_bulk(field_name="code")
    cleaned, problems = _check(records, departments)
    classes = CaseClass.objects.in_bulk([c["code"] for c in cleaned], field_name="code")
    rows_of = {number: values for number, values in records}
    plans: list[tuple[CaseClass, dict[str, Any]]] = []
    for (number, _values), item in zip(records, cleaned, strict=True):
        case_class = classes.get(item["code"])
        if case_class is None:
            problems.append(
                _Problem(
                    number,
                    "code",
                    _('the catalogue has no class "%(code)s"') % {"code": item["code"]},
                )
            )
            continue
        if item["active"] and not case_class.active:
            problems.append(
                _Problem(
                    number,
                    "active",
                    _("the city switched this class off; a district cannot switch it on"),
                )
            )
            continue
        same_limit = (item["time_limit"], item["time_unit"]) == (
            case_class.time_limit,
            case_class.time_unit,
        )
        department_id = item["default_department_id"]
        if not rows_of[number].get("default_department"):
            department_id = case_class.default_department_id
        plans.append(
            (
                case_class,
                {
                    "time_limit": None if same_limit else item["time_limit"],
                    "time_unit": "" if same_limit else item["time_unit"],
                    "default_department_id": None
                    if department_id == case_class.default_department_id
                    else department_id,
                    "urgency": ""
                    if item["urgency"] == case_class.urgency or not rows_of[number].get("urgency")
                    else item["urgency"],
                    "active": False if case_class.active and not item["active"] else None,
                },
            )
        )
    if problems:
        _raise_problems(problems)
    report = OverrideReport(rows=len(plans), dry_run=dry_run)
    existing = _district_rows(district)
    with transaction.atomic():
        for case_class, values in plans:
            if dry_run:
                current = existing.get(case_class.pk)
                empty = all(v in (None, "") for v in values.values())
                if current is None:
                    outcome = "unchanged" if empty else "added"
                elif empty:
                    outcome = "removed"
                elif all(getattr(current, k) == v for k, v in values.items()):
                    outcome = "unchanged"
                else:
                    outcome = "changed"
            else:
                _row, outcome = overrides.set_override(
                    district=district, case_class=case_class, by=by, **values
                )
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report
