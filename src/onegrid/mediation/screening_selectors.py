"""Reads of the monthly screenings: the grids a grid worker or grid head screens, with which
months are still unscreened; a grid's recent screenings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import Grid

from . import screening as screening_rules
from .models import Screening


@dataclass(frozen=True)
class GridMonth:
    grid: Grid
    month: dt.date
    screening: Screening | None

    @property
    def done(self) -> bool:
        return self.screening is not None


def my_grids(user: User, now: dt.datetime | None = None) -> list[GridMonth]:
    """Each of the user's screening grids for each open month (the previous month only while
    it is open and unscreened), the unscreened first."""
    grid_ids = policies.screening_grid_ids(user)
    if not grid_ids:
        return []
    months = screening_rules.open_months(now)
    grids = list(Grid.objects.filter(pk__in=grid_ids).order_by("code"))
    done = {
        (s.grid_id, s.month): s
        for s in Screening.objects.filter(grid_id__in=grid_ids, month__in=months)
    }
    rows = []
    current = months[-1]
    for grid in grids:
        for month in months:
            found = done.get((grid.pk, month))
            if month != current and found is None:
                rows.append(GridMonth(grid, month, None))
            elif month == current:
                rows.append(GridMonth(grid, month, found))
    return sorted(rows, key=lambda r: (r.done, r.month, r.grid.code))


def recent(user: User, *, limit: int = 24) -> list[Screening]:
    """The latest screenings of the user's grids."""
    grid_ids = policies.screening_grid_ids(user)
    return list(
        Screening.objects.filter(grid_id__in=grid_ids)
        .select_related("grid", "screened_by")
        .order_by("-month", "grid__code")[:limit]
    )
