"""Insight's writes: campaigns (集中整治). Figures are read, never written, here."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from onegrid.cases.models import CaseClass
from onegrid.core import codes
from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit, Grid

from . import periods
from .models import Campaign

NAME_MAX = 100
DESCRIPTION_MAX = 2000
PREFIX_MAX = 20
# A campaign longer than a year is standing work, not a campaign; the effect compares windows
# of its own length before and after it.
MAX_CAMPAIGN_DAYS = 366


def campaign_problems(
    *,
    name: str,
    class_prefix: str,
    scope_kind: str,
    unit: AdminUnit | None,
    grid: Grid | None,
    start: dt.date | None,
    end: dt.date | None,
) -> dict[str, str]:
    """What is wrong with a campaign's fields, by field (empty when nothing is)."""
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = _("Give the campaign a name.")
    elif len(name) > NAME_MAX or not name.isprintable():
        problems["name"] = _("A name has at most %(n)d characters and no control characters.") % {
            "n": NAME_MAX
        }
    if class_prefix:
        problem = codes.code_problem(class_prefix, max_length=PREFIX_MAX)
        if problem is not None:
            problems["class_prefix"] = problem
        elif not CaseClass.objects.filter(code__startswith=class_prefix).exists():
            problems["class_prefix"] = _("No case class has a code starting with %(prefix)s.") % {
                "prefix": class_prefix
            }
    if scope_kind not in Campaign.Kind.values:
        problems["scope_kind"] = _("The area is the district, a street, a community or a grid.")
    elif (scope_kind == "district" and (unit or grid)) or (
        scope_kind != "district" and unit is not None and grid is not None
    ):
        problems["area_code"] = _(
            "Give one area: a street or community, or a grid, or none for the whole district."
        )
    elif scope_kind in ("street", "community"):
        if unit is None or unit.level != scope_kind:
            problems["area_code"] = _("Give the code of a %(kind)s.") % {
                "kind": Campaign.Kind(scope_kind).label
            }
    elif scope_kind == "grid" and grid is None:
        problems["area_code"] = _("Give the code of a grid.")
    if start is None:
        problems["start"] = _("Give the first day.")
    if end is None:
        problems["end"] = _("Give the last day.")
    if start is not None and end is not None:
        if end < start:
            problems["end"] = _("The last day comes before the first.")
        elif (end - start).days + 1 > MAX_CAMPAIGN_DAYS:
            problems["end"] = _("A campaign lasts at most %(n)d days.") % {"n": MAX_CAMPAIGN_DAYS}
        elif not periods.MIN_YEAR <= start.year <= periods.MAX_YEAR - 2:
            problems["start"] = _("The year must lie between %(min)d and %(max)d.") % {
                "min": periods.MIN_YEAR,
                "max": periods.MAX_YEAR - 2,
            }
    return problems


def _area(scope_kind: str, area_code: str) -> tuple[AdminUnit | None, Grid | None]:
    if scope_kind in ("street", "community") and area_code:
        return AdminUnit.objects.filter(code=area_code, level=scope_kind).first(), None
    if scope_kind == "grid" and area_code:
        return None, Grid.all_objects.filter(code=area_code).first()
    return None, None


@transaction.atomic
def create_campaign(
    *,
    actor: User,
    name: str,
    class_prefix: str,
    scope_kind: str,
    area_code: str = "",
    start: dt.date,
    end: dt.date,
    description: str = "",
) -> Campaign:
    """Declare a campaign. The command centre and the administrators only
    (policies.may_manage_campaigns). Raises InvalidInput naming the first field at fault."""
    if not policies.may_manage_campaigns(actor):
        raise PermissionDenied(
            _("Only the command centre and the administrators declare campaigns."), field="actor"
        )
    name = name.strip()
    class_prefix = class_prefix.strip()
    area_code = area_code.strip()
    if scope_kind != "district" and area_code:
        problem = codes.code_problem(area_code, max_length=40)
        if problem is not None:
            raise InvalidInput(problem, field="area_code")
    unit, grid = _area(scope_kind, area_code)
    problems = campaign_problems(
        name=name,
        class_prefix=class_prefix,
        scope_kind=scope_kind,
        unit=unit,
        grid=grid,
        start=start,
        end=end,
    )
    if len(description) > DESCRIPTION_MAX:
        problems["description"] = _("A description has at most %(n)d characters.") % {
            "n": DESCRIPTION_MAX
        }
    if problems:
        field, message = next(iter(problems.items()))
        raise InvalidInput(message, field=field)
    return Campaign.objects.create(
        name=name,
        class_prefix=class_prefix,
        scope_kind=scope_kind,
        unit=unit,
        grid=grid,
        start=start,
        end=end,
        description=description,
        created_by=actor,
    )
