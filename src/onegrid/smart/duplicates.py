"""Likely duplicates at report time: is a new report the same problem as a case already reported?

The score of a (new report, earlier case) pair is the probability, under a logistic model, that
both are the same problem on the ground (docs/architecture.md "Likely duplicates"):

    z = b0 + b_dist · metres/100 + b_group · [same class group] + b_class · [same minor class]
          + b_time · ln(1 + hours)
          + (b_text · similarity   when both have text,  b_notext  otherwise)
    score = 1 / (1 + e^(−z))

over earlier cases of the same major class within DUPLICATE_RADIUS_M metres and
DUPLICATE_WINDOW_DAYS days; `similarity` is text_similarity.similarity of the two texts
(description and address). A class group is the classes whose codes differ only in their last
two characters (A0102 暴露垃圾 and A0104 散落垃圾 in A01 市容环境): the same minor class counts
most, then the same group, then the same major class only. The coefficients (MODEL) were
fitted on labelled pairs the simulator makes (demo.simulator: second reporters of the same
problem, and look-alikes close by), the threshold chosen by cross-validation; `onegrid
duplicates evaluate` measures them again on another seed and `--fit` refits them. A pair
at or above ONEGRID["DUPLICATE_THRESHOLD"] is a likely duplicate.

Who sees what:
- the street desk (case page, console) gets the older open cases of the same street it may see,
  in full, to merge with the workflow's `merge` action (cases.workflow: people decide);
- a reporter about to send gets the hint "already reported nearby": open (or closed in the last
  RECENTLY_CLOSED) cases nearby. Those the reporter may see come in full; the others only as
  class, coarse place (street and community, distance in 50 m steps), the hour and the state,
  scored without their text (so no wording of theirs can be probed), and only for the classes
  of ONEGRID["DUPLICATE_HINT_CLASSES"] (problems in public space, never disputes, special
  groups or personal requests).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onegrid.cases import selectors as case_selectors
from onegrid.cases.facts import bounding_box
from onegrid.cases.models import Case, CaseClass
from onegrid.cases.services import MAX_DESCRIPTION
from onegrid.cases.states import OPEN_STATES, STATE_LABELS, State
from onegrid.core import clock
from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory import addresses, geometry, locator

from . import text_similarity

RECENTLY_CLOSED = dt.timedelta(days=3)
CLOSED_STATES = frozenset({State.CLOSED, State.SELF_CLOSED})
MAX_TEXT = MAX_DESCRIPTION  # a report's description
MAX_ADDRESS = 200  # Case.address
HINT_METRES_STEP = 50


@dataclass(frozen=True)
class Report:
    """What a duplicate check knows of a report: where (WGS-84), what, when and the words."""

    lon: float
    lat: float
    class_code: str
    major: str
    at: dt.datetime
    text: str = ""


@dataclass(frozen=True)
class Evidence:
    """How a pair compares: the model's inputs, also shown as the reasons of a score."""

    metres: float
    same_class: bool  # the same minor class
    same_group: bool  # the same class group (codes equal but for the last two characters)
    hours: float  # how long after the earlier report the new one came
    text: float | None  # similarity of the texts; None when either has none (or may not be read)


@dataclass(frozen=True)
class Model:
    """The logistic model's coefficients (see the module's docstring)."""

    intercept: float
    per_100m: float
    same_group: float
    same_class: float
    log_hours: float
    text: float
    no_text: float

    def logit(self, e: Evidence) -> float:
        z = (
            self.intercept
            + self.per_100m * e.metres / 100.0
            + self.same_group * float(e.same_group)
            + self.same_class * float(e.same_class)
            + self.log_hours * math.log1p(max(e.hours, 0.0))
        )
        return z + (self.no_text if e.text is None else self.text * e.text)

    def score(self, e: Evidence) -> float:
        z = self.logit(e)
        if z < -50:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))


# Fitted by `onegrid duplicates evaluate --fit` on the simulator's plan (FIT_SEED, 30 days,
# 120 reports a working day); docs/performance.md has the run and its figures.
FIT_SEED = 1
MODEL = Model(
    intercept=-2.161,
    per_100m=-5.657,
    same_group=2.432,
    same_class=0.079,
    log_hours=-0.975,
    text=11.150,
    no_text=3.343,
)


