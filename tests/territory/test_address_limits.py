"""Standard-address files: odd codes are refused at import naming the character, and a file
beyond the upload limits is one file problem, found before it is read on."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from onegrid.territory import addresses
from onegrid.territory.models import Address
from support import bombs

IN_GRID_0 = (117.103, 39.203)
HEADER = ["code", "name", "building", "unit", "room", "lon", "lat"]


def csv_bytes(codes: list[str]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for code in codes:
        writer.writerow([code, "佳园里", "3", "2", "501", *IN_GRID_0])
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("code", "named"),
    [
        ("A/1", '"/" (U+002F)'),
        ("A\n1", "U+000A"),
        ("A\x001", "U+0000"),
        ("A\u202e1", "U+202E"),
        ("A\u200b1", "U+200B"),
        ("A\u20601", "U+2060"),
        ("١٢٣", "U+0661"),
    ],
)
def test_odd_codes_are_refused_naming_the_character(world, code, named):
    rows, problems = addresses.read_addresses(csv_bytes([code, "OK-1"]), filename="a.csv")
    assert [r.code for r in rows] == ["OK-1"]
    [problem] = problems
    assert (problem.index, problem.field, problem.problem) == (2, "code", "bad_code")
    assert named in problem.message and "A–Z" in problem.message
    # The code is shown escaped in the message: no line break or reordering reaches a page.
    assert "\n" not in problem.message and "\u202e" not in problem.message
    report = addresses.import_addresses(rows=rows, problems=problems)
    assert report.refused and not Address.objects.exists()


def test_the_address_list_shows_every_code_an_import_accepts(world):
    codes = ["120113001001001-01-1-502", "B_2.x", "c-3"]
    rows, problems = addresses.read_addresses(csv_bytes(codes), filename="a.csv")
    assert not problems
    addresses.import_addresses(rows=rows, problems=problems)
    client = Client(raise_request_exception=False)
    client.force_login(world.people.command)
    page = client.get("/console/addresses/")
    assert page.status_code == 200
    for code in codes:
        assert code in page.content.decode()


def test_too_many_rows_is_refused_while_reading(world, settings):
    settings.ONEGRID = settings.ONEGRID | {"UPLOAD_MAX_ROWS": 5}
    _rows, problems = addresses.read_addresses(csv_bytes([f"A{i}" for i in range(6)]))
    assert [(p.index, p.problem) for p in problems] == [(None, "too_many_rows")]
    assert "more than 5 rows" in problems[0].message
    sheet = bombs.xlsx_rows(
        [HEADER] + [[f"A{i}", "名", "", "", "", "117.1", "39.2"] for i in range(6)]
    )
    _rows, problems = addresses.read_addresses(sheet, filename="a.xlsx")
    assert [p.problem for p in problems] == ["too_many_rows"]
    rows, problems = addresses.read_addresses(csv_bytes([f"A{i}" for i in range(5)]))
    assert len(rows) == 5 and not problems


def test_files_beyond_their_size_are_refused_and_a_huge_field_is_no_500(world, settings):
    _rows, problems = addresses.read_addresses(bombs.xlsx_bomb(), filename="a.xlsx")
    assert [p.problem for p in problems] == ["inflated_too_large"]
    huge_field = csv_bytes(["A1"]).replace(b"\xe4\xbd\xb3", b'"' + b"x" * 200_000 + b'"', 1)
    _rows, problems = addresses.read_addresses(huge_field, filename="a.csv")
    assert [p.problem for p in problems] == ["unreadable"]
    settings.ONEGRID = settings.ONEGRID | {"UPLOAD_MAX_BYTES": 100}
    _rows, problems = addresses.read_addresses(csv_bytes(["A1", "A2"]), filename="a.csv")
    assert [p.problem for p in problems] == ["file_too_large"]


def test_the_import_page_shows_the_refusal(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.people.command)
    for name, data, reason in [
        ("a.xlsx", bombs.xlsx_bomb(), "unpacks to more than 100 MB"),
        ("a.csv", csv_bytes(["A\n1"]), "U+000A"),
    ]:
        form = {"crs": "wgs84", "file": SimpleUploadedFile(name, data)}
        response = client.post("/console/addresses/import/", form)
        assert response.status_code == 422, response.content[:300]
        assert reason in response.content.decode()
    assert not Address.objects.exists()
