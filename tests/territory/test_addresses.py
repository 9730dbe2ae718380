"""Standard addresses: import from CSV/XLSX located to grid and beat, all or nothing, links that
follow layer changes, and cases reported against an address."""

from __future__ import annotations

import io
import itertools

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image
from shapely import box

from onegrid.cases import services as case_services
from onegrid.core.errors import InvalidInput
from onegrid.territory import addresses, layers
from onegrid.territory.geometry import from_wgs84
from onegrid.territory.layerio import LayerFeature, LayerFile
from onegrid.territory.models import Address, Beat, Grid
from support.api import token_client

_keys = itertools.count()


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def new_key() -> str:
    return f"addr-{next(_keys)}"


# In grids[0] (117.10–117.11), 2 m west of where the moved boundary will run (117.105 → 117.107).
NEAR_EDGE = (117.1068, 39.205)
IN_GRID_0 = (117.103, 39.203)
IN_GRID_2 = (117.125, 39.205)
OUTSIDE = (117.30, 39.50)


def csv_bytes(rows, header="code,name,building,unit,room,lon,lat", encoding="utf-8-sig"):
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def row(code, point, name=None, building="3", unit="2", room="501"):
    return (code, name or f"佳园里{code}", building, unit, room, point[0], point[1])


@pytest.fixture
def beats(world):
    made = []
    for i, grid in enumerate(world.grids):
        beat = Beat.objects.create(code=f"B{i}", name=f"警格{i}", geometry_wkb=grid.geometry_wkb)
        grid.beat = beat
        grid.save(update_fields=["beat"])
        made.append(beat)
    return made


def load(data, **options):
    rows, problems = addresses.read_addresses(data, filename=options.pop("filename", "a.csv"))
    return addresses.import_addresses(rows=rows, problems=problems, **options)


def test_csv_import_locates_each_address_to_its_grid_and_beat(world, beats):
    report = load(csv_bytes([row("A1", IN_GRID_0), row("A2", IN_GRID_2), row("A3", NEAR_EDGE)]))
    assert not report.problems and report.added == ["A1", "A2", "A3"]
    assert report.by_grid == {world.grids[0].code: 2, world.grids[2].code: 1}
    a1, a2, a3 = Address.objects.order_by("code")
    assert (a1.grid, a1.beat, a2.grid, a2.beat) == (
        world.grids[0],
        beats[0],
        world.grids[2],
        beats[2],
    )
    assert a3.grid == world.grids[0] and a1.building == "3" and a1.room == "501"

    again = load(csv_bytes([row("A1", IN_GRID_0), row("A2", IN_GRID_0, name="改名")]))
    assert again.unchanged == ["A1"] and again.changed == ["A2"]
    assert Address.objects.get(code="A2").grid == world.grids[0]


