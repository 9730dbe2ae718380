"""Measures of 法治: people's mediation, screening and risks, per street, community and grid,
for a period (insight.periods). Counts only: no dispute's content, no party, no name.

Mediation ("mediation" table; a dispute belongs to the street, community and grid it was
registered in):

* registered: disputes registered in the period.
* population: the residents of the place's grids (Grid.population of the grids in the current
  layer). Shown only where every one of those grids has a population recorded.
* per 10,000 residents: registered ÷ population × 10,000 (— where the population is not known,
  with the reason).
* outcomes, agreed, failed: disputes whose outcome (Dispute.outcome_at) falls in the period;
  failed when the mediation failed (state failed, or a failure reason or referral recorded),
  agreed when an agreement was reached (state agreed, or closed after one).
* success rate: agreed ÷ (agreed + failed).
* with a period, on time: of those outcomes, the ones of accepted disputes (a due date set),
  and among them the ones reached on or before the last day of the mediation period
  (extended_on when it was extended, else due_on; the day in Beijing time).
* on-time rate: on time ÷ outcomes with a period.
* recurrences (RECURRENCE_DAYS): disputes registered in the period for which an earlier dispute
  of the same mediation type in the same place had its outcome (agreed or failed) within the
  RECURRENCE_DAYS days before the new one was registered. The same place is the same grid; a
  dispute registered without a grid is compared with the disputes of its community registered
  without a grid. The rule reads only a dispute's type, place and dates, never its parties.
* recurrence rate: recurrences ÷ registered.

Screening and risks ("stability" table):

* grids: the grids of the place in the current layer; grid-months: grids × the months the
  period touches.
* screened: of those grid-months, the ones with a monthly screening; coverage: screened ÷
  grid-months. found unstable: those screenings that found the grid unstable.
* risks raised: risks raised in the period.
* open risks by level: risks raised before the end of the period (or now, while it runs) and
  not resolved by then, by their level then (a follow-up's level_after, or before the first
  follow-up the level raised with).
* high risks escalated: risks escalated to the street and the judicial office in the period.

The monthly screening table (months) gives the coverage of the place month by month.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from onegrid.mediation.models import Dispute, Risk, RiskFollowUp, Screening
from onegrid.territory.models import Grid

from .governance_figures import (
    DISPUTE,
    GRID,
    RISK,
    SCREENING,
    Cell,
    FigureDef,
    count,
    grouped,
    months_of,
    ratio,
    restrict,
)
from .measures import Scope, rate
from .periods import TZ, Period

RECURRENCE_DAYS = 90
PER_RESIDENTS = 10_000

FIGURES: tuple[FigureDef, ...] = (
    FigureDef(
        "registered",
        "mediation",
        pgettext_lazy("governance", "Disputes registered"),
        gettext_lazy("Disputes registered in the period in the place."),
    ),
    FigureDef(
        "population",
        "mediation",
        pgettext_lazy("governance", "Residents"),
        gettext_lazy(
            "The population of the place's grids in the current layer (Grid.population); "
            "unknown when a grid has none recorded."
        ),
    ),
    FigureDef(
        "per_10k",
        "mediation",
        pgettext_lazy("governance", "per 10,000 residents"),
        gettext_lazy("Disputes registered ÷ residents × 10,000."),
    ),
    FigureDef(
        "outcomes",
        "mediation",
        pgettext_lazy("governance", "Outcomes"),
        gettext_lazy("Disputes whose outcome (agreement or failure) was reached in the period."),
    ),
    FigureDef(
        "agreed",
        "mediation",
        pgettext_lazy("governance", "agreed"),
        gettext_lazy("Of those, an agreement reached (state agreed, or closed after one)."),
    ),
    FigureDef(
        "failed",
        "mediation",
        pgettext_lazy("governance", "failed"),
        gettext_lazy(
            "Of those, mediation failed (state failed, or a failure reason or referral recorded)."
        ),
    ),
    FigureDef(
        "success_rate",
        "mediation",
        pgettext_lazy("governance", "Success rate"),
        gettext_lazy("Agreed ÷ (agreed + failed)."),
        is_rate=True,
    ),
    FigureDef(
        "timed",
        "mediation",
        pgettext_lazy("governance", "with a mediation period"),
        gettext_lazy("Outcomes of accepted disputes (a due date set on acceptance)."),
    ),
    FigureDef(
        "on_time",
        "mediation",
        pgettext_lazy("governance", "on time"),
        gettext_lazy(
            "Of those, reached on or before the last day of the mediation period (the extended "
            "date when extended, else the due date; Beijing time)."
        ),
    ),
    FigureDef(
        "on_time_rate",
        "mediation",
        pgettext_lazy("governance", "On-time rate"),
        gettext_lazy("Outcomes on time ÷ outcomes with a mediation period."),
        is_rate=True,
    ),
    FigureDef(
        "recurrences",
        "mediation",
        pgettext_lazy("governance", "Recurrences"),
        gettext_lazy(
            "Disputes registered in the period for which an earlier dispute of the same type in "
            "the same grid (without a grid: in the same community, also without a grid) reached "
            "its outcome within the 90 days before."
        ),
    ),
    FigureDef(
        "recurrence_rate",
        "mediation",
        pgettext_lazy("governance", "Recurrence rate"),
        gettext_lazy("Recurrences ÷ disputes registered."),
        is_rate=True,
    ),
    FigureDef(
        "grids",
        "stability",
        pgettext_lazy("governance", "Grids"),
        gettext_lazy("Grids of the place in the current layer."),
    ),
    FigureDef(
        "grid_months",
        "stability",
        pgettext_lazy("governance", "Grid-months"),
        gettext_lazy("Grids × the months the period touches."),
    ),
    FigureDef(
        "screened",
        "stability",
        pgettext_lazy("governance", "screened"),
        gettext_lazy("Of those grid-months, the ones with a monthly screening (矛盾纠纷排查)."),
    ),
    FigureDef(
        "screening_coverage",
        "stability",
        pgettext_lazy("governance", "Screening coverage"),
        gettext_lazy("Grid-months screened ÷ grid-months."),
        is_rate=True,
    ),
    FigureDef(
        "unstable",
        "stability",
        pgettext_lazy("governance", "found unstable"),
        gettext_lazy("Screenings of those months that found the grid unstable."),
    ),
    FigureDef(
        "risks_raised",
        "stability",
        pgettext_lazy("governance", "Risks raised"),
        gettext_lazy("Risks to stability raised in the period."),
    ),
    FigureDef(
        "risks_open_low",
        "stability",
        pgettext_lazy("governance", "open: low"),
        gettext_lazy(
            "Risks open at the end of the period (or now, while it runs) whose level then was low."
        ),
    ),
    FigureDef(
        "risks_open_medium",
        "stability",
        pgettext_lazy("governance", "open: medium"),
        gettext_lazy("The same, level medium."),
    ),
    FigureDef(
        "risks_open_high",
        "stability",
        pgettext_lazy("governance", "open: high"),
        gettext_lazy("The same, level high."),
    ),
    FigureDef(
        "risks_escalated",
        "stability",
        pgettext_lazy("governance", "High risks escalated"),
        gettext_lazy("Risks escalated to the street and the judicial office in the period."),
    ),
)
_OPEN_BY_LEVEL = {level: f"risks_open_{level}" for level in Risk.RiskLevel.values}
RATES = {
    "success_rate": ("agreed", "outcomes"),
    "on_time_rate": ("on_time", "timed"),
    "recurrence_rate": ("recurrences", "registered"),
    "screening_coverage": ("screened", "grid_months"),
}


def _failed() -> Q:
    return Q(state=Dispute.State.FAILED) | ~Q(failure_reason="") | ~Q(referral="")


def _recurrences(scope: Scope, group: str | None, period: Period) -> dict[int | None, int]:
    """The recurrences (module docstring) among the disputes registered in the period, by the
    `group` level's place (None: one total). Two reads and a sorted search in Python: a
    correlated subquery per dispute costs seconds over a district's year."""
    window = dt.timedelta(days=RECURRENCE_DAYS)
    place = DISPUTE[group] if group else "community_id"
    new = restrict(
        Dispute.objects.filter(registered_at__gte=period.start, registered_at__lt=period.end),
        DISPUTE,
        scope,
    ).values_list("type_id", "community_id", "grid_id", "registered_at", place)
    # An earlier dispute of the same type and place lies in the same community, so in the
    # scope too.
    earlier = restrict(
        Dispute.objects.filter(outcome_at__gte=period.start - window, outcome_at__lt=period.end),
        DISPUTE,
        scope,
    ).values_list("type_id", "community_id", "grid_id", "outcome_at")
    outcomes: dict[tuple[int, int, int | None], list[dt.datetime]] = defaultdict(list)
    for kind, community, grid, at in earlier.order_by():
        outcomes[(kind, community, grid)].append(at)
    for times in outcomes.values():
        times.sort()
    found: dict[int | None, int] = defaultdict(int)
    for kind, community, grid, registered, key in new.order_by():
        times = outcomes.get((kind, community, grid), [])
        i = bisect_left(times, registered - window)
        if i < len(times) and times[i] < registered:
            found[key if group else None] += 1
    return found


