"""Participation measures (多元参与): who besides the grid team takes part, per street, community
and grid, for a period.

For a place and a period (insight.periods), each figure with its formula (FIGURES):

* reports made in the place by Party members (the reporter's account is a party.Member's), by
  registered volunteers (a volunteers.Volunteer's account) and by the grid teams' volunteers
  (the role "volunteer" on a grid), beside every report made there. The groups overlap: a
  Party member who is also a volunteer counts in both.
* claims on the items of the place's communities' lists, made (not withdrawn) and confirmed,
  by Party members, units' Party organisations, co-building units and volunteer
  organisations; claims belong to a community, so a grid has none.
* confirmed hours: volunteers' hours on activities (split: Party members, other volunteers)
  and the service hours of confirmed claims by units (units' Party organisations, co-building
  units and volunteer organisations); members' own claims add to the Party members' hours.
* 双报到 coverage as at the end of the period (or now, while it runs): units' Party
  organisations standing in the place with a confirmed report-in to that community ÷ units'
  Party organisations standing there; employed (in-service) members living there, with an
  open membership, reported in to their home community ÷ those members.
* whistle response per street and department (吹哨报到), from
  insight.whistles.department_whistle_figures (a district or a street; communities and grids
  do not whistle).

Aggregates only, but a count of Party members can still point at a person where few stand
behind it (Party membership is sensitive personal data, PIPL art. 28). The small-cell rule:
for a reader who may not read Party membership at the row's place
(org.policies.may_read_party_membership; a grid's place is its community), a figure about
Party members is withheld when 1 or 2 members stand behind it (SMALL_CELL); and where exactly
one row of a table is withheld in a column, the smallest other row of that column is withheld
too, so that the withheld one cannot be worked out from the total. Zero is shown: it points at
no one.

Who reads which places: org.policies.participation_reach / may_read_participation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.core.errors import PermissionDenied
from onegrid.org import policies
from onegrid.org.models import Department, Role, RoleAssignment, User
from onegrid.party.models import Member, Membership, Organisation, ReportIn
from onegrid.territory.models import AdminUnit, Grid
from onegrid.volunteers.models import Claim
from onegrid.volunteers.models.activities import SignUp

from . import selectors
from .measures import Scope, rate
from .periods import TZ, Period
from .whistles import department_whistle_figures

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Fewer Party members than this behind a figure and it is withheld from readers who may not
# read Party membership there (1 and 2 are withheld, 0 is shown).
SMALL_CELL = 3
WITHHELD = "*"
KINDS = ("district", "street", "community", "grid")
CHILD = {"district": "street", "street": "community", "community": "grid"}


@dataclass(frozen=True)
class FigureDef:
    key: str
    group: str
    label: StrOrPromise
    formula: StrOrPromise
    about_members: bool = False  # a figure about Party members: the small-cell rule applies
    is_rate: bool = False
    is_hours: bool = False
    levels: tuple[str, ...] = ("street", "community", "grid")  # where it is measured

    @property
    def label_text(self) -> str:
        return str(self.label)


_COMMUNITY_UP = ("street", "community")
GROUPS: dict[str, StrOrPromise] = {
    "reports": gettext_lazy("Reports"),
    "claims": gettext_lazy("Claims on the lists"),
    "hours": gettext_lazy("Confirmed hours"),
    "coverage": gettext_lazy("双报到 coverage"),
}
FIGURES: tuple[FigureDef, ...] = (
    FigureDef(
        "reports",
        "reports",
        gettext_lazy("All reports"),
        gettext_lazy("Reports made in the period located in the place, by anyone."),
    ),
    FigureDef(
        "reports_members",
        "reports",
        gettext_lazy("by Party members"),
        gettext_lazy(
            "Reports made in the period located in the place whose reporter's account is a "
            "Party member's."
        ),
        about_members=True,
    ),
    FigureDef(
        "reports_volunteers",
        "reports",
        gettext_lazy("by registered volunteers"),
        gettext_lazy(
            "Reports made in the period located in the place whose reporter is a registered "
            "volunteer."
        ),
    ),
    FigureDef(
        "reports_team_volunteers",
        "reports",
        gettext_lazy("by grid-team volunteers"),
        gettext_lazy(
            "Reports made in the period located in the place whose reporter holds a volunteer's "
            "place on a grid team (the N of 1+3+N)."
        ),
    ),
    FigureDef(
        "claims_members",
        "claims",
        gettext_lazy("by Party members: made"),
        gettext_lazy(
            "Claims made in the period by Party members on items of the place's communities' "
            "lists, not withdrawn."
        ),
        about_members=True,
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "claims_members_confirmed",
        "claims",
        gettext_lazy("by Party members: confirmed"),
        gettext_lazy(
            "Claims by Party members whose service the community confirmed in the period."
        ),
        about_members=True,
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "claims_units",
        "claims",
        gettext_lazy("by units: made"),
        gettext_lazy(
            "Claims made in the period by units' Party organisations on items of the place's "
            "communities' lists, not withdrawn."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "claims_units_confirmed",
        "claims",
        gettext_lazy("by units: confirmed"),
        gettext_lazy(
            "Claims by units' Party organisations whose service the community confirmed in the "
            "period."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "claims_partners",
        "claims",
        gettext_lazy("by co-building units: made"),
        gettext_lazy(
            "Claims made in the period by co-building units on items of the place's "
            "communities' lists, not withdrawn."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "claims_partners_confirmed",
        "claims",
        gettext_lazy("by co-building units: confirmed"),
        gettext_lazy(
            "Claims by co-building units whose service the community confirmed in the period."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "claims_volunteer_orgs",
        "claims",
        gettext_lazy("by volunteer organisations: made"),
        gettext_lazy(
            "Claims made in the period by volunteer organisations on items of the place's "
            "communities' lists, not withdrawn."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "claims_volunteer_orgs_confirmed",
        "claims",
        gettext_lazy("by volunteer organisations: confirmed"),
        gettext_lazy(
            "Claims by volunteer organisations whose service the community confirmed in the period."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "hours_members",
        "hours",
        gettext_lazy("Party members"),
        gettext_lazy(
            "Hours confirmed in the period of volunteers who are Party members, on activities of "
            "the place's communities, plus the service hours of Party members' claims confirmed "
            "in the period."
        ),
        about_members=True,
        is_hours=True,
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "hours_volunteers",
        "hours",
        gettext_lazy("other volunteers"),
        gettext_lazy(
            "Hours confirmed in the period of volunteers who are not Party members, on "
            "activities of the place's communities."
        ),
        is_hours=True,
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "hours_units",
        "hours",
        gettext_lazy("units and organisations"),
        gettext_lazy(
            "Service hours of claims confirmed in the period by units' Party organisations, "
            "co-building units and volunteer organisations on items of the place's communities' "
            "lists."
        ),
        is_hours=True,
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "unit_orgs",
        "coverage",
        gettext_lazy("Units' Party organisations"),
        gettext_lazy(
            "Units' Party organisations standing in the place's communities at the end of the "
            "period (founded before it, not dissolved)."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "units_reported_in",
        "coverage",
        gettext_lazy("units reported in"),
        gettext_lazy(
            "Of those, the organisations with a confirmed report-in to the community where they "
            "stand at the end of the period."
        ),
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "unit_coverage",
        "coverage",
        gettext_lazy("Unit coverage"),
        gettext_lazy(
            "Units' Party organisations reported in ÷ units' Party organisations standing in "
            "the place, at the end of the period."
        ),
        is_rate=True,
        levels=_COMMUNITY_UP,
    ),
    FigureDef(
        "employed_members",
        "coverage",
        gettext_lazy("Employed members living there"),
        gettext_lazy(
            "Party members in service (employed) whose home is in the place and whose membership "
            "is open at the end of the period."
        ),
        about_members=True,
    ),
    FigureDef(
        "members_reported_in",
        "coverage",
        gettext_lazy("members reported in"),
        gettext_lazy(
            "Of those, the members with a confirmed report-in to their home community at the "
            "end of the period."
        ),
        about_members=True,
    ),
    FigureDef(
        "member_coverage",
        "coverage",
        gettext_lazy("Member coverage"),
        gettext_lazy(
            "Employed members living in the place reported in ÷ employed members living there, "
            "at the end of the period."
        ),
        is_rate=True,
        about_members=True,
    ),
)
BY_KEY = {f.key: f for f in FIGURES}
# Rates and the counts they divide.
RATES = {
    "unit_coverage": ("units_reported_in", "unit_orgs"),
    "member_coverage": ("members_reported_in", "employed_members"),
}
SMALL_CELL_RULE = gettext_lazy(
    "Figures about Party members marked * are withheld: fewer than 3 members stand behind them, "
    "or they would let a withheld figure be worked out from the total. Party-organisation staff "
    "of the place see them."
)


@dataclass
class Cell:
    value: int | Decimal | None  # None: not measured at this level (or 0 ÷ 0 for a rate)
    people: int = 0  # Party members behind it (figures about members)
    applicable: bool = True
    withheld: bool = False

    @property
    def shown(self) -> str:
        if self.withheld:
            return WITHHELD
        if not self.applicable or self.value is None:
            return "—"
        return str(self.value)

    def as_dict(self) -> dict[str, object]:
        value: object = None
        if self.applicable and not self.withheld and self.value is not None:
            value = self.value if isinstance(self.value, int) else str(self.value)
        return {"value": value, "withheld": self.withheld, "applicable": self.applicable}


@dataclass
class Row:
    kind: str
    pk: int | None
    code: str
    name: str
    total: bool
    cells: dict[str, Cell] = field(default_factory=dict)
    may_read_members: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "total": self.total,
            "figures": {k: c.as_dict() for k, c in self.cells.items()},
        }


@dataclass
class Participation:
    period: Period
    scope: Scope
    as_of: dt.datetime  # the moment the coverage is measured at
    child_kind: str | None
    rows: list[Row]  # the scope's own row (total) first, then its children
    whistles: list[dict[str, Any]] | None  # None: not measured here (communities, grids)

    @property
    def figures(self) -> tuple[FigureDef, ...]:
        return FIGURES


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


def may_read(actor: User, scope: Scope) -> bool:
    if scope.kind not in KINDS or (scope.kind != "district" and scope.pk is None):
        return False
    return policies.may_read_participation(actor, place=_place(scope.kind, scope.pk))


def visible_scopes(actor: User) -> list[Scope]:
    """The places `actor` reads participation of, broadest first: the district and its
    streets (district-wide readers), else their streets and communities (and those streets'
    communities), their grids."""
    reach = policies.participation_reach(actor)
    if reach.district_wide:
        streets = AdminUnit.objects.filter(level="street").order_by("code")
        return [Scope("district"), *(_unit_scope(u) for u in streets)]
    scopes = [
        _unit_scope(u)
        for u in AdminUnit.objects.filter(pk__in=reach.street_ids, level="street").order_by("code")
    ]
    scopes += [
        _unit_scope(u)
        for u in AdminUnit.objects.filter(
            Q(pk__in=reach.community_ids) | Q(parent_id__in=reach.street_ids), level="community"
        ).order_by("code")
    ]
    scopes += [
        Scope("grid", g.code, g.name, g.pk)
        for g in Grid.objects.filter(pk__in=reach.grid_ids).order_by("code")
    ]
    return scopes


def _unit_scope(unit: AdminUnit) -> Scope:
    return Scope(unit.level, unit.code, unit.name, unit.pk)


def resolve_scope(actor: User, *, kind: str | None = None, code: str | None = None) -> Scope:
    """The place of `kind` (KINDS) and `code` if `actor` may read it; no kind: the actor's
    broadest place. InvalidInput names the field (scope, code); PermissionDenied: out of
    reach."""
    if not kind:
        scopes = visible_scopes(actor)
        if not scopes:
            raise refused()
        return scopes[0]
    scope = selectors.place_scope(kind, code, kinds=KINDS)
    if not may_read(actor, scope):
        raise refused()
    return scope


# --- the figures ---------------------------------------------------------------------------


def participation(actor: User, *, period: Period, scope: Scope) -> Participation:
    """The participation figures of `scope` (its own row, then one row per street, community
    or grid below it) for `period`, with the small-cell rule applied for `actor`. Refuses
    (PermissionDenied) a scope out of the actor's reach."""
    if not may_read(actor, scope):
        raise refused()
    start, end = period.start, period.end
    as_of = min(end, clock.now())
    child_kind = CHILD.get(scope.kind)
    total = _own_row(scope)
    children = _children(scope, child_kind) if child_kind else []
    for level, rows in ((scope.kind, [total]), (child_kind, children)):
        if level is None or not rows:
            continue
        group = level if rows is children else None
        _fill(rows, level, scope, group, start, end, as_of)
    _withhold(actor, total, children)
    whistles = _whistles(scope, start, end)
    return Participation(period, scope, as_of, child_kind, [total, *children], whistles)


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


