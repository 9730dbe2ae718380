"""The measures of 自治 and 法治 (/console/governance/, /api/v1/insight/governance): one place
(the district, a street, a community or a grid) and a period (insight.periods), its own row
first and one row per street, community or grid below it, in five tables:

* mediation, stability (法治): insight.rule_of_law;
* deliberation, topics, decisions (自治): insight.self_governance;

and, under stability, the place's screening coverage month by month. Each figure carries its
formula (FigureDef.formula), shown on the page, in the API and beside the downloads.

Who reads what: org.policies.governance_reach per section (mediation; stability; deliberation
with its topics and decisions tables). A reader sees the tables of the sections they read at
the place chosen; a place where they read none is refused (PermissionDenied). Counts only: no
dispute's content, no party, no name, so no small-cell rule is needed — no table breaks a place
down by kind of dispute or by person, and the grid is the smallest cell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.core import clock
from onegrid.core.errors import PermissionDenied
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit, Grid

from . import rule_of_law, selectors, self_governance
from .governance_figures import Cell, FigureDef
from .measures import Scope
from .periods import TZ, Period

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KINDS = ("district", "street", "community", "grid")
CHILD = {"district": "street", "street": "community", "community": "grid"}
SECTIONS = policies.GOVERNANCE_SECTIONS
# The tables, in the page's order: key → (section, heading).
GROUPS: dict[str, tuple[str, StrOrPromise]] = {
    "mediation": ("mediation", gettext_lazy("People's mediation (人民调解)")),
    "stability": ("stability", gettext_lazy("Screening and risks (矛盾纠纷排查, 不稳定因素)")),
    "deliberation": ("deliberation", gettext_lazy("Resident deliberation (议事协商)")),
    "topics": ("deliberation", gettext_lazy("Topics by state")),
    "decisions": ("deliberation", gettext_lazy("Decisions carried out (决议落实)")),
}
FIGURES: tuple[FigureDef, ...] = rule_of_law.FIGURES + self_governance.FIGURES
BY_KEY = {f.key: f for f in FIGURES}


@dataclass
class Row:
    kind: str
    pk: int | None
    code: str
    name: str
    total: bool
    cells: dict[str, Cell] = field(default_factory=dict)

    def as_dict(self, keys: list[str]) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "total": self.total,
            "figures": {k: self.cells[k].as_dict() for k in keys},
        }


@dataclass
class Governance:
    period: Period
    scope: Scope
    as_of: dt.datetime  # the end of the period, or now while it runs
    child_kind: str | None
    sections: tuple[str, ...]  # the sections the reader reads here
    rows: list[Row]  # the scope's own row (total) first, then its parts
    months: list[rule_of_law.MonthRow] | None  # None: stability not read here

    @property
    def groups(self) -> list[str]:
        return [g for g, (section, _label) in GROUPS.items() if section in self.sections]

    def figures(self, group: str) -> list[FigureDef]:
        return [f for f in FIGURES if f.group == group]

    @property
    def keys(self) -> list[str]:
        return [f.key for g in self.groups for f in self.figures(g)]


# --- who reads what ------------------------------------------------------------------------


def refused() -> PermissionDenied:
    return PermissionDenied(_("You may not read these figures."), field="scope")


def _place(kind: str, pk: int | None) -> policies.Place | None:
    if kind == "district" or pk is None:
        return None
    if kind == "street":
        return policies.Place(None, None, pk)
    if kind == "community":
        parent = AdminUnit.objects.filter(pk=pk).values_list("parent_id", flat=True).first()
        return policies.Place(None, pk, parent)
    grid = Grid.all_objects.filter(pk=pk).values("community_id", "street_id").first()
    if grid is None:
        return None
    return policies.Place(pk, grid["community_id"], grid["street_id"])


def readable_sections(actor: User, scope: Scope) -> tuple[str, ...]:
    """The sections `actor` reads at `scope`'s place (none: the place is out of reach)."""
    if scope.kind not in KINDS or (scope.kind != "district" and scope.pk is None):
        return ()
    place = _place(scope.kind, scope.pk)
    if scope.kind != "district" and place is None:
        return ()
    return tuple(s for s in SECTIONS if policies.may_read_governance(actor, section=s, place=place))