def mediation(
    scope: Scope, group: str | None, period: Period, keys: list[int | None]
) -> dict[int | None, dict[str, Cell]]:
    """The mediation figures of the scope's place (group None, keys [None]) or of its parts of
    level `group` (keys: their pks), keyed as `keys`."""
    start, end = period.start, period.end
    registered = grouped(
        restrict(
            Dispute.objects.filter(registered_at__gte=start, registered_at__lt=end),
            DISPUTE,
            scope,
        ),
        DISPUTE,
        group,
        registered=Count("pk"),
    )
    recurrences = _recurrences(scope, group, period)
    failed = _failed()
    agreed = ~failed & Q(state__in=(Dispute.State.AGREED, Dispute.State.CLOSED))
    last_day = Coalesce(F("extended_on"), F("due_on"))
    outcomes = grouped(
        restrict(
            Dispute.objects.filter(outcome_at__gte=start, outcome_at__lt=end).annotate(
                _day=TruncDate("outcome_at", tzinfo=TZ), _last=last_day
            ),
            DISPUTE,
            scope,
        ),
        DISPUTE,
        group,
        agreed=Count("pk", filter=agreed),
        failed=Count("pk", filter=failed),
        timed=Count("pk", filter=(agreed | failed) & Q(_last__isnull=False)),
        on_time=Count("pk", filter=(agreed | failed) & Q(_day__lte=F("_last"))),
    )
    population = grouped(
        restrict(Grid.objects.all(), GRID, scope),
        GRID,
        group,
        grids=Count("pk"),
        known=Count("population"),
        population=Sum("population"),
    )
    table: dict[int | None, dict[str, Cell]] = {}
    for key in keys:
        r, o, p = registered.get(key), outcomes.get(key), population.get(key)
        cells = {
            "registered": Cell(count(r, "registered")),
            "recurrences": Cell(recurrences.get(key, 0)),
            "agreed": Cell(count(o, "agreed")),
            "failed": Cell(count(o, "failed")),
            "timed": Cell(count(o, "timed")),
            "on_time": Cell(count(o, "on_time")),
        }
        cells["outcomes"] = Cell(count(o, "agreed") + count(o, "failed"))
        cells["population"], cells["per_10k"] = _per_residents(
            count(r, "registered"), count(p, "grids"), count(p, "known"), count(p, "population")
        )
        table[key] = cells
    return table