# How each source reaches a level: the field holding the street, community or grid of a row.
_CASE = {"street": "street_id", "community": "community_id", "grid": "grid_id"}
_CLAIM = {"street": "item__community__parent_id", "community": "item__community_id"}
_SIGN_UP = {"street": "activity__community__parent_id", "community": "activity__community_id"}
_ORG = {"street": "unit__parent_id", "community": "unit_id"}
_MEMBER = {
    "street": "home_community__parent_id",
    "community": "home_community_id",
    "grid": "home_grid_id",
}


def _restrict(qs: QuerySet, fields: dict[str, str], scope: Scope) -> QuerySet | None:
    """`qs` limited to the scope's place; None where the source is not measured at the
    scope's level (claims of a grid)."""
    if scope.kind == "district":
        return qs
    name = fields.get(scope.kind)
    if name is None:
        return None
    return qs.filter(**{name: scope.pk})


def _grouped(
    qs: QuerySet | None, fields: dict[str, str], group: str | None, **aggregates: Any
) -> dict[int | None, dict[str, Any]] | None:
    """The aggregates of `qs`, by the `group` level's place (None: one total, keyed None)."""
    if qs is None:
        return None
    if group is None:
        return {None: qs.aggregate(**aggregates)}
    name = fields.get(group)
    if name is None:
        return None
    return {r.pop("place"): r for r in qs.values(place=F(name)).annotate(**aggregates)}


