"""The smart-intake API at /api/v1/smart/: likely duplicates (smart.duplicates) and suggested
classes (smart.suggestions). Thin — parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.throttling import BaseThrottle

from onegrid.cases import selectors as case_selectors
from onegrid.cases.models import CaseClass
from onegrid.cases.schemas import local
from onegrid.core.api_errors import errors
from onegrid.core.errors import PermissionDenied
from onegrid.org import policies
from onegrid.org.requests import SignedInRequest

from . import duplicates, features, suggestions
from .models import Suggestion

router = Router(tags=["smart"])


class PerPerson(BaseThrottle):
    """At most ONEGRID["SMART_CALLS_PER_MINUTE"] calls a minute of one operation from one
    signed-in person (counted in the cache: per process, or shared with REDIS_URL). The checks
    the field app makes as the reporter types cost the server tens of milliseconds each.
    One instance serves every thread: nothing of a request is kept on it but the wait, which
    is per thread."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self._wait = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        limit = settings.ONEGRID["SMART_CALLS_PER_MINUTE"]
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        key = f"throttle_{self.scope}_{ident}"
        now = time.time()
        calls = [t for t in cache.get(key, []) if t > now - 60]  # newest first
        if len(calls) >= limit:
            self._wait.seconds = max(1.0, 60 - (now - calls[limit - 1]))
            return False
        cache.set(key, [now, *calls[: limit - 1]], 60)
        return True

    def wait(self) -> float | None:
        return getattr(self._wait, "seconds", None)


# --- likely duplicates (smart/duplicates.py) ---------------------------------------------------


class DuplicateCheckIn(Schema):
    lon: float | None = Field(
        None,
        description="longitude in the `crs` given (WGS-84 unless crs=gcj02), as the report "
        "API takes it; required unless `address_code` is given",
    )
    lat: float | None = Field(None, description="latitude in the `crs` given")
    crs: str = Field("wgs84", max_length=16, description="wgs84 (GPS) or gcj02 (phone maps)")
    address_code: str | None = Field(
        None, max_length=64, description="a standard address code instead of the point"
    )
    class_code: str = Field(..., max_length=20, description="the class the reporter chose")
    text: str = Field(
        "",
        max_length=duplicates.MAX_TEXT + duplicates.MAX_ADDRESS + 1,
        description="what the reporter wrote (description and address), may be empty",
    )


class ReasonOut(Schema):
    code: str = Field(description="same_class, same_group, same_major, distance, time or text")
    text: str


class DuplicateOut(Schema):
    score: float = Field(
        description="probability (0–1) that it is the same problem; for a case the caller may "
        "not see, of the distance and time shown (the middle of the 50 m step and of the hour)"
    )
    number: str | None = Field(description="case number; null for a case the caller may not see")
    url: str | None = Field(description="the case page; null for a case the caller may not see")
    class_code: str
    class_name: str
    state: str
    state_label: str
    open: bool
    place: str = Field(description="street and community")
    distance_m: int = Field(
        description="metres from the point; in 50 m steps for a case the caller may not see"
    )
    reported_at: dt.datetime = Field(
        description="Asia/Shanghai; to the hour for a case the caller may not see"
    )
    description: str | None = Field(
        description="the start of its description; null for a case the caller may not see"
    )
    reasons: list[ReasonOut]


class DuplicateCheckOut(Schema):
    threshold: float = Field(description="the score from which a case is a likely duplicate")
    candidates: list[DuplicateOut] = Field(description="likely duplicates, best first (up to 5)")


@router.post(
    "/duplicates",
    response={200: DuplicateCheckOut, **errors(400, 401, 403, 404, 422, 429)},
    summary="Likely duplicates of a report not sent yet",
    throttle=[PerPerson("smart_duplicates")],
)
def check_duplicates(request: SignedInRequest, payload: DuplicateCheckIn) -> dict[str, object]:
    """Open (or lately closed) cases near the place that are likely the same problem: for the
    field app's "already reported nearby" before a report is sent. Only a hint: the report may
    be sent anyway. Cases the caller may not see come as class, street and community, distance
    in 50 m steps, the hour and the state only, and only for classes of public-space problems."""
    _report, found = duplicates.check_report(
        actor=request.user,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        address_code=payload.address_code,
        class_code=payload.class_code,
        text=payload.text,
    )
    return {"threshold": duplicates.threshold(), "candidates": duplicates.describe(found)}


class CaseDuplicatesOut(Schema):
    threshold: float = Field(description="the score from which a case is a likely duplicate")
    may_merge: bool = Field(description="whether the caller may merge this case now")
    candidates: list[DuplicateOut] = Field(
        description="older open cases of its street the caller may see that are likely the same "
        "problem, best first (up to 5); merge with POST /api/v1/cases/{id}/actions/merge"
    )


@router.get(
    "/cases/{case_id}/duplicates",
    response={200: CaseDuplicatesOut, **errors(401, 404, 422)},
    summary="Likely duplicates of a stored case (for the desk)",
)
def case_duplicates(request: SignedInRequest, case_id: str) -> dict[str, object]:
    """What the case page's panel shows the desk: the older open cases of the case's street
    that are likely the same problem, while the case may still be merged."""
    case = case_selectors.get_case(request.user, case_id)
    return {
        "threshold": duplicates.threshold(),
        "may_merge": "merge" in case_selectors.allowed_actions(request.user, case),
        "candidates": duplicates.describe(duplicates.for_case(request.user, case)),
    }