def evidence(new: Report, old: Report, *, read_text: bool = True) -> Evidence:
    """What the pair has in common; `read_text` False scores it as if the earlier had no text."""
    return Evidence(
        metres=case_selectors.distance_m(new.lon, new.lat, old.lon, old.lat),
        same_class=new.class_code == old.class_code,
        same_group=class_group(new.class_code) == class_group(old.class_code),
        hours=max(0.0, (new.at - old.at).total_seconds() / 3600.0),
        text=text_similarity.similarity(new.text, old.text) if read_text else None,
    )


def class_group(code: str) -> str:
    """The class's group: its code without the last two characters (A0102 → A01)."""
    return code[:-2] if len(code) > 2 else code


def score(e: Evidence, model: Model = MODEL) -> float:
    return model.score(e)


def threshold() -> float:
    return settings.ONEGRID["DUPLICATE_THRESHOLD"]


def reasons(e: Evidence, *, coarse: bool = False) -> list[dict[str, str]]:
    """The evidence in words, one {code, text} per input of the score; `coarse`: distance in
    steps of HINT_METRES_STEP metres, as the hint shows it."""
    if e.same_class:
        kin = {"code": "same_class", "text": _("same class")}
    elif e.same_group:
        kin = {"code": "same_group", "text": _("a neighbouring class of the same group")}
    else:
        kin = {"code": "same_major", "text": _("same major class, another group")}
    out = [
        kin,
        {"code": "distance", "text": distance_text(e.metres, coarse=coarse)},
        {"code": "time", "text": gap_text(e.hours, coarse=coarse)},
    ]
    if e.text is not None:
        out.append(
            {
                "code": "text",
                "text": _("wording %(percent)d%% alike") % {"percent": round(100 * e.text)},
            }
        )
    return out


def coarse_metres(metres: float) -> int:
    """Metres rounded up to the hint's step (never 0: "within 50 m")."""
    return max(1, math.ceil(metres / HINT_METRES_STEP)) * HINT_METRES_STEP


def distance_text(metres: float, *, coarse: bool = False) -> str:
    if coarse:
        return _("within %(m)d m") % {"m": coarse_metres(metres)}
    return _("%(m)d m away") % {"m": round(metres)}


def gap_text(hours: float, *, coarse: bool = False) -> str:
    if hours < 1 and coarse:
        return _("within the last hour")
    if hours < 1:
        return _("%(n)d minutes earlier") % {"n": max(1, round(hours * 60))}
    if hours < 48:
        return _("%(n)d hours earlier") % {"n": round(hours)}
    return _("%(n)d days earlier") % {"n": round(hours / 24)}


# --- cases -----------------------------------------------------------------------------------


def case_text(case: Case) -> str:
    return f"{case.description} {case.address}".strip()


def report_of(case: Case) -> Report:
    return Report(
        lon=case.lon,
        lat=case.lat,
        class_code=case.case_class.code,
        major=case.case_class.major.code,
        at=case.reported_at,
        text=case_text(case),
    )


@dataclass
class Candidate:
    """An earlier case a report may duplicate, with its score and evidence."""

    case: Case
    score: float
    evidence: Evidence
    visible: bool  # the caller may see the case: shown in full; else only as a hint
    key: str = ""  # an idempotency key for the merge form

    @property
    def percent(self) -> int:
        return round(100 * self.score)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.case.state, self.case.state))

    @property
    def reasons(self) -> list[dict[str, str]]:
        return reasons(self.evidence, coarse=not self.visible)

    @property
    def mergeable(self) -> bool:
        return self.case.state in OPEN_STATES and self.case.merged_into_id is None


def _near(lon: float, lat: float, radius: float) -> Q:
    """The database's box around the circle (cases.facts.bounding_box, with a margin): the
    exact distance is checked on what it finds."""
    west, east, south, north = bounding_box(lon, lat, radius)
    return Q(lon__range=(west, east), lat__range=(south, north))


def search_window() -> dt.timedelta:
    """How far back a check looks for an earlier case (ONEGRID["DUPLICATE_WINDOW_DAYS"])."""
    return dt.timedelta(days=settings.ONEGRID["DUPLICATE_WINDOW_DAYS"])