def _fill(
    rows: list[Row],
    level: str,
    scope: Scope,
    group: str | None,
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime,
) -> None:
    members = Q(reporter__party_member__isnull=False)
    volunteers = Q(reporter__volunteer__isnull=False)
    team_volunteers = Exists(
        RoleAssignment.objects.filter(
            user_id=OuterRef("reporter_id"), role=Role.VOLUNTEER, grid__isnull=False
        )
    )
    cases = _restrict(
        Case.objects.filter(reported_at__gte=start, reported_at__lt=end), _CASE, scope
    )
    if cases is not None:
        cases = cases.annotate(_team=team_volunteers)
    reports = _grouped(
        cases,
        _CASE,
        group,
        reports=Count("pk"),
        reports_members=Count("pk", filter=members),
        reports_members_people=Count("reporter__party_member", filter=members, distinct=True),
        reports_volunteers=Count("pk", filter=volunteers),
        reports_team_volunteers=Count("pk", filter=Q(_team=True)),
    )
    live = ~Q(state=Claim.State.WITHDRAWN)
    made = Q(claimed_at__gte=start, claimed_at__lt=end) & live
    confirmed = Q(state=Claim.State.CONFIRMED, confirmed_at__gte=start, confirmed_at__lt=end)
    by_member, by_unit = Q(member__isnull=False), Q(organisation__isnull=False)
    by_partner = Q(partner__isnull=False)
    by_team = Q(volunteer_organisation__isnull=False)
    claims = _grouped(
        _restrict(Claim.objects.all(), _CLAIM, scope),
        _CLAIM,
        group,
        claims_members=Count("pk", filter=made & by_member),
        claims_members_people=Count("member", filter=made & by_member, distinct=True),
        claims_members_confirmed=Count("pk", filter=confirmed & by_member),
        claims_members_confirmed_people=Count(
            "member", filter=confirmed & by_member, distinct=True
        ),
        claims_units=Count("pk", filter=made & by_unit),
        claims_units_confirmed=Count("pk", filter=confirmed & by_unit),
        claims_partners=Count("pk", filter=made & by_partner),
        claims_partners_confirmed=Count("pk", filter=confirmed & by_partner),
        claims_volunteer_orgs=Count("pk", filter=made & by_team),
        claims_volunteer_orgs_confirmed=Count("pk", filter=confirmed & by_team),
        claim_hours_members=Sum("service_hours", filter=confirmed & by_member),
        claim_hours_units=Sum("service_hours", filter=confirmed & (by_unit | by_partner | by_team)),
    )
    signed_member = Q(volunteer__user__party_member__isnull=False)
    hours = _grouped(
        _restrict(
            SignUp.objects.filter(
                confirmed_at__gte=start, confirmed_at__lt=end, confirmed_hours__isnull=False
            ),
            _SIGN_UP,
            scope,
        ),
        _SIGN_UP,
        group,
        activity_hours_members=Sum("confirmed_hours", filter=signed_member),
        activity_members_people=Count(
            "volunteer__user__party_member", filter=signed_member, distinct=True
        ),
        activity_hours_others=Sum("confirmed_hours", filter=~signed_member),
    )
    unit_live = _report_in_live(as_of, community=OuterRef("unit"), organisation=OuterRef("pk"))
    orgs = _restrict(
        Organisation.objects.filter(kind=Organisation.Kind.UNIT, created_at__lte=as_of).filter(
            Q(dissolved_at__isnull=True) | Q(dissolved_at__gt=as_of)
        ),
        _ORG,
        scope,
    )
    coverage_units = _grouped(
        orgs.annotate(_in=unit_live) if orgs is not None else None,
        _ORG,
        group,
        unit_orgs=Count("pk"),
        units_reported_in=Count("pk", filter=Q(_in=True)),
    )
    day = as_of.astimezone(TZ).date()
    open_then = Exists(
        Membership.objects.filter(member_id=OuterRef("pk"), started_on__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=day)
        )
    )
    member_live = _report_in_live(
        as_of, community=OuterRef("home_community"), member=OuterRef("pk")
    )
    employed = _restrict(
        Member.objects.filter(
            category=Member.Category.IN_SERVICE, home_community__isnull=False
        ).filter(open_then),
        _MEMBER,
        scope,
    )
    coverage_members = _grouped(
        employed.annotate(_in=member_live) if employed is not None else None,
        _MEMBER,
        group,
        employed_members=Count("pk"),
        members_reported_in=Count("pk", filter=Q(_in=True)),
    )
    member_hours_people = _member_hours_people(scope, group, start, end)
    for row in rows:
        key = None if group is None else row.pk
        _set_row(
            row,
            level,
            _pick(reports, key),
            _pick(claims, key),
            _pick(hours, key),
            _pick(coverage_units, key),
            _pick(coverage_members, key),
            _pick(member_hours_people, key),
        )


