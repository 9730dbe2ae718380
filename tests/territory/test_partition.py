"""The Beichen demo partition: real codes, full coverage, no overlaps, nesting, determinism."""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections import defaultdict

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command

from onegrid.demo import district as demo
from onegrid.territory.geometry import projection_for
from onegrid.territory.models import AdminUnit, Grid
from onegrid.territory.outline import district_outline

pytestmark = pytest.mark.usefixtures("db")

# DOMAIN.md §2, 2023 official codes.
OFFICIAL = {
    "001": "果园新村街道",
    "002": "集贤里街道",
    "003": "普东街道",
    "004": "瑞景街道",
    "005": "佳荣里街道",
    "006": "青源街道",
    "007": "广源街道",
    "008": "双环邨街道",
    "100": "天穆镇",
    "101": "北仓镇",
    "102": "双街镇",
    "103": "双口镇",
    "104": "青光镇",
    "106": "宜兴埠镇",
    "107": "小淀镇",
    "108": "大张庄镇",
    "111": "西堤头镇",
    "400": "科技园区北区",
    "401": "科技园区南区",
    "402": "天津医药医疗器械工业园",
    "403": "天津陆路港物流装备产业园",
    "404": "天津风电产业园",
    "500": "红旗农场",
    "501": "曙光农场",
}
URBAN = {f"120113{c}000" for c in ("001", "002", "003", "004", "005", "006", "007", "008")}


def load():
    grids = list(Grid.objects.select_related("community", "street").order_by("code"))
    geoms = shapely.from_wkb([bytes(g.geometry_wkb) for g in grids])
    units = {u.code: u for u in AdminUnit.objects.all()}
    return grids, geoms, units


def test_tree_has_the_official_units(beichen):
    city = AdminUnit.objects.get(code="120100000000")
    district = AdminUnit.objects.get(code="120113000000")
    assert (city.name, city.level) == ("天津市", "city")
    assert (district.name, district.level, district.parent_id) == ("北辰区", "district", city.id)
    streets = {u.code: u.name for u in AdminUnit.objects.filter(level="street", parent=district)}
    assert streets == {f"120113{k}000": v for k, v in OFFICIAL.items()}
    assert beichen.streets == 24


def test_counts_are_realistic(beichen):
    n = Grid.objects.count()
    assert 1250 <= n <= 1350
    assert n == beichen.grids
    communities = AdminUnit.objects.filter(level="community")
    assert communities.count() == beichen.communities
    assert 150 <= beichen.communities <= 400
    for street in AdminUnit.objects.filter(level="street"):
        assert street.children.count() >= 1, street.code
        assert Grid.objects.filter(street=street).count() >= 3, street.code
    # Urban streets are small and dense: smaller grids than the towns' on average.
    urban = Grid.objects.filter(street__code__in=URBAN)
    rural = Grid.objects.filter(street__code__regex=r"^1201131\d\d000$")
    mean = lambda qs: sum(g.area_m2 for g in qs) / qs.count()  # noqa: E731
    assert mean(urban) * 4 < mean(rural)


def test_grids_cover_the_real_outline_exactly(beichen):
    _grids, geoms, _units = load()
    outline = district_outline("120113")
    proj = projection_for(outline)
    union = shapely.union_all(geoms)
    outline_area = float(proj.area_m2(outline))
    diff = float(proj.area_m2(shapely.symmetric_difference(union, outline)))
    # Snapping to 1e-7° (~1 cm) along a ~200 km boundary: well under a millionth of the area.
    assert diff < 1e-6 * outline_area
    assert beichen.coverage_error_m2 < 1e-6 * outline_area
    assert union.geom_type == "Polygon"  # no holes, no islands: gap-free
    assert len(union.interiors) == 0
    assert sum(float(proj.area_m2(g)) for g in geoms) == pytest.approx(outline_area, rel=1e-6)


def test_grids_do_not_overlap(beichen):
    _grids, geoms, _units = load()
    assert all(g.geom_type == "Polygon" and g.is_valid for g in geoms)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    assert len(a) > len(geoms)  # neighbours were actually found
    overlap = shapely.area(shapely.intersection(geoms[a], geoms[b]))
    assert overlap.max() < 1e-14  # deg²: zero up to float noise (1e-14 deg² ≈ 0.0001 m²)
    # Neighbours share edges vertex for vertex: a valid polygonal coverage.
    assert shapely.coverage_is_valid(geoms)