def search_radius_m() -> float:
    """How far around a check looks for an earlier case (ONEGRID["DUPLICATE_RADIUS_M"])."""
    return settings.ONEGRID["DUPLICATE_RADIUS_M"]


def for_case(user: User, case: Case, *, limit: int = 5) -> list[Candidate]:
    """For the desk: the older open cases of the same street `user` may see that `case` likely
    duplicates, best first. Empty once the case may no longer be merged."""
    return for_many(user, [case], limit=limit).get(case.pk, [])


def for_many(
    user: User, cases: Iterable[Case], *, limit: int = 5
) -> dict[uuid.UUID, list[Candidate]]:
    """`for_case` for a list of cases (the console's queue) in one query: the box around every
    case, then the scores here. Only cases reported before a case are offered (a merge runs
    into the older case) and only within its street (merges stay inside one street)."""
    fresh = [c for c in cases if c.state in case_selectors.MERGEABLE_STATES]
    if not fresh:
        return {}
    prefetch_related_objects(fresh, "case_class__major")
    radius, window, cut = search_radius_m(), search_window(), threshold()
    near_any = Q()
    for case in fresh:
        near_any |= _near(case.lon, case.lat, radius) & Q(
            case_class__major_id=case.case_class.major_id,
            street_id=case.street_id,
            reported_at__lte=case.reported_at,
            reported_at__gte=case.reported_at - window,
        )
    nearby = list(
        case_selectors.visible_cases(user)
        .filter(near_any, state__in=OPEN_STATES, merged_into__isnull=True)
        .select_related("case_class__major")
    )
    found: dict[uuid.UUID, list[Candidate]] = {}
    for case in fresh:
        new = report_of(case)
        pairs = []
        for other in nearby:
            if (
                other.pk == case.pk
                or other.street_id != case.street_id
                or other.case_class.major_id != case.case_class.major_id
                or not case.reported_at - window <= other.reported_at <= case.reported_at
            ):
                continue
            e = evidence(new, report_of(other))
            if e.metres > radius:
                continue
            s = score(e)
            if s >= cut:
                pairs.append(Candidate(other, s, e, visible=True, key=uuid.uuid4().hex))
        if pairs:
            pairs.sort(key=lambda c: (-c.score, c.evidence.metres))
            found[case.pk] = pairs[:limit]
    return found


def hint_class(code: str) -> bool:
    """Whether a case of this class may be hinted to a reporter who may not see it."""
    prefixes = [p.strip() for p in settings.ONEGRID["DUPLICATE_HINT_CLASSES"].split(",")]
    return any(p and code.startswith(p) for p in prefixes)


def nearby_reports(user: User, report: Report, *, limit: int = 5) -> list[Candidate]:
    """For a reporter about to send `report`: the likely duplicates among the open (or lately
    closed) cases nearby, best first. Cases `user` may not see are scored without their text and
    offered only for hint classes; the caller shows them as hints only (Candidate.visible)."""
    radius, now = search_radius_m(), report.at
    since = now - search_window()
    lately = Q(state__in=CLOSED_STATES, closed_at__gte=now - RECENTLY_CLOSED)
    rows = list(
        Case.objects.filter(
            _near(report.lon, report.lat, radius),
            Q(state__in=OPEN_STATES, merged_into__isnull=True) | lately,
            case_class__major__code=report.major,
            reported_at__gte=since,
            reported_at__lte=now,
        )
        .select_related("case_class__major", "street", "community")
        .defer("street__geometry_wkb", "community__geometry_wkb")
        .order_by("-reported_at")[:500]
    )
    if not rows:
        return []
    seen = set(
        case_selectors.visible_cases(user)
        .filter(pk__in=[c.pk for c in rows])
        .values_list("pk", flat=True)
    )
    cut = threshold()
    found = []
    for case in rows:
        visible = case.pk in seen
        if not visible and not hint_class(case.case_class.code):
            continue
        e = evidence(report, report_of(case), read_text=visible)
        if e.metres > radius:
            continue
        s = score(e)
        if s >= cut:
            found.append(Candidate(case, s, e, visible=visible))
    found.sort(key=lambda c: (-c.score, c.evidence.metres))
    return found[:limit]