def _report_in_live(as_of: dt.datetime, **subject: Any) -> Exists:
    """A confirmed report-in of the subject, standing at `as_of` (confirmed by then and not
    ended before it)."""
    return Exists(
        ReportIn.objects.filter(
            state__in=(ReportIn.State.CONFIRMED, ReportIn.State.ENDED),
            decided_at__lte=as_of,
            **subject,
        ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=as_of))
    )


def _member_hours_people(
    scope: Scope, group: str | None, start: dt.datetime, end: dt.datetime
) -> dict[int | None, dict[str, Any]] | None:
    """The Party members behind the members' hours of each place: those whose activity hours
    or whose claims were confirmed in the period (one person counted once)."""
    signed = _restrict(
        SignUp.objects.filter(
            confirmed_at__gte=start,
            confirmed_at__lt=end,
            confirmed_hours__isnull=False,
            volunteer__user__party_member__isnull=False,
        ),
        _SIGN_UP,
        scope,
    )
    claimed = _restrict(
        Claim.objects.filter(
            state=Claim.State.CONFIRMED,
            confirmed_at__gte=start,
            confirmed_at__lt=end,
            member__isnull=False,
            service_hours__isnull=False,
        ),
        _CLAIM,
        scope,
    )
    if signed is None or claimed is None:
        return None
    if group is not None and group not in _CLAIM:
        return None
    people: dict[int | None, set[int]] = {}
    for qs, place, person in (
        (signed, _SIGN_UP, "volunteer__user__party_member"),
        (claimed, _CLAIM, "member"),
    ):
        where = place[group] if group is not None else "pk"
        for key, member in qs.values_list(where, person):
            people.setdefault(key if group is not None else None, set()).add(member)
    return {k: {"people": len(v)} for k, v in people.items()}