def test_xlsx_with_chinese_headers_and_gcj02_points(world):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "楼栋", "单元", "房间", "经度", "纬度"])
    gcj = from_wgs84(*IN_GRID_2, "gcj02")
    ws.append(
        ["120113001001001-0001", "果园新村街道佳园里3号楼2门501", "3号楼", "2门", "501", *gcj]
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    rows, problems = addresses.read_addresses(buffer.getvalue(), crs="gcj02", filename="a.xlsx")
    assert not problems
    report = addresses.import_addresses(rows=rows, problems=problems)
    assert report.added == ["120113001001001-0001"]
    address = Address.objects.get()
    assert address.name == "果园新村街道佳园里3号楼2门501" and address.unit == "2门"
    assert abs(address.lon - IN_GRID_2[0]) < 1e-5 and abs(address.lat - IN_GRID_2[1]) < 1e-5
    assert address.grid == world.grids[2]


def test_gb18030_csv_is_read(world):
    data = csv_bytes(
        [row("G1", IN_GRID_0, name="佳园里")], header="编码,名称,楼栋,单元,房间,经度,纬度"
    )
    rows, problems = addresses.read_addresses(data.decode("utf-8-sig").encode("gb18030"))
    assert not problems and rows[0].name == "佳园里"


def test_problems_are_named_per_row_and_change_nothing_unless_the_valid_part_is_asked(world):
    data = csv_bytes(
        [
            row("OK1", IN_GRID_0),
            row("", IN_GRID_0),  # row 3: no code
            row("OK1", IN_GRID_2),  # row 4: duplicate
            ("BAD", "名", "", "", "", "east", 39.2),  # row 5: bad number
            row("FAR", OUTSIDE),  # row 6: outside
            row("OK2", IN_GRID_2),
        ]
    )
    rows, problems = addresses.read_addresses(data)
    assert [(p.index, p.problem, p.field) for p in problems] == [
        (3, "missing_code", "code"),
        (4, "duplicate_code", "code"),
        (5, "bad_number", "lon"),
        (6, "outside_district", "lon"),
    ]
    assert "Row 4 (OK1)" in problems[1].message
    refused = addresses.import_addresses(rows=rows, problems=problems)
    assert refused.refused and not Address.objects.exists()
    dry = addresses.import_addresses(
        rows=rows, problems=problems, accept_valid_part=True, dry_run=True
    )
    assert dry.added == ["OK1", "OK2"] and not Address.objects.exists()
    accepted = addresses.import_addresses(rows=rows, problems=problems, accept_valid_part=True)
    assert accepted.added == ["OK1", "OK2"] and len(accepted.problems) == 4
    assert set(Address.objects.values_list("code", flat=True)) == {"OK1", "OK2"}


def test_a_file_without_the_needed_columns_is_one_problem(world):
    rows, problems = addresses.read_addresses(b"foo,bar\n1,2\n", filename="x.csv")
    assert rows == [] and [p.problem for p in problems] == ["missing_column"]


def test_links_follow_a_grid_layer_change(world, beats):
    load(csv_bytes([row("E1", NEAR_EDGE), row("E2", IN_GRID_0), row("E3", IN_GRID_2)]))
    assert Address.objects.get(code="E1").grid == world.grids[0]
    g0, g1 = world.grids[0], world.grids[1]
    moved = LayerFile(
        level="grid",
        crs="wgs84",
        features=[
            LayerFeature(
                1,
                g0.code,
                g0.name,
                "120113001001",
                box(117.10, 39.20, 117.106, 39.21),
                None,
                None,
                {},
            ),
            LayerFeature(
                2,
                g1.code,
                g1.name,
                "120113001001",
                box(117.106, 39.20, 117.12, 39.21),
                None,
                None,
                {},
            ),
        ],
    )
    report = layers.import_layer(layer=moved)
    assert report.changed == [g0.code, g1.code]
    e1, e2, e3 = Address.objects.order_by("code")
    assert (e1.grid, e1.beat) == (g1, beats[1])
    assert (e2.grid, e2.beat, e3.grid) == (g0, beats[0], world.grids[2])
    assert addresses.relink_addresses() == 0  # nothing left to change


def test_retiring_a_grid_unlinks_its_addresses_and_the_command_relinks(world, beats, tmp_path):
    path = tmp_path / "addresses.csv"
    gcj = from_wgs84(*IN_GRID_2, "gcj02")
    path.write_bytes(csv_bytes([row("R1", gcj)]))
    out = io.StringIO()
    call_command("addresses", "import", str(path), "--crs", "gcj02", "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and not Address.objects.exists()
    call_command("addresses", "import", str(path), "--crs", "gcj02", stdout=out)
    assert Address.objects.get().grid == world.grids[2]
    keep = LayerFile(
        level="grid",
        crs="wgs84",
        features=[
            LayerFeature(i, g.code, g.name, g.community.code, g.geometry, None, None, {})
            for i, g in enumerate(world.grids[:2], start=1)
        ],
    )
    layers.import_layer(layer=keep, replace=True)
    address = Address.objects.get()
    assert address.grid is None and address.beat is None
    # A manual damage is repaired by relink.
    Address.objects.update(grid=world.grids[0])
    call_command("addresses", "relink", stdout=out)
    assert "1 address changed" in out.getvalue() and Address.objects.get().grid is None
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row("X1", OUTSIDE)]))
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("addresses", "import", str(bad), stdout=out)


