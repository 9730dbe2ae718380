"""territory.coverage on synthetic layers with known defects (no database)."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import box

from onegrid.territory.coverage import Unit, check_beats, check_layer, fuse, to_geojson
from onegrid.territory.geometry import LocalProjection

PROJ = LocalProjection(117.2, 39.2)
STREET = "120113001000"
C1, C2 = "120113001001", "120113001002"


def ll(geom):
    """A metric shape (metres east/north of PROJ's centre) in WGS-84."""
    return PROJ.to_lonlat(geom)


def rect(x0, y0, x1, y1):
    return ll(box(x0, y0, x1, y1))


OUTLINE = rect(0, 0, 1200, 400)


def clean_grids() -> dict[str, Unit]:
    """Two communities side by side, 3 × 2 grids of 200 m each, coded in reading order."""
    grids = {}
    for ci, community in enumerate((C1, C2)):
        serial = 0
        for y0 in (200, 0):  # north row first
            for col in range(3):  # west → east
                serial += 1
                x0 = ci * 600 + col * 200
                code = f"{community}{serial:03d}"
                grids[code] = Unit(code, rect(x0, y0, x0 + 200, y0 + 200), community)
    return grids


def communities(*, south: float = 0) -> list[Unit]:
    return [
        Unit(C1, rect(0, south, 600, 400), STREET),
        Unit(C2, rect(600, south, 1200, 400), STREET),
    ]


def by_kind(issues):
    out = {}
    for issue in issues:
        out.setdefault(issue.kind, []).append(issue)
    return out


def test_clean_layer_has_no_issue():
    grids = list(clean_grids().values())
    assert check_layer(grids, outline=OUTLINE, parents=communities()) == []
    assert check_layer(communities(), outline=OUTLINE, level="community") == []
    beats = [Unit("B1", rect(0, 0, 600, 400)), Unit("B2", rect(600, 0, 1200, 400))]
    assert check_beats(grids, beats) == []


def defective_grids() -> list[Unit]:
    g = clean_grids()
    # gap: grid C1-002 stops 30 m short of the northern edge → 200 × 30 = 6,000 m²
    g[C1 + "002"] = Unit(C1 + "002", rect(200, 200, 400, 370), C1)
    # overlap: C2-002 reaches 20 m into C2-003 → 20 × 200 = 4,000 m²
    g[C2 + "002"] = Unit(C2 + "002", rect(800, 200, 1020, 400), C2)
    # sliver: a 5 × 5 m unit cut from the south-east corner of C2-006 (serial 007 = last)
    g[C2 + "006"] = Unit(
        C2 + "006", ll(box(1000, 0, 1200, 200).difference(box(1195, 0, 1200, 5))), C2
    )
    g[C2 + "007"] = Unit(C2 + "007", rect(1195, 0, 1200, 5), C2)
    # outside: C1-004 reaches 30 m south of the outline → 200 × 30 = 6,000 m²
    g[C1 + "004"] = Unit(C1 + "004", rect(0, -30, 200, 200), C1)
    # crosses its community: C1-006 takes 50 m of C2 (C2-004 gives them up) → 10,000 m²
    g[C1 + "006"] = Unit(C1 + "006", rect(400, 0, 650, 200), C1)
    g[C2 + "004"] = Unit(C2 + "004", rect(650, 0, 800, 200), C2)
    # bad code: 14 digits
    g[C2 + "005"] = Unit("12011300100205", g[C2 + "005"].geometry, C2)
    # serial out of order: the two western grids of C1's north row swap codes
    a, b = g[C1 + "001"], g[C1 + "002"]
    g[C1 + "001"] = Unit(C1 + "001", b.geometry, C1)
    g[C1 + "002"] = Unit(C1 + "002", a.geometry, C1)
    return list(g.values())


def test_defects_are_found_exactly():
    # The community layer reaches 100 m south of the district outline on purpose, so that the
    # grid poking out of the outline is not also outside its community.
    issues = check_layer(defective_grids(), outline=OUTLINE, parents=communities(south=-100))
    kinds = by_kind(issues)
    assert sorted(kinds) == [
        "bad_code",
        "crosses_parent",
        "gap",
        "outside",
        "overlap",
        "serial_order",
        "sliver",
    ]
    assert all(len(v) == 1 for v in kinds.values()), [(i.kind, i.codes) for i in issues]

    gap = kinds["gap"][0]
    assert gap.codes == (C1 + "001", C1 + "002", C1 + "003")
    assert gap.area_m2 == pytest.approx(6000, rel=0.01)
    assert 200 < PROJ.forward(gap.lon, gap.lat)[0] < 400
    assert 370 < PROJ.forward(gap.lon, gap.lat)[1] < 400

    overlap = kinds["overlap"][0]
    assert overlap.codes == (C2 + "002", C2 + "003")
    assert overlap.area_m2 == pytest.approx(4000, rel=0.01)

    sliver = kinds["sliver"][0]
    assert sliver.codes == (C2 + "007",)
    assert sliver.area_m2 == pytest.approx(25, rel=0.01)

    outside = kinds["outside"][0]
    assert outside.codes == (C1 + "004",)
    assert outside.area_m2 == pytest.approx(6000, rel=0.01)

    crosses = kinds["crosses_parent"][0]
    assert crosses.codes == (C1 + "006", C1, C2)
    assert crosses.area_m2 == pytest.approx(10000, rel=0.01)

    assert kinds["bad_code"][0].codes == ("12011300100205",)
    assert kinds["serial_order"][0].codes in ((C1 + "001",), (C1 + "002",))
    assert kinds["serial_order"][0].geometry is None

    for issue in issues:
        assert issue.message
        assert issue.kind in ("bad_code", "serial_order") or issue.geometry is not None

    fc = json.loads(json.dumps(to_geojson(issues)))
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == len(issues)
    assert all(f["geometry"] is not None for f in fc["features"])
    assert {f["properties"]["kind"] for f in fc["features"]} == set(kinds)


def test_parent_found_by_largest_overlap_when_not_given():
    grids = [Unit(u.code, u.geometry) for u in clean_grids().values()]
    grids[5] = Unit(C1 + "006", rect(400, 0, 650, 200))  # no parent_code
    grids[9] = Unit(C2 + "004", rect(650, 0, 800, 200))
    issues = check_layer(grids, outline=OUTLINE, parents=communities())
    assert [(i.kind, i.codes) for i in issues] == [("crosses_parent", (C1 + "006", C1, C2))]


def test_float_noise_and_thin_slivers_are_not_reported():
    g = clean_grids()
    # a 1 cm overlap and a 1 cm gap along whole edges: noise under tolerance_m
    g[C1 + "001"] = Unit(C1 + "001", rect(0, 200, 200.01, 400), C1)
    g[C2 + "005"] = Unit(C2 + "005", rect(800, 0, 999.99, 200), C2)
    assert check_layer(list(g.values()), outline=OUTLINE, parents=communities()) == []


def test_hole_between_units_without_outline():
    g = clean_grids()
    holed = box(200, 0, 400, 200).difference(box(250, 50, 350, 150))
    g[C1 + "005"] = Unit(C1 + "005", ll(holed), C1)
    issues = check_layer(list(g.values()))
    assert [(i.kind, i.codes) for i in issues] == [("gap", (C1 + "005",))]
    assert issues[0].area_m2 == pytest.approx(10000, rel=0.01)


def test_invalid_geometry_is_reported_and_repaired():
    g = clean_grids()
    bowtie = ll(shapely.Polygon([(0, 200), (200, 400), (200, 200), (0, 400)]))
    g[C1 + "001"] = Unit(C1 + "001", bowtie, C1)
    issues = check_layer(list(g.values()), parents=communities())
    kinds = {i.kind for i in issues}
    assert "invalid_geometry" in kinds
    inv = next(i for i in issues if i.kind == "invalid_geometry")
    assert inv.codes == (C1 + "001",)


def test_admin_code_rules():
    units = [
        Unit(STREET, rect(0, 0, 600, 400), "120113000000"),
        Unit("120113002001", rect(600, 0, 1200, 400), "120113000000"),  # not a street code
    ]
    issues = check_layer(units, level="street")
    assert [(i.kind, i.codes) for i in issues] == [("bad_code", ("120113002001",))]
    comms = [
        Unit(C1, rect(0, 0, 600, 400), STREET),
        Unit("120113001000", rect(600, 0, 1200, 200), STREET),  # ends in 000
        Unit("120113002003", rect(600, 200, 1200, 400), STREET),  # other street's prefix
    ]
    issues = check_layer(comms, level="community")
    assert sorted(i.codes for i in issues if i.kind == "bad_code") == [
        ("120113001000",),
        ("120113002003",),
    ]


def test_check_beats_finds_the_split_grid():
    grids = list(clean_grids().values())
    # B1 takes a 50 m strip of C2-004 (600..800 × 0..200)
    b1 = Unit("B1", ll(box(0, 0, 600, 400).union(box(600, 0, 650, 200))))
    b2 = Unit("B2", ll(box(600, 0, 1200, 400).difference(box(600, 0, 650, 200))))
    issues = check_beats(grids, [b1, b2])
    assert len(issues) == 1
    issue = issues[0]
    assert issue.kind == "splits_grid"
    assert issue.codes == (C2 + "004", "B2", "B1")
    assert issue.area_m2 == pytest.approx(10000, rel=0.01)
    # the beat layer itself is a clean coverage
    assert check_layer([b1, b2], outline=OUTLINE, level="beat") == []


def six_grids(population=None):
    out = []
    serial = 0
    for y0 in (200, 0):
        for x0 in (0, 200, 400):
            serial += 1
            pop = population.get(serial) if population else None
            out.append(Unit(f"{C1}{serial:03d}", rect(x0, y0, x0 + 200, y0 + 200), C1, pop))
    return out


def test_fuse_snaps_a_3m_misalignment():
    grids = six_grids()
    beats = [Unit("B1", rect(0, 0, 403, 400)), Unit("B2", rect(403, 0, 600, 400))]
    fusion = fuse(grids, beats, snap_m=5.0)
    assert fusion.snapped_vertices == 3  # (400, 0), (400, 200), (400, 400) → x = 403
    assert fusion.assignment == {
        C1 + "001": "B1",
        C1 + "002": "B1",
        C1 + "004": "B1",
        C1 + "005": "B1",
        C1 + "003": "B2",
        C1 + "006": "B2",
    }
    assert [g.code for g in fusion.grids] == [g.code for g in grids]
    new = {b.code: b for b in fusion.beats}
    for old in beats:
        assert PROJ.area_m2(new[old.code].geometry.symmetric_difference(old.geometry)) < 1.0
    for change in fusion.changes:
        assert change["area_moved_m2"] < 1.0
        assert change["grids_gained"] == change["grids_lost"] == []
    assert check_layer(fusion.grids, outline=rect(0, 0, 600, 400)) == []
    assert check_beats(fusion.grids, fusion.beats) == []


def test_fuse_without_snapping_moves_whole_grids():
    grids = six_grids(population={3: 1000, 6: 400})
    beats = [Unit("B1", rect(0, 0, 403, 400)), Unit("B2", rect(403, 0, 600, 400))]
    fusion = fuse(grids, beats, snap_m=0)
    assert fusion.snapped_vertices == 0
    assert sorted(c for c, b in fusion.assignment.items() if b == "B2") == [
        C1 + "003",
        C1 + "006",
    ]
    changes = {c["code"]: c for c in fusion.changes}
    assert changes["B1"]["area_before_m2"] == pytest.approx(403 * 400, rel=1e-4)
    assert changes["B1"]["area_after_m2"] == pytest.approx(400 * 400, rel=1e-4)
    # 3 m × 400 m left B1 and nothing came in: area moved = symmetric difference ÷ 2
    assert changes["B1"]["area_moved_m2"] == pytest.approx(600, rel=0.01)
    assert changes["B1"]["grids_lost"] == [C1 + "003", C1 + "006"]
    assert changes["B2"]["grids_gained"] == [C1 + "003", C1 + "006"]
    # 3 m of a 200 m grid changed beat: 1.5 % of 1,400 people
    assert changes["B1"]["population_affected"] == 21
    assert changes["B2"]["population_affected"] == 21
    assert changes["B1"]["households_affected"] is None
    new = {b.code: b for b in fusion.beats}
    assert new["B2"].population == 1400
    assert new["B1"].population is None
    assert check_beats(fusion.grids, fusion.beats) == []


def test_fuse_reallocates_a_grid_with_only_a_sliver_of_overlap():
    grids = six_grids()
    # B3 is a thin strip over grid 005; 005 lies mostly in no beat at all
    beats = [
        Unit("B1", rect(0, 0, 200, 400)),
        Unit("B2", rect(400, 0, 600, 400)),
        Unit("B3", rect(200, 0, 400, 200.2)),
        Unit("B4", rect(200, 390, 400, 400)),
    ]
    fusion = fuse(grids, beats, snap_m=0, sliver_m2=100)
    # 005 overlaps B3 almost wholly → B3; 002 only has B4's 2,000 m² strip → B4 (not a sliver)
    assert fusion.assignment[C1 + "005"] == "B3"
    assert fusion.assignment[C1 + "002"] == "B4"
    beats[3] = Unit("B4", rect(200, 399.8, 400, 400))  # now only a 40 m² sliver
    fusion = fuse(grids, beats, snap_m=0, sliver_m2=100)
    # 002 goes to the beat of the neighbours it shares the longest boundary with: B1/B2/B3
    # share 200 m each; the tie goes to the lowest beat index
    assert fusion.assignment[C1 + "002"] == "B1"
    assert fusion.unassigned_beats == ["B4"]
    b4 = next(c for c in fusion.changes if c["code"] == "B4")
    assert b4["area_after_m2"] == 0