def check_report(
    *,
    actor: User,
    class_code: object,
    lon: object = None,
    lat: object = None,
    crs: str = "wgs84",
    address_code: str | None = None,
    text: object = "",
    limit: int = 5,
) -> tuple[Report, list[Candidate]]:
    """The duplicate check of a report not sent yet (the field app's "already reported
    nearby"): the place as the report API takes it (a point in `crs`, or a standard address),
    its class and words. Never blocks a report; refuses bad input naming the field."""
    if not policies.may_report(actor):
        raise PermissionDenied(_("Your role may not report problems."), field="actor")
    lon_w, lat_w = _place(lon, lat, crs, address_code)
    code = _code(class_code, "class_code", 20)
    case_class = (
        CaseClass.objects.filter(code=code, active=True).select_related("major").first()
        if code
        else None
    )
    if case_class is None:
        raise InvalidInput(
            _("Unknown problem class %(code)s.") % {"code": code}, field="class_code"
        )
    words = str(text or "")
    if len(words) > MAX_TEXT + MAX_ADDRESS + 1:
        raise InvalidInput(
            _("%(field)s is longer than %(n)d characters.")
            % {"field": "text", "n": MAX_TEXT + MAX_ADDRESS + 1},
            field="text",
        )
    report = Report(
        lon=lon_w,
        lat=lat_w,
        class_code=case_class.code,
        major=case_class.major.code,
        at=clock.now(),
        text=words,
    )
    return report, nearby_reports(actor, report, limit=limit)


def _code(value: object, field: str, limit: int) -> str:
    """A code as typed, trimmed; refused (naming `field`) when too long or holding control or
    format characters, which no code has (and PostgreSQL refuses NUL in a query)."""
    text = str(value or "").strip()
    if len(text) > limit or any(unicodedata.category(c)[0] == "C" for c in text):
        raise InvalidInput(_("%(field)s is not a valid code.") % {"field": field}, field=field)
    return text


def _place(lon: object, lat: object, crs: str, address_code: str | None) -> tuple[float, float]:
    code = _code(address_code, "address_code", 64)
    if code:
        address = addresses.get_address(code)
        return address.lon, address.lat
    if lon is None and lat is None:
        raise InvalidInput(
            _("Give the place: a point (lon, lat) or a standard address (address_code)."),
            field="lon",
        )
    x, y = geometry.to_wgs84(lon, lat, crs)
    locator.locate_or_error(x, y)
    return x, y


def describe(candidates: Sequence[Candidate]) -> list[dict[str, object]]:
    """The candidates as the API answers them: in full where the caller may see the case,
    else only class, coarse place, the hour and the state."""
    out: list[dict[str, object]] = []
    for c in candidates:
        case = c.case
        item: dict[str, object] = {
            "score": round(c.score if c.visible else hint_score(c), 3),
            "class_code": case.case_class.code,
            "class_name": case.case_class.name,
            "state": case.state,
            "state_label": str(STATE_LABELS.get(case.state, case.state)),
            "open": case.state in OPEN_STATES,
            "place": f"{case.street.name} {case.community.name}",
            "reasons": reasons(c.evidence, coarse=not c.visible),
        }
        at = timezone.localtime(case.reported_at)
        if c.visible:
            item |= {
                "number": case.number,
                "url": reverse("web:case", args=[case.number]),
                "distance_m": round(c.evidence.metres),
                "reported_at": at,
                "description": snippet(case.description),
            }
        else:
            item |= {
                "number": None,
                "url": None,
                "distance_m": coarse_metres(c.evidence.metres),
                "reported_at": at.replace(minute=0, second=0, microsecond=0),
                "description": None,
            }
        out.append(item)
    return out


def hint_score(c: Candidate) -> float:
    """A hidden case's score as the hint may show it: of the distance and time it shows (the
    middle of its 50 m step, the middle of its hour), not of the exact ones. The model's
    coefficients are public, so the exact score would give back the metres and minutes the hint
    hides: the logits of two points 10 m apart differ by per_100m / 10."""
    e = c.evidence
    metres = coarse_metres(e.metres) - HINT_METRES_STEP / 2
    reported = c.case.reported_at
    into_hour = (reported - reported.replace(minute=0, second=0, microsecond=0)).total_seconds()
    hours = max(0.0, e.hours + into_hour / 3600.0 - 0.5)
    return score(Evidence(metres, e.same_class, e.same_group, hours, None))


def snippet(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
