"""A street or community layer imported (bulk writes: no model signals) reaches the per-process
caches of the units at once: the intake's units (a report's answer names its street) and the
people's role bindings are versioned by the "access" counter, which the import bumps."""

from __future__ import annotations

import shapely

from onegrid.cases import intake_cache
from onegrid.territory import layers
from onegrid.territory.layerio import LayerFeature, LayerFile
from onegrid.territory.models import Grid


def test_a_renamed_street_is_read_by_the_cached_units_at_once(world):
    street = world.street
    assert intake_cache.units(street.pk)[0].name == street.name  # cached now
    geometry = shapely.union_all(
        [shapely.from_wkb(bytes(g.geometry_wkb)) for g in Grid.objects.filter(street=street)]
    )
    layer = LayerFile(
        level="street",
        crs="wgs84",
        features=[
            LayerFeature(1, street.code, "新名街道", world.district.code, geometry, 0, 0, {})
        ],
    )
    report = layers.import_layer(layer=layer)
    assert not report.refused, report.problems
    assert intake_cache.units(street.pk)[0].name == "新名街道"