def visible_scopes(actor: User) -> list[Scope]:
    """The places `actor` reads any figure of, broadest first: the district and its streets
    (district-wide readers), else their streets, their communities, their grids."""
    reaches = [policies.governance_reach(actor, s) for s in SECTIONS]
    if any(r.district_wide for r in reaches):
        streets = AdminUnit.objects.filter(level="street").order_by("code")
        return [Scope("district"), *(_unit_scope(u) for u in streets)]
    street_ids = set().union(*(r.street_ids for r in reaches))
    community_ids = set().union(*(r.community_ids for r in reaches))
    grid_ids = set().union(*(r.grid_ids for r in reaches))
    scopes = [
        _unit_scope(u)
        for u in AdminUnit.objects.filter(pk__in=street_ids, level="street").order_by("code")
    ]
    scopes += [
        _unit_scope(u)
        for u in AdminUnit.objects.filter(pk__in=community_ids, level="community").order_by("code")
    ]
    scopes += [
        Scope("grid", g.code, g.name, g.pk)
        for g in Grid.objects.filter(pk__in=grid_ids).order_by("code")
    ]
    return scopes


def _unit_scope(unit: AdminUnit) -> Scope:
    return Scope(unit.level, unit.code, unit.name, unit.pk)


def resolve_scope(actor: User, *, kind: str | None = None, code: str | None = None) -> Scope:
    """The place of `kind` (KINDS) and `code` if `actor` reads any figure of it; no kind: the
    actor's broadest place. InvalidInput names the field (scope, code); PermissionDenied: out of
    reach."""
    if not kind:
        scopes = visible_scopes(actor)
        if not scopes:
            raise refused()
        return scopes[0]
    scope = selectors.place_scope(kind, code, kinds=KINDS)
    if not readable_sections(actor, scope):
        raise refused()
    return scope


# --- the tables ------------------------------------------------------------------------------


def governance(actor: User, *, period: Period, scope: Scope) -> Governance:
    """The figures of `scope` and its parts for `period`, in the sections `actor` reads there.
    Refuses (PermissionDenied) a place where the actor reads none."""
    sections = readable_sections(actor, scope)
    if not sections:
        raise refused()
    now = clock.now()
    as_of = min(period.end, now)
    today = now.astimezone(TZ).date()
    child_kind = CHILD.get(scope.kind)
    total = _own_row(scope)
    children = _children(scope, child_kind) if child_kind else []
    for rows, group in (([total], None), (children, child_kind)):
        if not rows:
            continue
        keys: list[int | None] = [None] if group is None else [row.pk for row in rows]
        tables = []
        if "mediation" in sections:
            tables.append(rule_of_law.mediation(scope, group, period, keys))
        if "stability" in sections:
            tables.append(rule_of_law.stability(scope, group, period, as_of, keys))
        if "deliberation" in sections:
            tables.append(self_governance.deliberation(scope, group, period, as_of, today, keys))
        for row, key in zip(rows, keys, strict=True):
            for table in tables:
                row.cells.update(table[key])
            rule_of_law.add_rates(row.cells)
            self_governance.add_rates(row.cells)
    months = rule_of_law.screening_months(scope, period) if "stability" in sections else None
    return Governance(period, scope, as_of, child_kind, sections, [total, *children], months)


def _own_row(scope: Scope) -> Row:
    if scope.kind == "district":
        district = AdminUnit.objects.filter(level="district").order_by("code").first()
        return Row(
            "district",
            district.pk if district else None,
            district.code if district else "",
            district.name if district else str(scope),
            True,
        )
    return Row(scope.kind, scope.pk, scope.code, scope.name, True)


def _children(scope: Scope, kind: str) -> list[Row]:
    if kind == "grid":
        grids = Grid.objects.filter(community_id=scope.pk).order_by("code")
        return [Row("grid", g.pk, g.code, g.name, False) for g in grids]
    units = AdminUnit.objects.filter(level=kind).order_by("code")
    if scope.kind != "district":
        units = units.filter(parent_id=scope.pk)
    return [Row(kind, u.pk, u.code, u.name, False) for u in units]