def _pick(table: dict[int | None, dict[str, Any]] | None, key: int | None) -> dict[str, Any] | None:
    if table is None:
        return None
    return table.get(key) or {}


def _count(values: dict[str, Any] | None, name: str) -> int:
    return int((values or {}).get(name) or 0)


def _hours(*amounts: object) -> Decimal:
    total = sum((Decimal(str(a)) for a in amounts if a is not None), Decimal(0))
    return total.quantize(Decimal("0.01"))


def _set_row(row, level, reports, claims, hours, units, members, member_hours) -> None:
    cells = row.cells
    for f in FIGURES:
        if level not in f.levels and not (level == "district" and "street" in f.levels):
            cells[f.key] = Cell(None, applicable=False)
    if reports is not None:
        cells["reports"] = Cell(_count(reports, "reports"))
        cells["reports_members"] = Cell(
            _count(reports, "reports_members"), _count(reports, "reports_members_people")
        )
        cells["reports_volunteers"] = Cell(_count(reports, "reports_volunteers"))
        cells["reports_team_volunteers"] = Cell(_count(reports, "reports_team_volunteers"))
    if claims is not None:
        for key in (
            "claims_units",
            "claims_units_confirmed",
            "claims_partners",
            "claims_partners_confirmed",
            "claims_volunteer_orgs",
            "claims_volunteer_orgs_confirmed",
        ):
            cells[key] = Cell(_count(claims, key))
        for key in ("claims_members", "claims_members_confirmed"):
            cells[key] = Cell(_count(claims, key), _count(claims, f"{key}_people"))
        cells["hours_units"] = Cell(_hours(claims.get("claim_hours_units")))
    if hours is not None and claims is not None:
        cells["hours_members"] = Cell(
            _hours(hours.get("activity_hours_members"), claims.get("claim_hours_members")),
            _count(member_hours, "people"),
        )
        cells["hours_volunteers"] = Cell(_hours(hours.get("activity_hours_others")))
    if units is not None:
        cells["unit_orgs"] = Cell(_count(units, "unit_orgs"))
        cells["units_reported_in"] = Cell(_count(units, "units_reported_in"))
    if members is not None:
        employed = _count(members, "employed_members")
        reported = _count(members, "members_reported_in")
        cells["employed_members"] = Cell(employed, employed)
        cells["members_reported_in"] = Cell(reported, reported)
    for key, (numerator, denominator) in RATES.items():
        if numerator in cells and denominator in cells and cells[denominator].applicable:
            n, d = cells[numerator].value, cells[denominator].value
            cells[key] = Cell(rate(int(n or 0), int(d or 0)), cells[denominator].people)
    for f in FIGURES:
        cells.setdefault(f.key, Cell(None, applicable=False))


