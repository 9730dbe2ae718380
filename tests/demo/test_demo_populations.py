"""The demo records its grids' residents, so that the figures per 10,000 residents (the
governance page's disputes per 10,000, the hotspots' rates) have a value instead of "—"."""

from __future__ import annotations

from onegrid.demo.populations import record_grid_populations
from onegrid.territory.models import Grid


def test_every_grid_gets_residents_once_and_a_recorded_population_stays(world):
    kept = world.grids[0]
    Grid.objects.filter(pk=kept.pk).update(population=12345, households=5000)
    assert record_grid_populations() == len(world.grids) - 1
    grids = {g.pk: g for g in Grid.objects.all()}
    assert grids[kept.pk].population == 12345 and grids[kept.pk].households == 5000
    for grid in grids.values():
        if grid.pk != kept.pk:
            assert 400 <= grid.population <= 1000
            assert grid.households == round(grid.population / 2.5)
    # The same numbers every run; nothing to do the second time.
    first = {pk: g.population for pk, g in grids.items()}
    assert record_grid_populations() == 0
    Grid.objects.exclude(pk=kept.pk).update(population=None, households=None)
    record_grid_populations()
    assert {g.pk: g.population for g in Grid.objects.all()} == first
