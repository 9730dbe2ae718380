"""Catalogue files: class codes follow the code rule, and a file beyond the upload limits is
refused before it is read on, naming the limit, with nothing changed."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from onegrid.cases.catalogue import COLUMNS, import_catalogue
from onegrid.cases.models import CaseClass
from onegrid.core.errors import InvalidInput
from onegrid.org.departments import ensure_default_departments
from support import bombs


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the English wording; the default language is zh-hans.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _departments(db):
    ensure_default_departments(())


def values(code: str = "X0101", major: str = "X") -> list[str]:
    row = dict.fromkeys(COLUMNS, "")
    row |= {"major_code": major, "major_name": "本地扩展", "code": code, "name": "测试类"}
    row |= {"time_limit": "4", "time_unit": "hours"}
    return [row[c] for c in COLUMNS]


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("column", "row", "named"),
    [
        ("code", values(code="X01/02"), '"/" (U+002F)'),
        ("code", values(code="X01\n02"), "U+000A"),
        ("code", values(code="X01\u200b"), "U+200B"),
        ("major_code", values(major="X\u202e"), "U+202E"),
        ("code", values(code="X٠١"), "U+0660"),
    ],
)
def test_odd_class_codes_are_refused_at_their_column(column, row, named):
    with pytest.raises(InvalidInput) as refused:
        import_catalogue(csv_bytes([values(code="X0100"), row]), "csv")
    assert refused.value.field == column
    assert refused.value.problems == [(3, column, refused.value.problems[0][2])]
    assert named in str(refused.value.message) and "A–Z" in str(refused.value.message)
    assert not CaseClass.objects.filter(code__startswith="X").exists()


def test_rows_and_sizes_beyond_the_limits_are_refused(settings):
    settings.ONEGRID = settings.ONEGRID | {"UPLOAD_MAX_ROWS": 3}
    rows = [values(code=f"X010{i}") for i in range(4)]
    with pytest.raises(InvalidInput) as refused:
        import_catalogue(csv_bytes(rows), "csv")
    assert refused.value.code == "too_many_rows" and "more than 3 rows" in str(refused.value)
    sheet = bombs.xlsx_rows([list(COLUMNS), *rows])
    with pytest.raises(InvalidInput) as refused:
        import_catalogue(sheet, "xlsx")
    assert refused.value.code == "too_many_rows"
    assert import_catalogue(csv_bytes(rows[:3]), "csv").created == 3
    with pytest.raises(InvalidInput) as refused:
        import_catalogue(bombs.xlsx_bomb(), "xlsx")
    assert refused.value.code == "inflated_too_large" and refused.value.field == "file"
    settings.ONEGRID = settings.ONEGRID | {"UPLOAD_MAX_BYTES": 200}
    with pytest.raises(InvalidInput) as refused:
        import_catalogue(io.BytesIO(csv_bytes(rows)), "csv")
    assert refused.value.code == "file_too_large"
