"""The monthly dispute screening (矛盾纠纷排查) of each grid, recorded by its grid worker or grid
head in the field app: how many disputes were found, the risk level (none, low, medium, high)
and whether the grid is stable.

One screening per grid and month (a database constraint). The month screened is the current
month in Asia/Shanghai; during the first SCREENING_GRACE_DAYS days of a month the previous
month is still open too, for a grid not yet screened for it (a screening done on the last day
of the month and sent on the 2nd still counts for its month). A second screening of the same
grid and month is a 409, unless it comes with the first one's client key: then it replays.

A screening that found a dispute can register it in the mediation register (source
"screening", through mediation.services.register_dispute) and can raise a risk
(mediation.risks.raise_risk with the screening). Who may screen is org.policies.may_screen_grid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import bounded_text, idempotency_key
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import Grid

from . import services
from .models import Dispute, Level, Screening

# The first days of a month in which the previous month may still be screened.
SCREENING_GRACE_DAYS = 5
MAX_DISPUTES = 999
MAX_NOTE = 1000


@dataclass(frozen=True)
class Outcome:
    screening: Screening
    replayed: bool = False


def open_months(now: dt.datetime | None = None) -> list[dt.date]:
    """The months (their first days) a screening may be recorded for now, the earliest first:
    the current month, and the previous one during the first SCREENING_GRACE_DAYS days."""
    today = clock.local_date(now or clock.now())
    current = today.replace(day=1)
    if today.day <= SCREENING_GRACE_DAYS:
        return [clock.add_months(current, -1), current]
    return [current]


def current_month(now: dt.datetime | None = None) -> dt.date:
    return clock.local_date(now or clock.now()).replace(day=1)


def parse_month(value: object) -> dt.date:
    """ "YYYY-MM" (ASCII digits) as the first day of that month; anything else is a 422 at
    `month`."""
    text = "" if value is None else str(value).strip()
    if (
        len(text) != 7
        or text[4] != "-"
        or not text.isascii()
        or not (text[:4].isdigit() and text[5:].isdigit())
    ):
        raise InvalidInput(_("Give the month as YYYY-MM."), field="month")
    year, month = int(text[:4]), int(text[5:])
    if not (1 <= month <= 12) or year < 2000:
        raise InvalidInput(_("Give the month as YYYY-MM."), field="month")
    return dt.date(year, month, 1)


def month_for(grid: Grid, month: dt.date | None, now: dt.datetime | None = None) -> dt.date:
    """The month a screening of `grid` is for: `month` if it is open, else a 422; without one,
    the earliest open month the grid has not been screened for (the current month when all
    are)."""
    months = open_months(now)
    if month is not None:
        if month not in months:
            raise InvalidInput(
                _(
                    "Only the current month (or the previous one in a month's first %(n)d days) "
                    "can be screened."
                )
                % {"n": SCREENING_GRACE_DAYS},
                field="month",
            )
        return month
    done = set(
        Screening.objects.filter(grid=grid, month__in=months).values_list("month", flat=True)
    )
    return next((m for m in months if m not in done), months[-1])


def _count(value: object) -> int:
    if isinstance(value, bool):
        raise InvalidInput(_("Give a whole number."), field="disputes_found")
    if isinstance(value, int):
        number = value
    else:
        text = "" if value is None else str(value).strip()
        if not text or len(text) > 3 or not text.isascii() or not text.isdigit():
            raise InvalidInput(
                _("Give the number of disputes found, 0 to %(n)d.") % {"n": MAX_DISPUTES},
                field="disputes_found",
            )
        number = int(text)
    if not 0 <= number <= MAX_DISPUTES:
        raise InvalidInput(
            _("Give the number of disputes found, 0 to %(n)d.") % {"n": MAX_DISPUTES},
            field="disputes_found",
        )
    return number


def _level(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if text not in Level.values:
        raise InvalidInput(_("Choose a risk level: none, low, medium or high."), field="risk_level")
    return text


def _stable(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("stable", "true", "1", "yes"):
        return True
    if text in ("unstable", "false", "0", "no"):
        return False
    raise InvalidInput(_("Say whether the grid is stable."), field="stable")


def _grid(value: Grid | int | str) -> Grid:
    if isinstance(value, Grid):
        return value
    grid = Grid.objects.filter(code=str(value)).first() if isinstance(value, str) else None
    if grid is None and isinstance(value, int) and not isinstance(value, bool):
        grid = Grid.objects.filter(pk=value).first()
    if grid is None:
        raise NotFound(_("No such grid."), field="grid")
    return grid


@transaction.atomic
def record_screening(
    *,
    actor: User,
    grid: Grid | int | str,
    disputes_found: object,
    risk_level: object,
    stable: object,
    note: object = "",
    month: dt.date | None = None,
    idempotency_key: str | None,
) -> Outcome:
    """Record `grid`'s monthly screening (see the module docstring). An unstable grid has a risk
    level above none."""
    key = _key(idempotency_key)
    target = _grid(grid)
    if not policies.may_screen_grid(actor, target):
        raise PermissionDenied(
            _("Only the grid's grid worker or grid head records its screening."), field="grid"
        )
    earlier = Screening.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if earlier.grid_id != target.pk or (month is not None and earlier.month != month):
            raise Conflict(
                _("This idempotency key was already used for another screening."),
                field="idempotency_key",
            )
        return Outcome(earlier, replayed=True)
    count = _count(disputes_found)
    level = _level(risk_level)
    is_stable = _stable(stable)
    text = bounded_text(note, "note", max_length=MAX_NOTE)
    if not is_stable and level == Level.NONE:
        raise InvalidInput(_("An unstable grid has a risk level above none."), field="risk_level")
    screened_month = month_for(target, month)
    if Screening.objects.filter(grid=target, month=screened_month).exists():
        raise Conflict(
            _("%(grid)s was already screened for %(month)s.")
            % {"grid": target.name, "month": f"{screened_month:%Y-%m}"},
            field="month",
        )
    try:
        with transaction.atomic():
            row = Screening.objects.create(
                grid=target,
                month=screened_month,
                screened_by=actor,
                screened_at=clock.now(),
                disputes_found=count,
                risk_level=level,
                stable=is_stable,
                note=text,
                idempotency_key=key,
            )
    except IntegrityError:
        # Another request screened the grid (or used the key) at the same moment.
        earlier = Screening.objects.filter(idempotency_key=key).first()
        if earlier is not None and earlier.grid_id == target.pk:
            return Outcome(earlier, replayed=True)
        raise Conflict(
            _("%(grid)s was already screened for %(month)s.")
            % {"grid": target.name, "month": f"{screened_month:%Y-%m}"},
            field="month",
        ) from None
    return Outcome(row)


def _key(value: object) -> str:
    return idempotency_key(
        value, missing=_("Send an idempotency key so a retry cannot record a screening twice.")
    )


def screening_for(actor: User, screening_id: int) -> Screening:
    """A screening `actor` may act on (register a dispute, raise a risk): one of their grids'."""
    row = Screening.objects.select_related("grid").filter(pk=screening_id).first()
    if row is None or not policies.may_screen_grid(actor, row.grid):
        raise NotFound(_("No such screening."), field="screening")
    return row


def register_found_dispute(
    *,
    actor: User,
    screening: Screening | int,
    type: object,
    title: object,
    facts: object,
    parties: object,
    claims: object = "",
    risk: object = "",
    idempotency_key: object,
) -> Dispute:
    """Register a dispute a screening found in the mediation register (source "screening"),
    through mediation.services.register_from_screening (which checks who may). A screening
    that found no dispute registers none."""
    pk = screening.pk if isinstance(screening, Screening) else screening
    row = Screening.objects.select_related("grid").filter(pk=pk).first()
    if row is None:
        raise NotFound(_("No such screening."), field="screening")
    if row.disputes_found == 0:
        raise InvalidInput(_("This screening found no dispute to register."), field="screening")
    return services.register_from_screening(
        by=actor,
        screening=row,
        type=type,
        title=title,
        facts=facts,
        claims=claims,
        parties=parties,
        risk=risk,
        idempotency_key=idempotency_key,
    )