# --- suggested class, department and urgency (smart/suggestions.py) ----------------------------


class SuggestIn(Schema):
    text: str = Field(
        ...,
        max_length=features.MAX_TEXT_CHARS,
        description="what the reporter has written so far (description, and title if any)",
    )


class DepartmentOut(Schema):
    code: str
    name: str


class ClassOptionOut(Schema):
    label: str = Field(description="the class as the model names it")
    class_code: str | None = Field(
        description="the catalogue class it stands for; null when the catalogue has none"
    )
    class_name: str
    major: str | None = Field(description="the major class's name")
    confidence: float = Field(description="calibrated probability, 0–1")
    department: DepartmentOut | None = Field(
        description="the department the dispatch rule gives the class (its default)"
    )
    police: bool = Field(
        description="a police class: it goes to the police station of the case's street"
    )
    urgency: str | None = Field(description="the class's urgency: red, yellow or blue")
    urgency_label: str | None


class LearnedOut(Schema):
    value: str = Field(description="a department code, or an urgency")
    label: str
    confidence: float


class SuggestionOut(Schema):
    model_version: str | None = Field(description="null: no model has been trained yet")
    suggestions: list[ClassOptionOut] = Field(description="up to three, most likely first")
    learned_department: LearnedOut | None = Field(
        description="the department the model learned from the cases' own, when it did"
    )
    learned_urgency: LearnedOut | None


class CaseSuggestionOut(SuggestionOut):
    suggested_at: dt.datetime | None
    case_class: str = Field(description="the case's class now")
    corrected: bool = Field(description="a desk changed the case's class after the suggestion")


def _urgency_label(value: str) -> str | None:
    return str(CaseClass.Urgency(value).label) if value in CaseClass.Urgency.values else None


def _option(option: suggestions.ClassOption) -> dict[str, object]:
    c = option.case_class
    return {
        "label": option.label,
        "class_code": c.code if c else None,
        "class_name": option.name,
        "major": c.major.name if c else None,
        "confidence": round(option.confidence, 4),
        "department": {"code": option.department.code, "name": option.department.name}
        if option.department
        else None,
        "police": option.police,
        "urgency": option.urgency or None,
        "urgency_label": _urgency_label(option.urgency),
    }


def _learned(suggestion: suggestions.TextSuggestion | Suggestion) -> dict[str, object]:
    """What the model learned of department and urgency: of a suggestion made now, or stored
    (both name them alike)."""
    department, urgency = suggestion.learned_department, suggestion.learned_urgency
    return {
        "learned_department": {
            "value": department.code,
            "label": department.name,
            "confidence": round(suggestion.learned_department_confidence or 0, 4),
        }
        if department
        else None,
        "learned_urgency": {
            "value": urgency,
            "label": _urgency_label(urgency) or urgency,
            "confidence": round(suggestion.learned_urgency_confidence or 0, 4),
        }
        if urgency
        else None,
    }


@router.post(
    "/suggest",
    response={200: SuggestionOut, **errors(400, 401, 403, 422, 429)},
    summary="Suggested class, department and urgency for a report's text",
    throttle=[PerPerson("smart_suggest")],
)
def suggest(request: SignedInRequest, payload: SuggestIn) -> dict[str, object]:
    """The top three classes for the text with their calibrated confidence, and for each the
    department and urgency of the catalogue's rules; for the field app while the reporter types
    (nothing is stored). Without a trained model the list is empty and `model_version` null."""
    if not policies.may_report(request.user):
        raise PermissionDenied(_("Your role may not report problems."), field="actor")
    suggestion = suggestions.suggest_text(payload.text)
    if suggestion is None:
        return {
            "model_version": None,
            "suggestions": [],
            "learned_department": None,
            "learned_urgency": None,
        }
    return {
        "model_version": suggestion.model_version,
        "suggestions": [_option(o) for o in suggestion.options],
        **_learned(suggestion),
    }


@router.get(
    "/cases/{case_id}/suggestion",
    response={200: CaseSuggestionOut, **errors(401, 404, 422)},
    summary="The suggestion for a stored case",
)
def case_suggestion(request: SignedInRequest, case_id: str) -> dict[str, object]:
    """The suggestion stored for the case (made now when it has none yet and a model and a
    description exist), with whether a desk changed the class since."""
    case = case_selectors.get_case(request.user, case_id)
    row = suggestions.suggestion_for(case)
    out: dict[str, object] = {
        "model_version": None,
        "suggestions": [],
        "learned_department": None,
        "learned_urgency": None,
        "suggested_at": None,
        "case_class": case.case_class.code,
        "corrected": False,
    }
    if row is None:
        return out
    out.update(
        model_version=row.model_version,
        suggestions=[_option(o) for o in suggestions.stored_options(row, case)],
        suggested_at=local(row.created_at),
        corrected=row.corrected_class_id is not None,
        **_learned(row),
    )
    return out