def _per_residents(registered: int, grids: int, known: int, population: int) -> tuple[Cell, Cell]:
    if not grids:
        reason = _("No grid in the current layer.")
    elif known < grids:
        missing = grids - known
        reason = ngettext(
            "The population of %(n)d grid is not recorded.",
            "The population of %(n)d grids is not recorded.",
            missing,
        ) % {"n": missing}
    elif not population:
        reason = _("The population recorded is 0.")
    else:
        return Cell(population), Cell(ratio(registered, population, times=PER_RESIDENTS))
    return Cell(None, reason), Cell(None, reason)


def stability(
    scope: Scope, group: str | None, period: Period, as_of: dt.datetime, keys: list[int | None]
) -> dict[int | None, dict[str, Cell]]:
    """The screening and risk figures of the scope's place or of its parts (as mediation)."""
    start, end = period.start, period.end
    months = months_of(period.first, period.last)
    grids = grouped(restrict(Grid.objects.all(), GRID, scope), GRID, group, grids=Count("pk"))
    screenings = grouped(
        restrict(
            Screening.objects.filter(month__in=months, grid__retired_in__isnull=True),
            SCREENING,
            scope,
        ),
        SCREENING,
        group,
        screened=Count("pk"),
        unstable=Count("pk", filter=Q(stable=False)),
    )
    level_then = Coalesce(
        Subquery(
            RiskFollowUp.objects.filter(risk_id=OuterRef("pk"), at__lte=as_of)
            .order_by("-at", "-pk")
            .values("level_after")[:1]
        ),
        Subquery(
            RiskFollowUp.objects.filter(risk_id=OuterRef("pk"), at__gt=as_of)
            .order_by("at", "pk")
            .values("level_before")[:1]
        ),
        F("level"),
    )
    open_then = Q(raised_at__lt=as_of) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=as_of))
    risks = grouped(
        restrict(Risk.objects.annotate(_level=level_then), RISK, scope),
        RISK,
        group,
        risks_raised=Count("pk", filter=Q(raised_at__gte=start, raised_at__lt=end)),
        risks_escalated=Count("pk", filter=Q(escalated_at__gte=start, escalated_at__lt=end)),
        **{
            name: Count("pk", filter=open_then & Q(_level=level))
            for level, name in _OPEN_BY_LEVEL.items()
        },
    )
    table: dict[int | None, dict[str, Cell]] = {}
    for key in keys:
        g, s, r = grids.get(key), screenings.get(key), risks.get(key)
        cells = {
            "grids": Cell(count(g, "grids")),
            "grid_months": Cell(count(g, "grids") * len(months)),
            "screened": Cell(count(s, "screened")),
            "unstable": Cell(count(s, "unstable")),
        }
        for name in ("risks_raised", "risks_escalated", *_OPEN_BY_LEVEL.values()):
            cells[name] = Cell(count(r, name))
        table[key] = cells
    return table


