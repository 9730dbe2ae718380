"""Checking a layer — the current one or a file — with its codes and its geometry judged apart.

The use case behind `onegrid layers check` and the console's check page. A file's feature with
a bad code (missing, malformed, duplicated), a bad parent or a bad figure still covers its
ground: its geometry goes through the coverage check (territory.coverage) with every other
feature, so it is never reported as a gap, while its code problem is reported beside the
geometry problems, once. Only a feature whose geometry cannot be read at all is left out of the
geometry checks (it is named, and counted in `left_out`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from . import coverage, layerio, selectors
from .coverage import Issue, SliverRule, Unit
from .district import current_outline
from .layerio import FeatureProblem, LayerFile

# The layer a level's units must nest in (their parent), where one is kept.
PARENT_LEVEL = {"grid": "community", "community": "street"}
_CODE_FIELDS = {"code", "parent_code"}
CURRENT: object = object()  # `outline` not given: the installation's home district's
_GEOMETRY_FIELDS = {"geometry", "crs"}


@dataclass
class CheckResult:
    level: str
    units: int  # units whose geometry was checked
    issues: list[Issue]  # geometry and code problems, sorted by kind
    left_out: int = 0  # features of the file whose geometry could not be read

    @property
    def ok(self) -> bool:
        return not self.issues

    def geojson(self) -> dict:
        """Every problem as GeoJSON (code problems at their feature's point, when known)."""
        return coverage.to_geojson(self.issues)


def check_layer(
    *,
    level: str,
    layer: LayerFile | None = None,
    grids: LayerFile | None = None,
    slivers: SliverRule = coverage.DEFAULT_SLIVERS,
    outline: BaseGeometry | None | object = CURRENT,
    district_code: str = "",
) -> CheckResult:
    """Check one layer: the current `level` layer, or the `layer` read from a file.

    Grids are checked against the current communities, communities against the current
    streets, every level against `outline`: the outline of the district the layer belongs to
    (WGS-84; None: no outline, gaps are judged between units only), by default the
    installation's home district's. A beat layer is also checked against the grids (each grid
    inside one beat): the current grid layer, or `grids` read from a file. In a city,
    `district_code` (12 or 6 digits) narrows the current layers to that district's units (by
    code; a beat by its street's code), so one district is checked against its own outline.
    """
    if outline is CURRENT:
        outline = current_outline()
    if outline is not None and not isinstance(outline, BaseGeometry):
        raise TypeError("outline must be a Shapely geometry or None")
    issues: list[Issue] = []
    left_out = 0
    if layer is not None:
        units = _units(layer)
        issues += _problem_issues(layer)
        left_out = _left_out(layer)
    else:
        units = of_district(selectors.live_units(level), level, district_code)
    parents: list[Unit] = []
    if level in PARENT_LEVEL:
        parent_level = PARENT_LEVEL[level]
        parents = of_district(selectors.live_units(parent_level), parent_level, district_code)
    if units:
        found = coverage.check_layer(
            units, outline=outline, parents=parents, level=level, slivers=slivers
        )
        # A code a file problem names already is not named twice.
        named = {i.codes for i in issues if i.kind == "bad_code"}
        issues += [i for i in found if not (i.kind == "bad_code" and i.codes in named)]
    if level == "beat":
        if grids is not None:
            grid_units = _units(grids)
            issues += _problem_issues(grids, prefix=_("Grid file"))
            left_out += _left_out(grids)
        else:
            grid_units = of_district(selectors.live_units("grid"), "grid", district_code)
        if units and grid_units:
            issues += coverage.check_beats(grid_units, units)
    return CheckResult(level, len(units), coverage.sort_issues(issues), left_out)


def of_district(units: list[Unit], level: str, district_code: str) -> list[Unit]:
    """The units of one district of a city (all of them when `district_code` is empty)."""
    if not district_code:
        return units
    prefix = district_code[:6]
    if level == "beat":  # a beat's code is the police's own: its street says where it is
        return [u for u in units if u.parent_code.startswith(prefix)]
    return [u for u in units if u.code.startswith(prefix)]


def _units(layer: LayerFile) -> list[Unit]:
    return [
        Unit(f.code, f.geometry, f.parent_code, f.population, f.households) for f in layer.covering
    ]


def _left_out(layer: LayerFile) -> int:
    covering = {f.index for f in layer.covering}
    return len({p.index for p in layer.problems if p.index is not None} - covering)


def _problem_issues(layer: LayerFile, prefix: str = "") -> list[Issue]:
    """The file's own problems as issues, located at their feature when its geometry is known.

    A part outside the district is left to the coverage check, which measures it ("outside").
    """
    where = {f.index: f.geometry.point_on_surface() for f in layer.covering}
    out = []
    for p in layer.problems:
        if p.problem == layerio.OUTSIDE_DISTRICT:
            continue
        point = where.get(p.index)
        lon, lat = (point.x, point.y) if point is not None else (math.nan, math.nan)
        message = f"{prefix}: {p.message}" if prefix else p.message
        out.append(Issue(_kind(p), (p.code,), 0.0, lon, lat, None, message))
    return out


def _kind(problem: FeatureProblem) -> str:
    if problem.index is None:
        return "unreadable"
    if problem.field in _CODE_FIELDS:
        return "bad_code"
    if problem.field in _GEOMETRY_FIELDS:
        return "invalid_geometry"
    return "bad_attribute"
