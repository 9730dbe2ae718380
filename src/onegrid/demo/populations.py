"""The residents of the demo's grids (Grid.population, Grid.households), as a district records
them from its census and the grid workers' household visits.

Without them every figure "per 10,000 residents" is "—" (the governance page's disputes per
10,000 residents, the hotspots' rates). Each grid gets a number drawn from its own code (the
same every run: 400–1,000 residents, about 2.5 to a household; some 900,000 in the district,
Beichen's size); a grid that already has a population (recorded by the district) keeps it.
"""

from __future__ import annotations

import random

from django.db import transaction

from onegrid.territory.models import Grid

PEOPLE_PER_HOUSEHOLD = 2.5


@transaction.atomic
def record_grid_populations() -> int:
    """Give every current grid with no population one; returns how many were given."""
    missing = list(Grid.objects.filter(population__isnull=True).only("pk", "code"))
    for grid in missing:
        population = random.Random(f"population-{grid.code}").randint(400, 1000)
        grid.population = population
        grid.households = round(population / PEOPLE_PER_HOUSEHOLD)
    Grid.objects.bulk_update(missing, ["population", "households"], batch_size=500)
    return len(missing)
