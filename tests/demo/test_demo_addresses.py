"""The demo's standard addresses: deterministic, realistic, each located to the grid it was made
for, loaded once through the address import."""

from __future__ import annotations

from collections import Counter

import pytest

from onegrid.demo.addresses import demo_grids, load_demo_addresses, plan_addresses
from onegrid.territory import locator
from onegrid.territory.models import Address, Grid


@pytest.fixture
def district(beichen, db):
    locator.invalidate()
    yield
    locator.invalidate()


def test_plan_is_deterministic_with_unique_codes(district):
    grids = demo_grids()
    rows = plan_addresses(grids)
    again = plan_addresses(grids)
    other = plan_addresses(grids, seed=1)
    assert [(r.code, r.name, r.lon, r.lat) for r in rows] == [
        (r.code, r.name, r.lon, r.lat) for r in again
    ]
    assert [(r.lon, r.lat) for r in rows] != [(r.lon, r.lat) for r in other]
    assert 3000 <= len(rows) <= 12000
    assert len({r.code for r in rows}) == len(rows)
    assert all(len(r.code) <= 40 and len(r.name) <= 200 for r in rows)
    # Every grid has addresses; compounds have buildings, units and rooms.
    assert {r.code[:15] for r in rows} == {g[0] for g in grids}
    compound = [r for r in rows if "号楼" in r.name]
    assert compound and all(r.building and r.unit and r.room for r in compound)
    assert any(r.name.endswith("号") and "村" in r.name for r in rows)


def test_loaded_addresses_locate_to_the_grid_they_were_made_for(district):
    added = load_demo_addresses()
    assert added == Address.objects.count() >= 3000
    assert load_demo_addresses() == 0  # once
    grid_codes = dict(Grid.objects.values_list("id", "code"))
    rows = list(Address.objects.values_list("code", "grid_id", "beat_id", "lon", "lat"))
    located = locator.locator.locate_many([r[3] for r in rows], [r[4] for r in rows])
    wrong = [
        code
        for (code, grid_id, _beat, _lon, _lat), found in zip(rows, located, strict=True)
        if grid_codes.get(grid_id) != code[:15] or found is None or found.grid_code != code[:15]
    ]
    assert not wrong, wrong[:10]
    per_grid = Counter(code[:15] for code, *_rest in rows)
    assert set(per_grid) == set(grid_codes.values())