def test_every_grid_nests_in_its_community_and_street(beichen):
    grids, geoms, units = load()
    by_community = defaultdict(list)
    for g, geom in zip(grids, geoms, strict=True):
        assert g.street_id == g.community.parent_id
        by_community[g.community.code].append(geom)
        community = units[g.community.code].geometry
        assert shapely.area(shapely.difference(geom, community)) < 1e-14
    for code, parts in by_community.items():
        community = units[code]
        assert community.level == "community"
        geom = community.geometry
        assert geom.geom_type == "Polygon", code
        # A community is exactly the union of its grids ...
        assert shapely.area(shapely.symmetric_difference(shapely.union_all(parts), geom)) < 1e-14
        # ... and lies inside its street.
        street = units[code[:9] + "000"]
        assert community.parent.code == street.code
        assert shapely.area(shapely.difference(geom, street.geometry)) < 1e-14
    for street in (u for u in units.values() if u.level == "street"):
        assert street.geometry.geom_type == "Polygon", street.code


def test_codes_and_names_follow_the_rules(beichen):
    grids, geoms, units = load()
    for g in grids:
        assert re.fullmatch(r"\d{15}", g.code)
        assert g.code[:12] == g.community.code
        assert re.fullmatch(r"第\d{3}网格", g.name) and g.name[1:4] == g.code[12:]
    for u in units.values():
        if u.level != "community":
            continue
        street = units[u.code[:9] + "000"]
        suffix = int(u.code[9:])
        if street.name.endswith("镇") and suffix > 200:
            assert u.name.endswith("村"), u
        else:
            assert 1 <= suffix < 200
            assert re.fullmatch(re.escape(street.name) + r"第\d+社区", u.name), u
    # Serials per community run 001, 002, … without gaps.
    serials = defaultdict(list)
    for g in grids:
        serials[g.community.code].append(int(g.code[12:]))
    for code, got in serials.items():
        assert sorted(got) == list(range(1, len(got) + 1)), code


def test_serials_run_north_to_south_then_west_to_east(beichen):
    """The documented rule, recomputed independently from the stored geometries."""
    grids, geoms, units = load()
    by_community = defaultdict(list)
    for g, geom in zip(grids, geoms, strict=True):
        by_community[g.community.code].append((g.code, geom))
    checked = 0
    for code, members in by_community.items():
        community = units[code].geometry
        band = math.sqrt(community.area / len(members))
        top = community.bounds[3]

        def key(item, band=band, top=top):
            p = item[1].point_on_surface()
            return (math.floor((top - p.y) / band), p.x)

        assert [c for c, _ in sorted(members, key=key)] == sorted(c for c, _ in members), code
        checked += len(members) > 2
    assert checked > 100


def test_urban_streets_are_compact_and_toward_the_city(beichen):
    _grids, _geoms, units = load()
    outline = district_outline("120113")
    urban = [units[c].geometry for c in URBAN]
    towns = [u.geometry for u in units.values() if u.level == "street" and u.code[6] == "1"]
    assert max(g.area for g in urban) < min(g.area for g in towns)
    # The eight 街道 form one contiguous built-up area ...
    assert shapely.union_all(urban).geom_type == "Polygon"
    # ... in the south of the district, nearest central Tianjin (south of Beichen).
    centre = shapely.union_all(urban).centroid
    assert centre.y < outline.centroid.y
    city = shapely.Point(117.2, 39.12)
    assert shapely.distance(city, centre) < np.median([shapely.distance(city, t) for t in towns])


def test_stored_area_and_label_points(beichen):
    grids, geoms, _units = load()
    proj = projection_for(district_outline("120113"))
    areas = proj.area_m2(geoms)
    assert np.allclose([g.area_m2 for g in grids], areas, rtol=1e-4)
    assert shapely.contains_xy(
        geoms, [g.label_lon for g in grids], [g.label_lat for g in grids]
    ).all()


def _db_digest() -> str:
    h = hashlib.sha256()
    for code, wkb in Grid.objects.order_by("code").values_list("code", "geometry_wkb"):
        h.update(code.encode())
        h.update(bytes(wkb))
    return h.hexdigest()


def _plan_digest(plan) -> str:
    h = hashlib.sha256()
    for g in plan.grids:
        h.update(g.code.encode())
        h.update(shapely.to_wkb(g.geometry))
    return h.hexdigest()


def test_same_seed_same_district_other_seed_other_district(beichen):
    again = demo.plan_beichen(demo.DEFAULT_SEED)
    assert again.digest() == beichen.digest
    assert _plan_digest(again) == _db_digest()  # what was stored is exactly the plan

    other = demo.plan_beichen(demo.DEFAULT_SEED + 1)
    assert other.digest() != beichen.digest
    assert _plan_digest(other) != _db_digest()
    # Still the same district and the same official units, just cut differently.
    assert {u.code for u in other.units if u.level == "street"} == {
        f"120113{k}000" for k in OFFICIAL
    }
    assert 1250 <= len(other.grids) <= 1350
    other_geoms = np.array([g.geometry for g in other.grids])
    assert shapely.coverage_is_valid(other_geoms)
    union = shapely.union_all(other_geoms)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # gap-free too


