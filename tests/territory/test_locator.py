"""Point → grid: correctness against a plain STRtree, no database per point, reloads, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from onegrid.core.errors import InvalidInput
from onegrid.territory import locator, services
from onegrid.territory.models import Grid, LayerState

pytestmark = pytest.mark.usefixtures("db", "fresh_locator")

TIANANMEN = (116.3975, 39.9087)


@pytest.fixture
def layer(beichen):
    grids = list(Grid.objects.order_by("code"))
    geoms = shapely.from_wkb([bytes(g.geometry_wkb) for g in grids])
    return grids, geoms


def exact_codes(geoms, codes, xs, ys):
    """The reference answer: a plain STRtree query; on a shared edge the smaller code wins."""
    tree = shapely.STRtree(geoms)
    pts, idx = tree.query(shapely.points(xs, ys), predicate="intersects")
    best = {}
    for p, i in zip(pts.tolist(), idx.tolist(), strict=True):
        best[p] = min(best.get(p, i), i)
    return [codes[best[p]] if p in best else None for p in range(len(xs))]


def codes_of(found):
    return [f.grid_code if f else None for f in found]


def test_every_label_point_locates_to_its_own_grid(layer):
    grids, _geoms = layer
    lons = [g.label_lon for g in grids]
    lats = [g.label_lat for g in grids]
    assert codes_of(locator.locate_many(lons, lats)) == [g.code for g in grids]
    for g in grids[::7]:
        found = locator.locate(g.label_lon, g.label_lat)
        assert found.grid_code == g.code
        assert (found.grid_id, found.community_id, found.street_id) == (
            g.id,
            g.community_id,
            g.street_id,
        )


def test_vectorised_single_and_reference_agree_on_random_points(layer):
    grids, geoms = layer
    codes = [g.code for g in grids]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    rng = np.random.default_rng(42)
    xs = rng.uniform(minx - 0.01, maxx + 0.01, 20_000)
    ys = rng.uniform(miny - 0.01, maxy + 0.01, 20_000)
    many = codes_of(locator.locate_many(xs, ys))
    single = [
        f.grid_code if (f := locator.locate(x, y)) else None
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True)
    ]
    reference = exact_codes(geoms, codes, xs, ys)
    assert many == reference
    assert single == reference
    assert 0.3 < np.mean([c is not None for c in many]) < 0.7  # both inside and outside tested


def test_points_next_to_edges_and_vertices_agree_with_the_reference(layer):
    grids, geoms = layer
    codes = [g.code for g in grids]
    rng = np.random.default_rng(7)
    vertices = shapely.get_coordinates(geoms)
    vertices = vertices[rng.choice(len(vertices), 8000, replace=False)]
    # Within a few centimetres of a vertex, where the raster's cells are mixed.
    xs = vertices[:, 0] + rng.normal(scale=3e-7, size=len(vertices))
    ys = vertices[:, 1] + rng.normal(scale=3e-7, size=len(vertices))
    reference = exact_codes(geoms, codes, xs, ys)
    assert codes_of(locator.locate_many(xs, ys)) == reference
    assert [
        f.grid_code if (f := locator.locate(x, y)) else None
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True)
    ] == reference


def test_a_point_on_a_shared_edge_goes_to_the_smaller_code(layer):
    grids, geoms = layer
    tree = shapely.STRtree(geoms)
    b = int(tree.query(geoms[0], predicate="touches")[0])
    shared = shapely.intersection(geoms[0].boundary, geoms[b].boundary)
    point = shapely.line_interpolate_point(shapely.get_parts(shared)[0], 0.5, normalized=True)
    assert geoms[0].intersects(point) and geoms[b].intersects(point)
    assert locator.locate(point.x, point.y).grid_code == min(grids[0].code, grids[b].code)


def test_points_outside_the_district(beichen):
    assert locator.locate(*TIANANMEN) is None
    assert locator.locate(0.0, 0.0) is None
    assert (
        codes_of(
            locator.locate_many([TIANANMEN[0], 0.0, 200.0, np.nan], [TIANANMEN[1], 0.0, 0.0, 39.2])
        )
        == [None] * 4
    )
    for lon, lat in (TIANANMEN, (0.0, 0.0)):
        with pytest.raises(InvalidInput) as exc:
            locator.locate_or_error(lon, lat)
        assert exc.value.field == "lon"
        assert exc.value.code == "outside_district"
        assert "北辰区" in str(exc.value.message)
    assert locator.district_name() == "北辰区"


def test_locate_or_error_validates_and_returns(layer):
    grids, _geoms = layer
    g = grids[100]
    assert locator.locate_or_error(g.label_lon, g.label_lat).grid_code == g.code
    with pytest.raises(InvalidInput) as exc:
        locator.locate_or_error(float("nan"), 39.2)
    assert exc.value.field == "lon"
    with pytest.raises(InvalidInput) as exc:
        locator.locate_or_error(117.2, 95)
    assert exc.value.field == "lat"


def test_no_database_query_per_point(layer, django_assert_num_queries, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LOCATOR_RECHECK_SECONDS": 3600}
    grids, _geoms = layer
    locator.locate(grids[0].label_lon, grids[0].label_lat)  # loads the layer once
    with django_assert_num_queries(0):
        for g in grids:
            assert locator.locate(g.label_lon, g.label_lat).grid_code == g.code
        locator.locate_many([g.label_lon for g in grids], [g.label_lat for g in grids])


def test_reloads_when_the_layer_version_changes(layer, settings, fresh_locator):
    grids, _geoms = layer
    victim = grids[500]
    settings.ONEGRID = {**settings.ONEGRID, "LOCATOR_RECHECK_SECONDS": 3600}
    assert locator.locate(victim.label_lon, victim.label_lat).grid_code == victim.code
    loads = fresh_locator.loads

    # Move the grid far away (outside the district) and publish a new version.
    Grid.objects.filter(pk=victim.pk).update(geometry_wkb=box(0.0, 0.0, 0.001, 0.001).wkb)
    version = services.bump_layer_version()
    assert LayerState.objects.get(name="grids").version == version

    # Within the recheck interval the process keeps its layer: it does not ask the database.
    assert locator.locate(victim.label_lon, victim.label_lat).grid_code == victim.code
    assert fresh_locator.loads == loads

    # Once the interval is over, the version is re-read and the layer reloaded.
    settings.ONEGRID = {**settings.ONEGRID, "LOCATOR_RECHECK_SECONDS": 0}
    fresh_locator._next_check = 0  # the 3600 s deadline set earlier has "passed"
    assert locator.locate(victim.label_lon, victim.label_lat) is None
    assert locator.locate(0.0005, 0.0005).grid_code == victim.code
    assert fresh_locator.loads == loads + 1
    # No change, no reload.
    locator.locate(0.0005, 0.0005)
    assert fresh_locator.loads == loads + 1

    with pytest.raises(InvalidInput) as exc:
        locator.locate_or_error(victim.label_lon, victim.label_lat)
    assert exc.value.code == "no_grid"  # a hole inside the district, not "outside"
    assert "北辰区" in str(exc.value.message)


def test_invalidate_forces_a_reload(layer, fresh_locator, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LOCATOR_RECHECK_SECONDS": 3600}
    grids, _geoms = layer
    locator.locate(grids[0].label_lon, grids[0].label_lat)
    loads = fresh_locator.loads
    Grid.objects.filter(pk=grids[0].pk).delete()  # without bumping the version
    assert locator.locate(grids[0].label_lon, grids[0].label_lat) is not None
    locator.invalidate()
    assert locator.locate(grids[0].label_lon, grids[0].label_lat) is None
    assert fresh_locator.loads == loads + 1


def test_threads_share_one_load_and_get_right_answers(layer, fresh_locator, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LOCATOR_RECHECK_SECONDS": 3600}
    grids, _geoms = layer
    lons = np.array([g.label_lon for g in grids])
    lats = np.array([g.label_lat for g in grids])
    expected = [g.code for g in grids]
    locator.locate(lons[0], lats[0])  # this thread loads; the test transaction holds the db
    loads = fresh_locator.loads
    errors = []
    start = threading.Barrier(8)

    def work(k):
        try:
            start.wait()
            for _ in range(3):
                got = codes_of(locator.locate_many(lons, lats))
                if got != expected:
                    errors.append(f"thread {k}: vectorised answer differs")
                for i in range(k, len(grids), 8):
                    if locator.locate(lons[i], lats[i]).grid_code != expected[i]:
                        errors.append(f"thread {k}: grid {expected[i]}")
        except Exception as exc:  # noqa: BLE001 - report whatever went wrong in a thread
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert fresh_locator.loads == loads


def test_a_reload_in_progress_does_not_block_readers(layer, fresh_locator):
    grids, _geoms = layer
    g = grids[3]
    assert locator.locate(g.label_lon, g.label_lat).grid_code == g.code
    fresh_locator._next_check = 0  # due for a version check ...
    with fresh_locator._lock:  # ... but another thread is busy reloading
        found = locator.locate(g.label_lon, g.label_lat)
    assert found.grid_code == g.code  # answered at once from the current layer


def test_an_empty_layer_locates_nothing(layer, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LOCATOR_RECHECK_SECONDS": 0}
    grids, _geoms = layer
    g = grids[0]
    Grid.objects.all().delete()
    services.bump_layer_version()
    assert locator.locate(g.label_lon, g.label_lat) is None
    assert codes_of(locator.locate_many([g.label_lon], [g.label_lat])) == [None]
    with pytest.raises(InvalidInput) as exc:
        locator.locate_or_error(g.label_lon, g.label_lat)
    assert exc.value.code == "no_grid"  # the district outline is still known
