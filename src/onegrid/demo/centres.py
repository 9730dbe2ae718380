"""The demo's Party service centres (党群服务中心): the district's standardisation checklist, a
centre for every street and community (registered by the district's Party staff, ``party``,
at a point inside the place), and an inspection of each street centre and of some community
centres during the month, every item scored at or above the rectification line (so the demo
reports no rectification cases), each with the clock frozen at its moment in time order.

Without them /party/centres/, the centre pages, the inspection form and the community pages'
centres were empty on a fresh demo.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from django.utils.translation import gettext

from onegrid.org.models import User
from onegrid.party import centres
from onegrid.party.models import ChecklistItem, Inspection, ServiceCentre
from onegrid.territory.models import AdminUnit, Grid

from .party import STAFF_USERNAME
from .people import _district
from .volunteering import _Steps

CENTRES_SEED = 1217
COMMUNITY_INSPECTIONS = 0.3  # share of community centres inspected in the month
AppliesTo = ChecklistItem.AppliesTo
Category = ChecklistItem.Category
CHECKLIST = (
    (Category.SPACE, "服务场所面积达标，功能分区合理", 20, AppliesTo.BOTH),
    (Category.SIGNAGE, "门头标识、党建元素规范统一", 10, AppliesTo.BOTH),
    (Category.SERVICES, "公开服务事项清单，提供党员教育、便民服务", 25, AppliesTo.BOTH),
    (Category.HOURS, "公示开放时间，按时开放并实行错时延时服务", 15, AppliesTo.BOTH),
    (Category.STAFF, "配备专职工作人员，坐班值守制度落实", 15, AppliesTo.BOTH),
    (Category.SERVICES, "统筹辖区共建单位资源，定期开展共建活动", 15, AppliesTo.STREET),
    (Category.SPACE, "设置党员活动室和居民议事厅", 15, AppliesTo.COMMUNITY),
)
HOURS = "周一至周五 8:30-17:30，周六 9:00-12:00"
SERVICES = "党员教育、组织关系接转、志愿服务登记、便民服务、居民议事"


@dataclass
class CentreSummary:
    checklist: int = 0
    centres: int = 0
    inspections: int = 0
    refused: Counter = field(default_factory=Counter)
    made_now: bool = True
    seconds: float = 0.0

    def lines(self) -> list[str]:
        line = gettext(
            "Party service centres: %(centres)d centres, %(items)d checklist items, "
            "%(inspections)d inspections"
        ) % {"centres": self.centres, "items": self.checklist, "inspections": self.inspections}
        if not self.made_now:
            return [line + " " + gettext("(already there)")]
        out = [line + " " + gettext("(%(s).1f s)") % {"s": self.seconds}]
        if self.refused:
            out.append(
                "  "
                + gettext("refused by the services: %(what)s")
                % {"what": ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items()))}
            )
        return out


def _point(unit: AdminUnit) -> tuple[float, float] | None:
    """A point inside the place: its boundary's, or its first grid's."""
    shape = unit.geometry
    if shape is None:
        where = {"community": unit} if unit.level == AdminUnit.Level.COMMUNITY else {"street": unit}
        grid = Grid.objects.filter(**where).order_by("code").first()
        shape = grid.geometry if grid is not None else None
    if shape is None or shape.is_empty:
        return None
    point = shape.representative_point()
    return round(point.x, 6), round(point.y, 6)


def _checklist_item(**fields: object) -> None:
    centres.save_checklist_item(**fields)  # type: ignore[arg-type]


def _register(**fields: object) -> None:
    centres.register_centre(**fields)  # type: ignore[arg-type]


def _inspect(actor: User, centre: ServiceCentre, rng: random.Random, key: str) -> None:
    items = centres.applicable_items(centre.level)
    # At or above 60 % of each maximum (the rectification line): no case is reported.
    scores = {i.pk: rng.randint(math.ceil(0.6 * i.max_score), i.max_score) for i in items}
    centres.record_inspection(
        actor=actor, centre=centre, scores=scores, idempotency_key=key, note="季度标准化检查"
    )


def seed_centres(
    *, start: dt.datetime, end: dt.datetime, seed: int = CENTRES_SEED
) -> CentreSummary:
    """The checklist, the centres and the month's inspections (module docstring), unless the
    district has centres already."""
    result = CentreSummary()
    if ServiceCentre.objects.exists():
        result.made_now = False
        result.centres = ServiceCentre.objects.count()
        result.checklist = ChecklistItem.objects.count()
        result.inspections = Inspection.objects.count()
        return result
    began = time.perf_counter()
    rng = random.Random(seed)
    staff = User.objects.get(username=STAFF_USERNAME)
    steps = _Steps(result.refused)
    for order, (category, text, max_score, applies) in enumerate(CHECKLIST):
        steps.at(
            start,
            "checklist",
            partial(
                _checklist_item,
                actor=staff,
                category=category,
                text=text,
                max_score=max_score,
                applies_to=applies,
                order=order,
            ),
        )
    steps.run()
    district = _district()
    streets = list(AdminUnit.objects.filter(parent=district, level="street").order_by("code"))
    places = streets + list(
        AdminUnit.objects.filter(parent__in=streets, level="community").order_by("code")
    )
    for unit in places:
        point = _point(unit)
        if point is None:
            continue
        steps.at(
            start + dt.timedelta(hours=1),
            "centre",
            partial(
                _register,
                actor=staff,
                unit=unit,
                name=f"{unit.name}党群服务中心",
                lon=point[0],
                lat=point[1],
                address=f"{unit.name}便民服务大厅",
                floor_area_m2=rng.choice((300, 450, 600))
                if unit.level == "street"
                else rng.choice((120, 200, 260)),
                opening_hours=HOURS,
                services=SERVICES,
                phone=f"022-2{rng.randint(100, 999)}{rng.randint(1000, 9999)}",
            ),
        )
    steps.run()
    days = max(1, (end - start).days - 2)
    for centre in ServiceCentre.objects.order_by("pk"):
        if centre.level != "street" and rng.random() >= COMMUNITY_INSPECTIONS:
            continue
        at = start + dt.timedelta(days=rng.randint(1, days), hours=rng.randint(9, 16))
        steps.at(
            at, "inspection", partial(_inspect, staff, centre, rng, f"demo-centre-{centre.pk}")
        )
    steps.run()
    result.checklist = ChecklistItem.objects.count()
    result.centres = ServiceCentre.objects.count()
    result.inspections = Inspection.objects.count()
    result.seconds = time.perf_counter() - began
    return result