def _address(world, code="H1", point=IN_GRID_0):
    load(csv_bytes([row(code, point, name="果园新村街道佳园里3号楼2门501")]))
    return Address.objects.get(code=code)


def test_report_against_an_address_with_the_service(world):
    address = _address(world)
    case = case_services.report_case(
        actor=world.people.worker,
        address_code=address.code,
        class_code=world.rubbish.code,
        photo_files=[photo()],
        idempotency_key=new_key(),
    ).case
    assert (case.lon, case.lat) == (address.lon, address.lat)
    assert case.grid_id == world.grids[0].id and case.address == address.name

    # A point in the address's grid is fine; the address's point wins.
    case = case_services.report_case(
        actor=world.people.worker,
        lon=world.point[0],
        lat=world.point[1],
        address_code=address.code,
        address="楼下",
        class_code=world.rubbish.code,
        photo_files=[photo()],
        idempotency_key=new_key(),
    ).case
    assert (case.lon, case.lat) == (address.lon, address.lat)
    assert case.address == f"{address.name} 楼下"

    with pytest.raises(InvalidInput) as error:
        case_services.report_case(
            actor=world.people.worker,
            lon=world.far_point[0],
            lat=world.far_point[1],
            address_code=address.code,
            class_code=world.rubbish.code,
            photo_files=[photo()],
            idempotency_key=new_key(),
        )
    assert error.value.field == "lon" and address.code in str(error.value)
    with pytest.raises(InvalidInput) as error:
        case_services.report_case(
            actor=world.people.worker,
            address_code="NOPE",
            class_code=world.rubbish.code,
            photo_files=[photo()],
            idempotency_key=new_key(),
        )
    assert error.value.field == "address_code"


def test_report_against_an_address_through_the_api(world):
    address = _address(world)
    client = token_client(world.people.worker)

    def post(key, **fields):
        data = {"class_code": "A0102", "photos": [photo()], **fields}
        return client.post("/api/v1/cases", data, HTTP_IDEMPOTENCY_KEY=key)

    created = post("k1", address_code=address.code)
    assert created.status_code == 201, created.json()
    case = created.json()["case"]
    assert case["address"] == address.name
    unknown = post("k2", address_code="NOPE")
    assert unknown.status_code == 422 and unknown.json()["field"] == "address_code"
    neither = post("k3")
    assert neither.status_code == 422 and neither.json()["field"] == "lon"
    elsewhere = post(
        "k4", address_code=address.code, lon=world.far_point[0], lat=world.far_point[1]
    )
    assert elsewhere.status_code == 422 and elsewhere.json()["field"] == "lon"


def test_an_address_keeps_its_retired_grid_readable(world):
    address = _address(world, point=IN_GRID_2)
    Grid.objects.filter(pk=world.grids[2].pk).update(retired_in=9)
    assert Address.objects.get(pk=address.pk).grid.code == world.grids[2].code


def test_before_fusion_an_address_takes_the_beat_drawn_around_it(world):
    # Beats drawn apart from the grids, not yet fused: no grid has a beat.
    west = Beat.objects.create(
        code="BW", name="西警格", geometry_wkb=box(117.0, 39.1, 117.115, 39.3).wkb
    )
    east = Beat.objects.create(
        code="BE", name="东警格", geometry_wkb=box(117.115, 39.1, 117.2, 39.3).wkb
    )
    report = load(csv_bytes([row("A1", IN_GRID_0), row("A2", IN_GRID_2)]))
    assert not report.problems
    assert [(a.code, a.beat) for a in Address.objects.order_by("code")] == [
        ("A1", west),
        ("A2", east),
    ]
    # Once the grid belongs to a beat, the grid's beat wins.
    world.grids[0].beat = east
    world.grids[0].save(update_fields=["beat"])
    addresses.relink_addresses()
    assert Address.objects.get(code="A1").beat == east
