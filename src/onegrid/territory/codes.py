"""Codes of the territory (DOMAIN.md §2) and the order serials run in.

Admin codes have 12 digits: 6 (county, GB/T 2260) + 3 (street/town) + 3 (community); a street's
code ends in 000. A grid's code is its community's code + a 3-digit serial. Serials run in
reading order: rows north→south, then west→east within a row, where a row is a band of the
parent as tall as the side of an average unit. Retired codes are never given out again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

MAX_SERIAL = 999


def reading_order(geoms: Sequence[BaseGeometry], parent_area: float, parent_maxy: float) -> list:
    """Indices of planar `geoms` in reading order (rows north→south, west→east in a row)."""
    if not geoms:
        return []
    pts = shapely.get_coordinates(shapely.point_on_surface(np.array(geoms, dtype=object)))
    band = math.sqrt(parent_area / max(len(geoms), 1)) or 1.0
    rows = np.floor((parent_maxy - pts[:, 1]) / band)
    return sorted(range(len(geoms)), key=lambda i: (rows[i], pts[i, 0], -pts[i, 1]))


def reading_order_lonlat(geoms: Sequence[BaseGeometry]) -> list[int]:
    """`reading_order` of sibling units in WGS-84: the rule the layer check holds serials to.

    The band height is √(A ÷ n) in the plain lon/lat plane (degrees), A the siblings' total area
    and n their number, measured down from their northern edge.
    """
    if not geoms:
        return []
    arr = np.array(geoms, dtype=object)
    area = float(shapely.area(arr).sum())
    maxy = float(shapely.bounds(arr)[:, 3].max())
    return reading_order(list(arr), area, maxy)


def is_grid_code(code: str) -> bool:
    return len(code) == 15 and code.isdigit() and code[9:12] != "000"


def is_street_code(code: str) -> bool:
    return len(code) == 12 and code.isdigit() and code.endswith("000") and code[6:9] != "000"


def is_community_code(code: str) -> bool:
    return len(code) == 12 and code.isdigit() and code[9:] != "000" and code[6:9] != "000"


def new_grid_codes(
    community_code: str, geoms: Sequence[BaseGeometry], *, used: Iterable[str]
) -> list[str]:
    """Codes for new (or split) grids of one community, in reading order of `geoms`.

    New serials follow the highest serial the community ever used, so no code that was ever
    given out — retired ones included — is given out again.
    """
    if not is_community_code(community_code):
        raise ValueError(_("%(code)s is not a community code.") % {"code": community_code})
    highest = max(
        (int(c[12:]) for c in used if c.startswith(community_code) and is_grid_code(c)),
        default=0,
    )
    if highest + len(geoms) > MAX_SERIAL:
        raise ValueError(
            _("Community %(code)s has no grid serials left (999 used).") % {"code": community_code}
        )
    codes = [""] * len(geoms)
    for serial, index in enumerate(reading_order_lonlat(geoms), highest + 1):
        codes[index] = f"{community_code}{serial:03d}"
    return codes
