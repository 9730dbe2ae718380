"""Writes to the territory: the layer version, and deleting a district (`load_district --replace`).

Every function here is one use case in one transaction, and every change to grids bumps the
layer version in that same transaction, so each process's locator and GeoJSON cache see either
the whole change or none of it. Layer files (grids, beats, streets, communities) are written
through one path, territory.layers; a real district starts with territory.district.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import Conflict
from onegrid.territory.models import AdminUnit, Grid, LayerState
from onegrid.territory.selectors import GRID_LAYER


def bump_layer_version(name: str = GRID_LAYER) -> int:
    """Increment a layer's version (creating its row if missing) and return the new version.

    F() makes the increment atomic in the database, so two processes bumping at once both count.
    """
    with transaction.atomic():
        LayerState.objects.get_or_create(name=name)
        # .update() skips auto_now, and the locator keys its cache on (version, updated_at).
        LayerState.objects.filter(name=name).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        return LayerState.objects.get(name=name).version


def delete_district(*, district_code: str) -> dict:
    """Delete a district's grids, communities, streets and the district itself (not its city).

    Refuses with Conflict, changing nothing, when anything (a case, a role) still refers to them.
    """
    with transaction.atomic():
        district = AdminUnit.objects.filter(code=district_code).first()
        if district is None:
            return {"grids": 0, "units": 0}
        streets = AdminUnit.objects.filter(parent=district)
        communities = AdminUnit.objects.filter(parent__in=streets)
        try:
            n_grids, _detail = Grid.all_objects.filter(street__in=streets).delete()
            n_comm, _detail = communities.delete()
            n_streets, _detail = streets.delete()
            district.delete()
        except ProtectedError:
            raise Conflict(
                _(
                    "The district's grids or units are still referred to (cases, roles); "
                    "they cannot be deleted."
                ),
                field="district",
            ) from None
        bump_layer_version()
    return {"grids": n_grids, "units": n_comm + n_streets + 1}
