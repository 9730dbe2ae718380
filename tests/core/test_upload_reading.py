"""Zips and workbooks read within bounds (core.archives, core.spreadsheets), and the code rule
(core.codes): each bound refuses before the work it bounds, with a message naming it."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.utils import translation

from onegrid.core import archives, spreadsheets
from onegrid.core.codes import code_problem, shown
from onegrid.core.limits import LimitExceeded
from support import bombs


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the English wording; the default language is zh-hans.
    with translation.override("en"):
        yield


def small_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_declared_sizes_are_checked_before_anything_is_unpacked():
    bomb = bombs.zip_bomb(size=64 * bombs.MIB)  # 64 KiB of zip
    with pytest.raises(LimitExceeded) as refused:
        archives.open_zip(bomb, max_inflated=32 * bombs.MIB)
    assert refused.value.code == "inflated_too_large" and "32 MB" in str(refused.value.message)
    with archives.open_zip(bomb, max_inflated=128 * bombs.MIB) as archive:
        assert archive.namelist() == ["layer.geojson"]


def test_real_sizes_are_counted_while_unpacking_whatever_was_declared(tmp_path):
    liar = bombs.zip_bomb(size=64 * bombs.MIB, lie=True)  # declares 1 KiB
    # zipfile stops at the declared size, then finds the checksum wrong: not unpacked either way.
    with (
        archives.open_zip(liar, max_inflated=32 * bombs.MIB) as archive,
        pytest.raises((LimitExceeded, archives.NotAZip)),
    ):
        archives.read_member(archive, "layer.geojson", limit=32 * bombs.MIB)
    honest = small_zip({"a.txt": b"x" * 5000, "b.txt": b"y" * 5000})
    with archives.open_zip(honest, max_inflated=10**6) as archive:
        assert archives.read_member(archive, "a.txt", limit=5000) == b"x" * 5000
        with pytest.raises(LimitExceeded):
            archives.read_member(archive, "a.txt", limit=4999)
        # The budget is for all the members together.
        with pytest.raises(LimitExceeded):
            archives.extract_members(archive, ["a.txt", "b.txt"], tmp_path, limit=9000)


def test_members_land_only_in_the_folder_given(tmp_path):
    data = small_zip({"../../evil.shp": b"1", "dir/ok.dbf": b"2"})
    folder = tmp_path / "out"
    folder.mkdir()
    with archives.open_zip(data, max_inflated=100) as archive:
        paths = archives.extract_members(archive, archive.namelist(), folder, limit=100)
    assert sorted(p.name for p in folder.iterdir()) == ["evil.shp", "ok.dbf"]
    assert all(p.parent == folder for p in paths.values())


def test_an_archive_of_too_many_members_is_refused_before_it_is_listed():
    data = small_zip({f"{i}.txt": b"" for i in range(archives.MAX_MEMBERS + 1)})
    with pytest.raises(LimitExceeded) as refused:
        archives.open_zip(data, max_inflated=10**6)
    assert refused.value.code == "too_many_members"
    with pytest.raises(archives.NotAZip):
        archives.open_zip(b"PK\x03\x04 not really", max_inflated=10**6)


def rows_of(data: bytes, max_rows: int) -> list[tuple]:
    return [row for _number, row in spreadsheets.iter_sheet_rows(data, max_rows=max_rows)]


def test_sheet_rows_are_read_and_counted():
    workbook = openpyxl.Workbook()
    for row in (["code", "name"], ["A1", "甲"], [None, None], ["A2", "乙"]):
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    data = out.getvalue()
    assert rows_of(data, 3) == [("code", "name"), ("A1", "甲"), (None, None), ("A2", "乙")]
    with pytest.raises(LimitExceeded) as refused:
        rows_of(data, 2)
    assert refused.value.code == "too_many_rows" and "2 rows" in str(refused.value.message)
    with pytest.raises(spreadsheets.UnreadableWorkbook):
        rows_of(small_zip({"x.txt": b"hello"}), 10)


def test_a_row_too_wide_or_too_many_shared_texts_is_refused_before_openpyxl_reads_it():
    prefix = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    giant_row = bombs.xlsx_with(
        bombs.SHEET,
        prefix + b'<sheetData><row r="1">',
        b"<c><v>1</v></c>",
        100_000 * 15,
        b"</row></sheetData></worksheet>",
    )
    with pytest.raises(LimitExceeded) as refused:
        rows_of(giant_row, 1000)
    assert refused.value.code == "too_many_columns"
    texts = bombs.shared_strings_bomb(8 * bombs.MIB)  # about 500,000 one-letter texts
    with pytest.raises(LimitExceeded) as refused:
        rows_of(texts, 1000)
    assert refused.value.code == "too_many_elements"
    many_rows = bombs.xlsx_rows([["code"]] + [[str(i)] for i in range(3000)])
    with pytest.raises(LimitExceeded) as refused:
        rows_of(many_rows, 1000)
    assert refused.value.code == "too_many_rows"


def test_an_entity_bomb_in_a_workbook_is_an_unreadable_workbook():
    # "Billion laughs": expat (2.4 and later) refuses the amplification; it is no 500.
    entities = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
        for i in range(9)
    )
    prefix = b'<?xml version="1.0"?><!DOCTYPE sst [' + entities + b"]>"
    prefix += b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    laughs = bombs.xlsx_part(bombs.STRINGS, prefix + b"<si><t>&j;</t></si></sst>")
    with pytest.raises(spreadsheets.UnreadableWorkbook):
        rows_of(laughs, 10)


@pytest.mark.parametrize(
    ("code", "fault"),
    [
        ("A/1", '"/" (U+002F)'),
        ("A\n1", "U+000A"),
        ("A\x001", "U+0000"),
        ("A\u202e1", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("A\u200b1", "U+200B ZERO WIDTH SPACE"),
        ("١٢٣", "U+0661"),
        ("A 1", "U+0020 SPACE"),
        ("-A1", "starts with"),
        ("x" * 41, "it has 41"),
    ],
)
def test_a_code_holds_ascii_letters_digits_and_dash_underscore_dot(code, fault):
    problem = code_problem(code, max_length=40)
    assert problem and fault in problem and "A–Z" in problem


def test_the_rule_is_said_in_chinese_first():
    with translation.override("zh-hans"):
        problem = code_problem("A/1", max_length=40)
    assert problem.startswith("编码由 1 至 40 个字符组成") and '"/" (U+002F)' in problem


def test_good_codes_and_how_odd_codes_are_shown():
    for code in ("120113001001001-01-1-502", "AC0101", "b_2.x"):
        assert code_problem(code, max_length=40) is None
    assert shown("A\n\u202eB") == "A\\u000a\\u202eB"