# --- the small-cell rule ---------------------------------------------------------------------


def _row_unit(row: Row) -> AdminUnit | None:
    if row.pk is None:
        return None
    if row.kind == "grid":
        community = Grid.all_objects.filter(pk=row.pk).values_list("community_id", flat=True)
        return AdminUnit.objects.filter(pk__in=community).first()
    return AdminUnit.objects.filter(pk=row.pk).first()


def _may_read_members(actor: User, row: Row) -> bool:
    if Role.PARTY_STAFF not in policies.role_names(actor):
        return False  # the common case: no query per row
    unit = _row_unit(row)
    return unit is not None and policies.may_read_party_membership(actor, unit)


def _withhold(actor: User, total: Row, children: list[Row]) -> None:
    """Apply the small-cell rule (module docstring) to the table for `actor`."""
    for row in (total, *children):
        row.may_read_members = _may_read_members(actor, row)
    counts = [f.key for f in FIGURES if f.about_members and not f.is_rate]
    for key in counts:
        for row in (total, *children):
            cell = row.cells[key]
            if not row.may_read_members and cell.applicable and 0 < cell.people < SMALL_CELL:
                cell.withheld = True
        # Secondary: one withheld child alone could be worked out from the total.
        open_children = [r for r in children if not r.may_read_members and r.cells[key].applicable]
        withheld = [r for r in open_children if r.cells[key].withheld]
        if len(withheld) == 1 and not total.cells[key].withheld:
            others = [r for r in open_children if not r.cells[key].withheld]
            if others:
                smallest = min(others, key=lambda r: (r.cells[key].value or 0, r.code))
                smallest.cells[key].withheld = True
            elif not total.may_read_members:
                total.cells[key].withheld = True
    for row in (total, *children):
        for key, (numerator, denominator) in RATES.items():
            if row.cells[numerator].withheld or row.cells[denominator].withheld:
                row.cells[key].withheld = True


