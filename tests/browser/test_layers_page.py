"""The fusion proposal page in a browser: both maps draw, and panning one moves the other."""

from __future__ import annotations

import json

from shapely import box
from shapely.geometry import mapping

from onegrid.territory import layerio, layers

from .conftest import screenshot


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
    page.wait_for_timeout(300)
    after_left, after_right = centre("map-before"), centre("map-after")
    assert after_right != before  # the right map moved with the left one
    assert abs(after_left[0] - after_right[0]) < 1e-6 and abs(after_left[1] - after_right[1]) < 1e-6
    assert page.locator("#changes tr[data-beat]").count() == 2
    screenshot(page, "layers-fuse")
