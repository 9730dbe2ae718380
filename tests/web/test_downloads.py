"""web.downloads.table_download: CSV with a BOM, XLSX, formulas kept as text, Shanghai times,
RFC 5987 file names, bounded size, a bad format refused naming the field."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from onegrid.web import downloads

pytestmark = pytest.mark.django_db

COLUMNS = [("number", "编号"), ("text", "描述"), ("at", "上报时间"), ("n", "数量")]
UTC_NOON = dt.datetime(2026, 3, 2, 4, 30, 15, tzinfo=dt.UTC)  # 12:30:15 in Shanghai


def _request(rf, query=""):
    request = rf.get("/console/?" + query)
    request.user = AnonymousUser()
    return request


def _rows():
    return [
        {
            "number": "20260302-0001",
            "text": '=HYPERLINK("http://x","点此")',
            "at": UTC_NOON,
            "n": 3,
        },
        {"number": "20260302-0002", "text": "+cmd|' /C calc'!A0", "at": None, "n": 0},
        {"number": "20260302-0003", "text": "井盖缺失 -1", "at": UTC_NOON, "n": 2.5},
    ]


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_csv_is_utf8_with_bom_neutralised_and_in_shanghai_time(rf):
    response = downloads.table_download(
        _request(rf), fmt="csv", filename="案件清单", columns=COLUMNS, rows=_rows()
    )
    assert response.status_code == 200
    assert response.streaming  # written a block at a time, not held whole
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = _body(response)
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == ["编号", "描述", "上报时间", "数量"]
    assert table[1] == [
        "20260302-0001",
        '\'=HYPERLINK("http://x","点此")',
        "2026-03-02 12:30:15",
        "3",
    ]
    assert table[2][1] == "'+cmd|' /C calc'!A0"
    assert table[2][2] == ""
    assert table[3][1] == "井盖缺失 -1"  # only a formula START is neutralised
    assert table[3][3] == "2.5"
    assert len(table) == 4


def test_xlsx_keeps_text_as_text_and_times_local(rf):
    response = downloads.table_download(
        _request(rf), fmt="xlsx", filename="案件清单", columns=COLUMNS, rows=iter(_rows())
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(_body(response)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("编号", "描述", "上报时间", "数量")
    assert rows[1][1] == '=HYPERLINK("http://x","点此")'  # stored unchanged …
    cell = sheet["B2"]
    assert cell.data_type == "s" and cell.quotePrefix  # … as text, never a formula
    assert rows[1][2] == dt.datetime(2026, 3, 2, 12, 30, 15)
    assert rows[1][3] == 3 and rows[3][3] == 2.5
    assert sheet.freeze_panes == "A2"


def test_filename_rfc5987_and_ascii_fallback(rf):
    response = downloads.table_download(
        _request(rf), fmt="csv", filename='案件/清单"2026-03', columns=COLUMNS, rows=[]
    )
    header = response["Content-Disposition"]
    assert header.startswith("attachment; filename=")
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "案件-清单-2026-03.csv"
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".csv") and "/" not in fallback
    assert response["Cache-Control"] == "no-store"


def test_bad_format_is_a_400_naming_the_field(rf):
    response = downloads.table_download(
        _request(rf, "format=pdf"), fmt="pdf", filename="x", columns=COLUMNS, rows=_rows()
    )
    assert response.status_code == 400
    assert b'data-field="format"' in response.content


def test_wanted_format(rf):
    assert downloads.wanted_format(_request(rf)) is None
    assert downloads.wanted_format(_request(rf, "format=xlsx")) == "xlsx"
    for bad in ("XLSX", "csv%00", "x" * 5000, "ｃｓｖ"):
        with pytest.raises(downloads.DownloadRefused) as refused:
            downloads.wanted_format(_request(rf, "format=" + bad))
        assert refused.value.field == "format"


@pytest.mark.parametrize("lazy", [False, True])
def test_too_many_rows_refused_before_writing(rf, settings, lazy):
    settings.ONEGRID = {**settings.ONEGRID, "EXPORT_MAX_ROWS": 2}
    rows = iter(_rows()) if lazy else _rows()
    response = downloads.table_download(
        _request(rf, "format=csv"), fmt="csv", filename="x", columns=COLUMNS, rows=rows
    )
    assert response.status_code == 400
    assert b'data-field="filters"' in response.content
    assert b"2" in response.content
    # At the bound it goes through; a given total decides without reading the rows.
    ok = downloads.table_download(
        _request(rf), fmt="csv", filename="x", columns=COLUMNS, rows=_rows()[:2]
    )
    assert ok.status_code == 200
    told = downloads.table_download(
        _request(rf), fmt="csv", filename="x", columns=COLUMNS, rows=iter(()), total=3
    )
    assert told.status_code == 400


def test_cell_values():
    local = timezone.localtime(UTC_NOON)
    assert downloads.cell_value(local) == dt.datetime(2026, 3, 2, 12, 30, 15)
    assert downloads.cell_value(None) == ""
    assert downloads.cell_value(dt.date(2026, 3, 2)) == dt.date(2026, 3, 2)
    assert downloads.cell_value(True) == "是"


def test_download_links_keep_filters_and_drop_page(rf):
    links = downloads.download_links(_request(rf, "tab=all&q=井盖&page=3"))
    assert "page" not in links["csv"]
    assert "format=csv" in links["csv"] and "tab=all" in links["csv"]
    assert "format=xlsx" in links["xlsx"]


def test_xlsx_keeps_error_codes_and_control_characters_as_text(rf):
    rows = [
        {"number": "#N/A", "text": "a\x01b\x1fc", "at": None, "n": "@SUM(1+1)"},
        {"number": "plain", "text": "tab\tand\nline", "at": None, "n": "-1"},
    ]
    response = downloads.table_download(
        _request(rf), fmt="xlsx", filename="x", columns=COLUMNS, rows=rows
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(_body(response))).active
    assert sheet["A2"].value == "#N/A" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "a\ufffdb\ufffdc"  # XML cannot hold them; the file still opens
    assert sheet["D2"].value == "@SUM(1+1)" and sheet["D2"].quotePrefix
    assert sheet["B3"].value == "tab\tand\nline"  # tab and line feed are fine in XML
    assert sheet["D3"].value == "-1" and sheet["D3"].data_type == "s"  # text stays text