def test_build_is_fast(beichen):
    assert beichen.seconds + beichen.write_seconds < 60


def test_load_district_command_does_nothing_when_the_district_exists(beichen, capsys):
    before = _db_digest()
    call_command("load_district")
    assert "already exists" in capsys.readouterr().out
    assert _db_digest() == before


def test_the_demo_comes_in_as_grid_layer_version_1_with_every_grid_kept(beichen):
    """Built through the GIS officer's services (init_district, import_layer), the demo's grid
    layer is a kept version like any imported one: version 1, a snapshot of every grid."""
    from onegrid.territory import selectors

    assert [(v.kind, v.number) for v in selectors.layer_versions()] == [("grids", 1)]
    version = selectors.layer_versions("grids")[0]
    assert version.created_by == "onegrid demo" and version.summary["added"] == beichen.grids
    kept = {u.code: bytes(u.geometry_wkb) for u in selectors.version_units("grids", 1)}
    live = dict(Grid.objects.values_list("code", "geometry_wkb"))
    assert len(kept) == beichen.grids
    assert kept == {code: bytes(wkb) for code, wkb in live.items()}
    assert not Grid.all_objects.filter(retired_in__isnull=False).exists()
    district = AdminUnit.objects.get(code="120113000000")
    assert district.geometry.equals(shapely.union_all(load()[1]))  # the outline init stored


def test_the_city_is_renamed_in_place_and_a_district_can_be_deleted(beichen):
    from onegrid.territory import services
    from onegrid.territory.district import init_district

    city = AdminUnit.objects.get(code="120100000000")
    district = AdminUnit.objects.get(code="120113000000")
    init_district(code="120113", name="北辰区", outline=district.geometry, city_name="天津市（新）")
    assert AdminUnit.objects.get(code="120100000000").pk == city.pk
    assert AdminUnit.objects.get(code="120100000000").name == "天津市（新）"

    removed = services.delete_district(district_code="120113000000")
    assert removed["grids"] == beichen.grids
    assert removed["units"] == beichen.communities + beichen.streets + 1
    assert not Grid.objects.exists()
    assert list(AdminUnit.objects.values_list("code", flat=True)) == ["120100000000"]
    assert services.delete_district(district_code="120113000000") == {"grids": 0, "units": 0}


def _one_grid_plan(community_of_the_grid: str) -> demo.DistrictPlan:
    """A one-street, one-community, one-grid plan, to build without planning Beichen."""
    square = shapely.box(117.10, 39.20, 117.11, 39.21)
    street, community = "120113001000", "120113001001"
    return demo.DistrictPlan(
        seed=1,
        units=[
            demo.PlannedUnit(demo.CITY_CODE, demo.CITY_NAME, "city", None),
            demo.PlannedUnit(demo.DISTRICT_CODE, demo.DISTRICT_NAME, "district", None, square),
            demo.PlannedUnit(street, "果园新村街道", "street", demo.DISTRICT_CODE, square),
            demo.PlannedUnit(community, "第一社区", "community", street, square),
        ],
        grids=[
            demo.PlannedGrid(
                community_of_the_grid + "001",
                "第001网格",
                community_of_the_grid,
                street,
                square,
                1.0,
                (117.105, 39.205),
            )
        ],
        outline=square,
    )


@pytest.mark.parametrize("command", ["load_district", "demo"])
def test_the_demo_is_refused_where_the_installation_serves_another_district(
    db, settings, monkeypatch, command
):
    monkeypatch.setattr(demo, "plan_beichen", lambda seed: _one_grid_plan("120113001001"))
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODE": "120105000000"}
    with pytest.raises(CommandError, match="add 120113000000 to ONEGRID_DISTRICT_CODES"):
        call_command(command, stdout=io.StringIO())
    assert not AdminUnit.objects.exists()


def test_a_refused_layer_leaves_no_half_built_district(db, monkeypatch):
    """The build is one transaction: a layer import_layer refuses undoes the district too."""
    monkeypatch.setattr(demo, "plan_beichen", lambda seed: _one_grid_plan("120113001999"))
    with pytest.raises(RuntimeError, match="grid layer was refused.*120113001999"):
        demo.build_beichen()
    assert not AdminUnit.objects.exists()
