"""Standard address pages: who may open them, what each viewer sees (their scope only), search
and filters, the detail page with its map data and cases, and the import (dry run, refusal,
the valid part) open only to those who may manage the territory."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onegrid.cases.selectors import cases_at_address
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory import addresses
from onegrid.territory.models import Address, AdminUnit
from support.cases import report as report_case
from support.web import client_for

IN_GRID_0 = (117.103, 39.203)
IN_GRID_1 = (117.113, 39.204)
IN_GRID_2 = (117.125, 39.205)
OUTSIDE = (117.30, 39.50)


def csv_file(rows, name="addresses.csv") -> SimpleUploadedFile:
    lines = ["code,name,building,unit,room,lon,lat"]
    lines += [",".join(str(v) for v in row) for row in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("utf-8-sig"), "text/csv")


def load(rows) -> None:
    data = csv_file(rows).read()
    parsed, problems = addresses.read_addresses(data, filename="a.csv")
    report = addresses.import_addresses(rows=parsed, problems=problems)
    assert not report.problems, report.problems


@pytest.fixture
def places(world):
    load(
        [
            ("G0-1", "佳园里1号楼1单元101", "1号楼", "1单元", "101", *IN_GRID_0),
            ("G0-2", "佳园里2号楼1单元502", "2号楼", "1单元", "502", *IN_GRID_0),
            ("G1-1", "华顺苑3号楼2单元301", "3号楼", "2单元", "301", *IN_GRID_1),
            ("G2-1", "宜景家园5号楼1单元101", "5号楼", "1单元", "101", *IN_GRID_2),
        ]
    )
    admin = User.objects.create_user("admin", password="pw-admin", display_name="admin")
    RoleAssignment.objects.create(user=admin, role=Role.ADMIN, unit=world.district)
    world.people.admin = admin
    return world


def codes_on(response) -> list[str]:
    import re

    return re.findall(r'<tr data-code="([^"]+)"', response.content.decode())


@pytest.mark.parametrize("url", ["/console/addresses/", "/console/addresses/G0-1/"])
def test_anonymous_is_sent_to_sign_in_and_field_and_department_roles_get_403(places, url):
    assert Client().get(url).status_code == 302
    for username in ("worker", "resident", "city_handler", "leader"):
        assert client_for(places, username).get(url).status_code == 403, username


def test_each_desk_sees_only_the_addresses_of_its_scope(places):
    seen = {
        who: codes_on(client_for(places, who).get("/console/addresses/"))
        for who in ("acceptor", "other_acceptor", "command", "admin")
    }
    assert seen["acceptor"] == ["G0-1", "G0-2", "G1-1"]
    assert seen["other_acceptor"] == ["G2-1"]
    assert seen["command"] == seen["admin"] == ["G0-1", "G0-2", "G1-1", "G2-1"]
    # Out of scope is not found, even by its exact code.
    assert client_for(places, "other_acceptor").get("/console/addresses/G0-1/").status_code == 404
    assert client_for(places, "acceptor").get("/console/addresses/G2-1/").status_code == 404
    assert client_for(places, "acceptor").get("/console/addresses/NOPE/").status_code == 404


def test_search_by_text_and_filters(places):
    client = client_for(places, "command")
    get = lambda **q: codes_on(client.get("/console/addresses/", q))  # noqa: E731
    assert get(q="佳园里") == ["G0-1", "G0-2"]
    assert get(q="佳园里 502") == ["G0-2"]
    assert get(q="g2") == ["G2-1"]  # codes match case-insensitively
    assert get(street=places.other_street.code) == ["G2-1"]
    assert get(community=places.community.code) == ["G0-1", "G0-2", "G1-1"]
    assert get(grid=places.grids[1].code) == ["G1-1"]
    Address.objects.filter(code="G0-2").update(active=False)
    assert get(active="0") == ["G0-2"]
    assert get(active="1") == ["G0-1", "G1-1", "G2-1"]
    # A street with another street's community: both are fine, together they match nothing.
    both = client.get(
        "/console/addresses/",
        {"street": places.other_street.code, "community": places.community.code},
    )
    assert both.status_code == 200 and codes_on(both) == []
    assert f'value="{places.community.code}" selected' in both.content.decode()


def other_community():
    return AdminUnit.objects.get(code="120113002001")


@pytest.mark.parametrize(
    ("who", "field", "code"),
    [
        ("command", "street", "120113999000"),  # no such street
        ("command", "community", "120113001999"),  # no such community
        ("command", "grid", "999999999999999"),  # no such grid
        ("acceptor", "street", "other_street"),  # outside the viewer's scope
        ("acceptor", "community", "other_community"),
        ("acceptor", "grid", "grid 2"),
    ],
)
def test_an_unknown_or_unseen_filter_code_is_a_400_at_its_field_matching_nothing(
    places, who, field, code
):
    code = {
        "other_street": places.other_street.code,
        "other_community": other_community().code,
        "grid 2": places.grids[2].code,
    }.get(code, code)
    response = client_for(places, who).get("/console/addresses/", {field: code})
    assert response.status_code == 400
    assert codes_on(response) == []  # the filter never widens to everything
    html = response.content.decode()
    assert f'data-error-for="{field}"' in html and code in response.context["errors"][field]
    assert f'aria-describedby="address-error-{field}"' in html
    # Unknown and out of scope read the same.
    if who == "acceptor":
        unknown = {"street": "120113999000", "community": "120113001999", "grid": "9" * 15}
        other = client_for(places, who).get("/console/addresses/", {field: unknown[field]})
        assert other.status_code == 400
        assert other.context["errors"][field] == response.context["errors"][field].replace(
            code, unknown[field]
        )


def test_the_filters_offer_only_the_viewer_s_streets_and_communities(places):
    html = client_for(places, "acceptor").get("/console/addresses/").content.decode()
    assert f'value="{places.street.code}"' in html
    assert f'value="{places.other_street.code}"' not in html
    assert f'value="{places.community.code}"' in html
    assert f'value="{other_community().code}"' not in html
    command = client_for(places, "command")
    narrowed = command.get("/console/addresses/", {"street": places.other_street.code})
    assert f'value="{other_community().code}"' in narrowed.content.decode()
    assert f'value="{places.community.code}"' not in narrowed.content.decode()


def test_pages_of_fifty(places):
    load([(f"P{i:03d}", f"翠溪里{i}号", "", "", "", *IN_GRID_0) for i in range(60)])
    client = client_for(places, "command")
    first = client.get("/console/addresses/", {"q": "翠溪里"})
    second = client.get("/console/addresses/", {"q": "翠溪里", "page": 2})
    assert len(codes_on(first)) == 50 and len(codes_on(second)) == 10
    assert "page=2" in first.content.decode() and "q=" in first.content.decode()
    # The links carry the filters but never a second `page`.
    assert second.context["query"] == "q=%E7%BF%A0%E6%BA%AA%E9%87%8C"


def test_detail_shows_the_address_its_grid_on_a_map_and_the_cases_reported_there(places):
    worker = places.people.worker
    at_address = report_case(places, worker, address_code="G0-1")
    report_case(places, worker)  # a point report in the same grid: not at the address
    response = client_for(places, "acceptor").get("/console/addresses/G0-1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "佳园里1号楼1单元101" in html and places.grids[0].code in html
    data = json.loads(json.dumps(response.context["map_data"]))
    assert data["point"] == [IN_GRID_0[0], IN_GRID_0[1]]
    assert data["grid"]["properties"]["code"] == places.grids[0].code
    assert data["grid"]["geometry"]["type"] == "Polygon"
    assert [row["case"].number for row in response.context["cases"]] == [at_address.number]
    assert f"/cases/{at_address.number}/" in html


def test_cases_at_an_address_are_the_viewer_s_visible_ones_newest_first(places):
    worker = places.people.worker
    first = report_case(places, worker, address_code="G0-1")
    second = report_case(places, worker, address_code="G0-1")
    report_case(places, worker, address_code="G0-2")
    address = Address.objects.get(code="G0-1")
    found = cases_at_address(places.people.acceptor, address)
    assert {c.number for c in found} == {first.number, second.number}
    assert [c.reported_at for c in found] == sorted((c.reported_at for c in found), reverse=True)
    assert len(cases_at_address(places.people.acceptor, address, limit=1)) == 1
    # Scoped like every case read: another street's desk sees none of them.
    assert cases_at_address(places.people.other_acceptor, address) == []
    assert cases_at_address(places.people.acceptor, Address(code="X", lon=0, lat=0)) == []


def test_import_is_only_for_those_who_may_manage_the_territory(places):
    for who in ("admin", "command"):
        assert client_for(places, who).get("/console/addresses/import/").status_code == 200
        listing = client_for(places, who).get("/console/addresses/").content.decode()
        assert 'id="address-import-link"' in listing
    for who in ("acceptor", "dispatcher"):
        client = client_for(places, who)
        assert client.get("/console/addresses/import/").status_code == 403
        post = client.post(
            "/console/addresses/import/",
            {"crs": "wgs84", "file": csv_file([("N1", "新地址", "", "", "", *IN_GRID_0)])},
        )
        assert post.status_code == 403
        assert 'id="address-import-link"' not in client.get("/console/addresses/").content.decode()
    assert not Address.objects.filter(code="N1").exists()


def post_import(places, rows, **choices):
    data = {"crs": "wgs84", "file": csv_file(rows)} | choices
    return client_for(places, "admin").post("/console/addresses/import/", data)


def test_dry_run_reports_and_changes_nothing(places):
    response = post_import(
        places,
        [
            ("N1", "新地址", "", "", "", *IN_GRID_0),
            ("G0-1", "佳园里1号楼1单元101", "1号楼", "1单元", "101", *IN_GRID_0),
            ("G1-1", "华顺苑3号楼2单元302", "3号楼", "2单元", "302", *IN_GRID_1),
        ],
        dry_run="1",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-dry-run="1"' in html and 'data-refused="0"' in html
    report = response.context["report"]
    assert (report.added, report.changed, report.unchanged) == (["N1"], ["G1-1"], ["G0-1"])
    assert '<dd data-count="added">1</dd>' in html
    assert not Address.objects.filter(code="N1").exists()
    assert Address.objects.get(code="G1-1").name == "华顺苑3号楼2单元301"


def test_a_file_with_problems_is_refused_whole_with_each_problem_by_row(places):
    rows = [
        ("N1", "新地址", "", "", "", *IN_GRID_0),  # row 2: fine
        ("", "无编码", "", "", "", *IN_GRID_0),  # row 3
        ("N3", "远处", "", "", "", *OUTSIDE),  # row 4
        ("N4", "坏坐标", "", "", "", "east", 39.2),  # row 5
    ]
    response = post_import(places, rows)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-refused="1"' in html
    problems = [(p.index, p.code, p.field, p.problem) for p in response.context["report"].problems]
    assert problems == [
        (3, "", "code", "missing_code"),
        (4, "N3", "lon", "outside_district"),
        (5, "N4", "lon", "bad_number"),
    ]
    assert '<tr data-row="4">' in html and "N3" in html
    assert not Address.objects.filter(code="N1").exists()


def test_the_valid_part_is_imported_when_asked(places):
    rows = [
        ("N1", "新地址", "", "", "", *IN_GRID_2),
        ("N3", "远处", "", "", "", *OUTSIDE),
    ]
    response = post_import(places, rows, accept_valid="1")
    assert response.status_code == 200
    assert response.context["report"].added == ["N1"]
    assert 'data-count="problems">1<' in response.content.decode()
    assert Address.objects.get(code="N1").grid == places.grids[2]
    assert not Address.objects.filter(code="N3").exists()


def test_import_without_a_file_or_with_a_bad_crs_is_a_400(places):
    client = client_for(places, "admin")
    assert client.post("/console/addresses/import/", {"crs": "wgs84"}).status_code == 400
    bad = client.post(
        "/console/addresses/import/",
        {"crs": "utm", "file": csv_file([("N1", "新地址", "", "", "", *IN_GRID_0)])},
    )
    assert bad.status_code == 400 and not Address.objects.filter(code="N1").exists()


def test_xlsx_upload(places):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["编码", "名称", "楼栋", "单元", "房间", "经度", "纬度"])
    wb.active.append(["X1", "秋怡里1号楼", "1号楼", "", "", *IN_GRID_1])
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = SimpleUploadedFile("a.xlsx", buffer.getvalue())
    response = client_for(places, "admin").post(
        "/console/addresses/import/", {"crs": "wgs84", "file": upload}
    )
    assert response.status_code == 200
    assert Address.objects.get(code="X1").grid == places.grids[1]


def test_an_address_stored_with_a_line_break_in_its_code_still_lists_and_opens(places):
    """Codes with control characters are refused at import now, but a database filled by an
    earlier version may hold one: the list must not fail on it, and its page must open."""
    Address.objects.filter(code="G0-2").update(code="G0\n2")
    client = client_for(places, "acceptor")
    listing = client.get("/console/addresses/")
    assert listing.status_code == 200
    assert "/console/addresses/G0%0A2/" in listing.content.decode()
    detail = client.get("/console/addresses/G0%0A2/")
    assert detail.status_code == 200 and "佳园里2号楼1单元502" in detail.content.decode()