# --- whistles ----------------------------------------------------------------------------------


def _whistles(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]] | None:
    """The whistle response of the scope's streets (a district: every street; a street: its
    own), one row per street and department summoned there (WHISTLE_COLUMNS); communities and
    grids do not whistle (None)."""
    if scope.kind == "district":
        streets = list(AdminUnit.objects.filter(level="street").order_by("code"))
    elif scope.kind == "street" and scope.pk is not None:
        streets = list(AdminUnit.objects.filter(pk=scope.pk))
    else:
        return None
    by_street = {
        s.pk: department_whistle_figures(start=start, end=end, street_ids=[s.pk]) for s in streets
    }
    names = dict(
        Department.objects.filter(
            pk__in={d for figures in by_street.values() for d in figures}
        ).values_list("pk", "name")
    )
    rows = []
    for street in streets:
        figures = by_street[street.pk]
        for department_id in sorted(figures, key=lambda d: (names.get(d, ""), d)):
            f = figures[department_id]
            rows.append(
                {
                    "street": street.name,
                    "department": names.get(department_id, str(department_id)),
                    "summoned": f.summoned,
                    "due": f.due,
                    "reported_in": f.reported_in,
                    "reported_in_on_time": f.reported_in_on_time,
                    "on_time_rate": f.on_time_rate,
                    "rated": f.rated,
                    "satisfied": f.satisfied,
                    "satisfaction_rate": f.satisfaction_rate,
                }
            )
    return rows


WHISTLE_COLUMNS: tuple[tuple[str, StrOrPromise, StrOrPromise], ...] = (
    ("street", gettext_lazy("Street"), ""),
    ("department", gettext_lazy("Department"), ""),
    (
        "summoned",
        gettext_lazy("Summoned"),
        gettext_lazy("Whistle tasks of the street's cases given to the department in the period."),
    ),
    (
        "due",
        gettext_lazy("Report-ins due"),
        gettext_lazy(
            "Summonses whose report-in deadline fell in the period and has passed, or that "
            "reported in."
        ),
    ),
    ("reported_in", gettext_lazy("Report-ins made"), gettext_lazy("Of those due, reported in.")),
    (
        "reported_in_on_time",
        gettext_lazy("Report-ins on time"),
        gettext_lazy("Of those due, reported in by the deadline."),
    ),
    (
        "on_time_rate",
        gettext_lazy("On-time rate (%)"),
        gettext_lazy("Reported in on time ÷ report-ins due."),
    ),
    ("rated", gettext_lazy("Rated"), gettext_lazy("The street's ratings given in the period.")),
    (
        "satisfied",
        gettext_lazy("Satisfied"),
        gettext_lazy("Of those, satisfied or basically satisfied."),
    ),
    (
        "satisfaction_rate",
        gettext_lazy("Satisfaction (%)"),
        gettext_lazy("Satisfied or basically satisfied ÷ ratings."),
    ),
)