def add_rates(cells: dict[str, Cell]) -> None:
    for key, (numerator, denominator) in RATES.items():
        if numerator in cells and denominator in cells:
            n, d = cells[numerator].value, cells[denominator].value
            cells[key] = Cell(rate(int(n or 0), int(d or 0)))


# --- the monthly screening table --------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    month: dt.date
    grids: int
    screened: int
    coverage: Decimal | None
    unstable: int
    disputes_found: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": f"{self.month:%Y-%m}",
            "grids": self.grids,
            "screened": self.screened,
            "coverage": None if self.coverage is None else str(self.coverage),
            "unstable": self.unstable,
            "disputes_found": self.disputes_found,
        }


MONTH_COLUMNS = (
    ("month", pgettext_lazy("governance", "Month"), ""),
    (
        "grids",
        pgettext_lazy("governance", "Grids"),
        gettext_lazy("Grids of the place in the current layer."),
    ),
    (
        "screened",
        pgettext_lazy("governance", "Screened"),
        gettext_lazy("Of those, grids with the month's screening."),
    ),
    ("coverage", pgettext_lazy("governance", "Coverage (%)"), gettext_lazy("Screened ÷ grids.")),
    (
        "unstable",
        pgettext_lazy("governance", "Found unstable"),
        gettext_lazy("The month's screenings that found the grid unstable."),
    ),
    (
        "disputes_found",
        pgettext_lazy("governance", "Disputes found"),
        gettext_lazy("Disputes the month's screenings found (as the grid workers counted)."),
    ),
)


def screening_months(scope: Scope, period: Period) -> list[MonthRow]:
    """The screening coverage of the scope's place, one row per month the period touches."""
    months = months_of(period.first, period.last)
    grids = restrict(Grid.objects.all(), GRID, scope).count()
    found = {
        r["month"]: r
        for r in restrict(
            Screening.objects.filter(month__in=months, grid__retired_in__isnull=True),
            SCREENING,
            scope,
        )
        .order_by()
        .values("month")
        .annotate(
            screened=Count("pk"),
            unstable=Count("pk", filter=Q(stable=False)),
            disputes=Sum("disputes_found"),
        )
    }
    rows = []
    for month in months:
        r = found.get(month, {})
        screened = count(r, "screened")
        rows.append(
            MonthRow(
                month,
                grids,
                screened,
                rate(screened, grids),
                count(r, "unstable"),
                count(r, "disputes"),
            )
        )
    return rows
