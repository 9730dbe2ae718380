"""Codes for new and split grids in a layer file (DOMAIN.md §2: community code + 3-digit serial).

A GIS officer draws new grids, or splits one, in a desktop GIS: a new grid has no code, and the
pieces of a split grid usually all keep the old one. `assign_codes` gives each such grid the
next serials of its community in reading order (north→south, west→east), after the highest
serial the community ever used, so no code ever given out — retired ones included — comes back.
`renumber` re-generates the codes of whole communities the same way (e.g. after several splits
left the serials out of reading order). The file's other grids keep their codes.

A grid's community is the one the file names (`parent_code`), else the one its code starts
with, else the live community its polygon overlaps most. The result is a layer that imports as
it is (`onegrid layers import --replace` retires the split grids' old codes).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import shapely
from django.utils.translation import gettext as _

from onegrid.core.errors import InvalidInput

from . import codes as code_rules
from .layerio import BAD_PARENT, FeatureProblem, LayerFeature, LayerFile, feature_label
from .models import AdminUnit, Grid

NEW = "new"
SPLIT = "split"
RENUMBERED = "renumbered"
NO_COMMUNITY = "no_community"
NO_SERIALS = "no_serials"


def reason_label(reason: str) -> str:
    return {NEW: _("new grid"), SPLIT: _("split grid"), RENUMBERED: _("renumbered")}.get(
        reason, reason
    )


@dataclass(frozen=True)
class CodeChange:
    index: int  # the feature's number in the file
    old_code: str  # "" for a new grid
    code: str
    community_code: str
    reason: str  # NEW | SPLIT | RENUMBERED


@dataclass
class CodingResult:
    features: list[LayerFeature]  # every valid feature of the file, each with its code
    changes: list[CodeChange] = field(default_factory=list)
    problems: list[FeatureProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def retired_codes(self) -> list[str]:
        """The codes the change gives up: a split grid's, a renumbered grid's old one."""
        return sorted({c.old_code for c in self.changes if c.old_code})

    def counts(self) -> dict[str, int]:
        found = Counter(c.reason for c in self.changes)
        return {reason: found.get(reason, 0) for reason in (NEW, SPLIT, RENUMBERED)}


def _communities() -> dict[str, shapely.Geometry | None]:
    """Every community's code, with its boundary where one is loaded."""
    rows = AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNITY).values_list(
        "code", "geometry_wkb"
    )
    return {code: shapely.from_wkb(bytes(wkb)) if wkb else None for code, wkb in rows}


def _overlapping_community(geom, codes: list[str], tree: shapely.STRtree, shapes) -> str:
    best, best_area = "", 0.0
    for i in tree.query(geom, predicate="intersects"):
        # Degrees² compare fairly between neighbours a few kilometres apart.
        area = shapely.area(shapely.intersection(geom, shapes[i]))
        if area > best_area:
            best, best_area = codes[i], area
    return best


def _renumber_set(renumber: Iterable[str], known: set[str]) -> set[str]:
    wanted = set()
    for raw in renumber:
        code = str(raw).strip()
        if not code:
            continue
        if not code_rules.is_community_code(code) or code not in known:
            raise InvalidInput(
                _("No community has the code %(code)s.") % {"code": code}, field="renumber"
            )
        wanted.add(code)
    return wanted


def assign_codes(layer: LayerFile, *, renumber: Iterable[str] = ()) -> CodingResult:
    """Give codes to the grids of `layer` (read with `codeless=True`) that need one.

    Raises InvalidInput(field="renumber") for a `renumber` entry that is no community's code.
    Every other trouble is a problem of its feature; such a feature is left out of `features`.
    """
    if layer.level != "grid":
        raise InvalidInput(_("Only grids are given codes from a file."), field="level")
    communities = _communities()
    renumber = _renumber_set(renumber, set(communities))
    result = CodingResult(features=[], problems=list(layer.problems))
    codes = [c for c, shape in communities.items() if shape is not None]
    shapes = [communities[c] for c in codes]
    tree = shapely.STRtree(shapes)
    no_community = (
        _("the grid lies in no community.")
        if codes
        else _("the file names no community for it, and no community boundary is loaded.")
    )
    shared = Counter(f.code for f in layer.features if f.code)

    community_of: dict[int, str] = {}
    for f in layer.features:
        community = f.parent_code or (f.code[:12] if f.code else "")
        if not community:
            community = _overlapping_community(f.geometry, codes, tree, shapes)
            if not community:
                result.problems.append(_problem(f, "geometry", NO_COMMUNITY, no_community))
                continue
        elif community not in communities:
            result.problems.append(
                _problem(
                    f,
                    "parent_code",
                    BAD_PARENT,
                    _("no community has the code %(code)s.") % {"code": community},
                )
            )
            continue
        community_of[f.index] = community

    valid = [f for f in layer.features if f.index in community_of]
    reasons: dict[int, str] = {}
    for f in valid:
        if community_of[f.index] in renumber:
            reasons[f.index] = RENUMBERED
        elif not f.code:
            reasons[f.index] = NEW
        elif shared[f.code] > 1:
            reasons[f.index] = SPLIT
    kept = {f.code for f in valid if f.index not in reasons}

    to_code: dict[str, list[LayerFeature]] = defaultdict(list)
    for f in valid:
        if f.index in reasons:
            to_code[community_of[f.index]].append(f)
    given: dict[int, str] = {}
    for community, pieces in sorted(to_code.items()):
        used = set(
            Grid.all_objects.filter(code__startswith=community).values_list("code", flat=True)
        )
        used |= {c for c in kept if c.startswith(community)}
        used |= {f.code for f in pieces if f.code}  # a renumbered grid's old code is spent too
        try:
            new = code_rules.new_grid_codes(community, [f.geometry for f in pieces], used=used)
        except ValueError as error:
            for f in pieces:
                result.problems.append(_problem(f, "code", NO_SERIALS, str(error)))
            continue
        for f, code in zip(pieces, new, strict=True):
            given[f.index] = code
            result.changes.append(CodeChange(f.index, f.code, code, community, reasons[f.index]))

    for f in valid:
        if f.index in reasons and f.index not in given:
            continue
        code = given.get(f.index, f.code)
        result.features.append(dataclasses.replace(f, code=code, parent_code=community_of[f.index]))
    result.changes.sort(key=lambda c: c.index)
    result.problems.sort(key=lambda p: (p.index is not None, p.index or 0))
    return result


def _problem(f: LayerFeature, field_name: str, problem: str, text: str) -> FeatureProblem:
    message = f"{feature_label(f.index, f.code)}: {text}"
    return FeatureProblem(f.index, f.code, field_name, problem, message)
