"""The fusion proposal page in a browser: both maps draw, and panning one moves the other."""

from __future__ import annotations

import json

from shapely import box
from shapely.geometry import mapping

from onegrid.territory import layerio, layers
from support.browser import screenshot


def test_fuse_page_draws_two_synced_maps(web, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    beats = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)}
            for code, geom in [
                ("B-WEST", box(117.10, 39.20, 117.11003, 39.21)),
                ("B-EAST", box(117.11003, 39.20, 117.13, 39.21)),
            ]
        ],
    }
    layer = layerio.read_layer(json.dumps(beats).encode(), level="beat", filename="b.geojson")
    assert not layers.import_layer(layer=layer, actor="test").refused

    page = web.context("command", language="en").new_page()
    page.goto("/console/layers/fuse/")
    page.click("#fuse-form button[type=submit]")
    page.wait_for_url("**/console/layers/proposals/**")
    page.wait_for_selector("#map-before[data-state=ready]")
    page.wait_for_selector("#map-after[data-state=ready]")
    assert int(page.get_attribute("#map-before", "data-features")) == 5  # 3 grids + 2 beats
    assert int(page.get_attribute("#map-after", "data-features")) == 5

    def centre(map_id):
        return page.evaluate(
            "id => { const c = window.onegridLayerMaps[id].getCenter(); return [c.lat, c.lng]; }",
            map_id,
        )

    before = centre("map-after")
    assert abs(before[0] - centre("map-before")[0]) < 1e-9
    box_ = page.locator("#map-before").bounding_box()
    x, y = box_["x"] + box_["width"] / 2, box_["y"] + box_["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y - 40, steps=6)
    page.mouse.move(x - 120, y - 80, steps=6)
    page.mouse.up()
    # The drag ends in an inertia glide: read the centres once the dragged map stands still.
    page.evaluate(
        """id => new Promise((resolve) => {
          const map = window.onegridLayerMaps[id];
          let last = null, still = 0;
          const look = () => {
            const centre = map.getCenter();
            still = last && centre.equals(last) ? still + 1 : 0;
            last = centre;
            if (still >= 5) resolve(); else requestAnimationFrame(look);
          };
          requestAnimationFrame(look);
        })""",
        "map-before",
    )
    assert centre("map-after") != before  # the right map moved with the left one
    # Within a pixel: Leaflet puts the other map's view on whole pixels, while a drag on a
    # map laid out at a fraction of a pixel may move it by a fraction.
    apart = page.evaluate(
        """() => {
          const maps = window.onegridLayerMaps;
          const [left, right] = [maps["map-before"], maps["map-after"]];
          return right.project(left.getCenter()).distanceTo(right.project(right.getCenter()));
        }"""
    )
    assert apart < 1
    assert page.locator("#changes tr[data-beat]").count() == 2
    screenshot(page, "layers-fuse")


def test_codes_page_gives_codes_and_draws_the_coded_grids(web, settings, tmp_path):
    from onegrid.territory.models import AdminUnit

    settings.VAR_DIR = tmp_path
    AdminUnit.objects.filter(code="120113001001").update(
        geometry_wkb=box(117.10, 39.20, 117.12, 39.21).wkb
    )
    drawn = tmp_path / "drawn.geojson"
    drawn.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": props, "geometry": mapping(geom)}
                    for props, geom in [
                        ({"code": "120113001001001"}, box(117.10, 39.20, 117.11, 39.21)),
                        ({}, box(117.11, 39.205, 117.12, 39.21)),  # two new grids, north
                        ({}, box(117.11, 39.20, 117.12, 39.205)),  # and south
                    ]
                ],
            }
        )
    )
    page = web.context("command", language="en").new_page()
    page.goto("/console/layers/codes/")
    page.set_input_files("#id_file", str(drawn))
    page.click("#codes-form button[type=submit]")
    page.wait_for_url("**/console/layers/codes/*/")
    page.wait_for_selector("#coded-map[data-state=ready]")
    assert int(page.get_attribute("#coded-map", "data-features")) == 3
    rows = page.locator("#code-changes tr[data-index]")
    assert rows.count() == 2
    assert page.locator("#code-changes tr[data-index='2'] td.codes").inner_text() == (
        "120113001001003"  # the north grid comes first in reading order
    )
    screenshot(page, "layers-codes")
