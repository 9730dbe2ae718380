"""Hotspots and surge alerts API, mounted at /api/v1/insight/hotspots.

Thin: parse the query (insight.hotspots.parse_filters, parse_number), call one selector
(insight.hotspots, insight.alerts), render. Every figure is computed over the caller's area
(org.policies.scope_for): a street desk's hotspots use its street's cases only. Who may call:
org.policies.may_view_hotspots (leaders, supervision, the command centre, administrators and
street staff), else 403. A street or community outside the caller's area is a 404 naming the
field, the same as one that does not exist. Coordinates are WGS-84; times ISO 8601 (+08:00).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Router, Schema

from onegrid.core.api_errors import errors
from onegrid.org.requests import SignedInRequest

from . import alerts as alerts_module
from . import hotspots
from .alerts import AlertResult
from .hotspots import Filters, Heat, HotspotResult, RepeatResult

router = Router(tags=["insight: hotspots"])

# How many rows the big screen's summary carries.
SUMMARY_ROWS = 10
_PERIOD = (
    "The period: one of month=2026-03, week=2026-W10, quarter=2026-Q1, year=2026, or "
    "start=2026-03-01 with end=2026-03-15 (both days included); default the last 28 days."
)
_COMMON = (
    ("month", _PERIOD),
    ("week", "See month."),
    ("quarter", "See month."),
    ("year", "See month."),
    ("start", "First day (YYYY-MM-DD), with end."),
    ("end", "Last day (YYYY-MM-DD), included."),
    ("class", "A class code or its beginning (A: a major class; A0102: one class)."),
    ("street", "A street's 12-digit code within your area."),
    ("community", "A community's 12-digit code within your area."),
)


# The filters of the views that look back from now (repeat places, alerts): no period.
PLACE_PARAMS = ("class", "street", "community")
_PLACE = tuple(p for p in _COMMON if p[0] in PLACE_PARAMS)


def _extra(*more: tuple[str, str], common: tuple[tuple[str, str], ...] = _COMMON) -> dict:
    """The operation's query parameters for the OpenAPI document (the views read them from
    the request themselves, to refuse bad text with a field-naming message)."""
    return {
        "parameters": [
            {
                "in": "query",
                "name": name,
                "required": False,
                "schema": {"type": "string"},
                "description": text,
            }
            for name, text in (*common, *more)
        ]
    }


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


# --- schemas ---------------------------------------------------------------------------------


class HotspotPeriodOut(Schema):
    first: dt.date = Field(..., description="First day of the period.")
    last: dt.date = Field(..., description="Last day of the period (included).")
    label: str


class HotspotGridOut(Schema):
    code: str = Field(..., description="The grid's 15-digit code.")
    name: str
    community: str
    street: str
    count: int = Field(..., description="Cases reported in the grid in the period.")
    population: int | None
    rate: float | None = Field(..., description="Cases per 10,000 residents, when known.")
    z: float = Field(..., description="Getis–Ord Gi* z-score.")
    p: float = Field(..., description="Two-sided p-value (normal approximation).")
    q: float = Field(..., description="Benjamini–Hochberg adjusted p-value over the area.")
    bin: int = Field(..., description="+3/+2/+1 hot at 99/95/90 %, −3/−2/−1 cold, 0 none.")
    kind: str = Field(..., description="hot, cold or none.")
    confidence: int | None = Field(..., description="99, 95 or 90 (%), or null.")
    label: str


class HotspotsOut(Schema):
    period: HotspotPeriodOut
    class_prefix: str = Field(..., description="The class filter (a code or its beginning).")
    area: str
    basis: str = Field(..., description="count or rate (per 10,000 residents).")
    weights: str = Field(..., description="queen (shared boundary) or band (distance band).")
    band_m: float | None
    alpha: float = Field(..., description="False discovery rate level.")
    total: int
    isolated: int = Field(..., description="Grids with no neighbour in the area.")
    sparse: bool = Field(..., description="Few cases a grid: the approximation is rough.")
    hot: int
    cold: int
    computed_at: str
    grids: list[HotspotGridOut]


class HeatOut(Schema):
    period: HotspotPeriodOut
    class_prefix: str = Field(..., description="The class filter (a code or its beginning).")
    west: float
    south: float
    east: float
    north: float
    cols: int
    rows: int
    cell_m: float
    bandwidth_m: float
    levels: str = Field(
        ...,
        description="Base64 of rows × cols bytes, row by row from the north-west; a byte is "
        "the cell's density ÷ the highest × 255.",
    )
    peak_per_km2: float = Field(..., description="Cases per km² that level 255 stands for.")
    total: int
    computed_at: str


class RepeatPlaceOut(Schema):
    class_code: str
    class_name: str
    count: int
    open: int
    lon: float
    lat: float
    radius_m: float
    first: str
    last: str
    grid_code: str
    grid_name: str
    street: str
    numbers: list[str] = Field(..., description="Case numbers, newest first (at most 50).")


class RepeatsOut(Schema):
    days: int
    radius_m: float
    min_count: int
    since: str
    until: str
    class_prefix: str = Field(..., description="The class filter (a code or its beginning).")
    area: str
    computed_at: str
    places: list[RepeatPlaceOut]


class AlertOut(Schema):
    level: str = Field(..., description="street (street × major class) or area (× class).")
    level_label: str
    area_code: str
    area_name: str
    class_code: str
    class_name: str
    observed: int
    expected: float
    ratio: float | None
    p: float = Field(..., description="Upper-tail negative binomial (or Poisson) p-value.")
    dispersion: float
    baseline_windows: int
    seasonal: bool


class AlertsOut(Schema):
    window_start: str
    window_end: str
    window_days: int
    p_threshold: float
    min_count: int
    recent_windows: int
    years: int
    tested: int
    area: str
    class_prefix: str = Field(..., description="The class filter (a code or its beginning).")
    computed_at: str
    alerts: list[AlertOut]


class SummaryOut(Schema):
    computed_at: str
    area: str
    alert_count: int
    alerts: list[AlertOut]
    hot_count: int
    hot_grids: list[HotspotGridOut]
    repeat_count: int
    repeat_places: list[RepeatPlaceOut]
    page_url: str


# --- rendering -------------------------------------------------------------------------------


def _period(filters: Filters) -> dict[str, Any]:
    return {
        "first": filters.period.first,
        "last": filters.period.last,
        "label": str(filters.period.label()),
    }


def grid_row(g: hotspots.GridHotspot) -> dict[str, Any]:
    return {
        "code": g.code,
        "name": g.name,
        "community": g.community,
        "street": g.street,
        "count": g.count,
        "population": g.population,
        "rate": g.rate,
        "z": g.z,
        "p": g.p,
        "q": g.q,
        "bin": g.bin,
        "kind": g.kind,
        "confidence": g.confidence,
        "label": g.label,
    }


def place_row(p: hotspots.RepeatPlace) -> dict[str, Any]:
    return {
        "class_code": p.class_code,
        "class_name": p.class_name,
        "count": p.count,
        "open": p.open,
        "lon": p.lon,
        "lat": p.lat,
        "radius_m": p.radius_m,
        "first": _local(p.first),
        "last": _local(p.last),
        "grid_code": p.grid_code,
        "grid_name": p.grid_name,
        "street": p.street,
        "numbers": p.numbers,
    }


def alert_row(a: alerts_module.Alert) -> dict[str, Any]:
    return {
        "level": a.level,
        "level_label": a.level_label,
        "area_code": a.area_code,
        "area_name": a.area_name,
        "class_code": a.class_code,
        "class_name": a.class_name,
        "observed": a.observed,
        "expected": a.expected,
        "ratio": a.ratio,
        "p": a.p,
        "dispersion": a.dispersion,
        "baseline_windows": a.baseline_windows,
        "seasonal": a.seasonal,
    }


def hotspots_body(
    filters: Filters, result: HotspotResult, *, significant_only: bool = False
) -> dict[str, Any]:
    grids = result.significant if significant_only else result.grids
    return {
        "period": _period(filters),
        "class_prefix": result.class_prefix,
        "area": result.area_label,
        "basis": result.basis,
        "weights": result.weights,
        "band_m": result.band_m,
        "alpha": result.alpha,
        "total": result.total,
        "isolated": result.isolated,
        "sparse": result.sparse,
        "hot": len(result.hot),
        "cold": len(result.cold),
        "computed_at": _local(result.computed_at),
        "grids": [grid_row(g) for g in grids],
    }


def heat_body(filters: Filters, result: Heat) -> dict[str, Any]:
    return {
        "period": _period(filters),
        "class_prefix": result.class_prefix,
        "west": result.west,
        "south": result.south,
        "east": result.east,
        "north": result.north,
        "cols": result.cols,
        "rows": result.rows,
        "cell_m": result.cell_m,
        "bandwidth_m": result.bandwidth_m,
        "levels": result.levels,
        "peak_per_km2": result.peak_per_km2,
        "total": result.total,
        "computed_at": _local(result.computed_at),
    }


def repeats_body(result: RepeatResult) -> dict[str, Any]:
    return {
        "days": result.days,
        "radius_m": result.radius_m,
        "min_count": result.min_count,
        "since": _local(result.since),
        "until": _local(result.until),
        "class_prefix": result.class_prefix,
        "area": result.area_label,
        "computed_at": _local(result.computed_at),
        "places": [place_row(p) for p in result.places],
    }


def alerts_body(result: AlertResult) -> dict[str, Any]:
    return {
        "window_start": _local(result.window_start),
        "window_end": _local(result.window_end),
        "window_days": result.window_days,
        "p_threshold": result.p_threshold,
        "min_count": result.min_count,
        "recent_windows": result.recent_windows,
        "years": result.years,
        "tested": result.tested,
        "area": result.area_label,
        "class_prefix": result.class_prefix,
        "computed_at": _local(result.computed_at),
        "alerts": [alert_row(a) for a in result.alerts],
    }


# --- endpoints -------------------------------------------------------------------------------

FILTER_PARAMS = ("month", "week", "quarter", "year", "start", "end", *PLACE_PARAMS)


def filters_of(request: SignedInRequest, *, period: bool = True) -> Filters:
    """The shared filters of a request's query (API or page); with period=False only the
    class, street and community (the views that look back from now ignore a period)."""
    names = FILTER_PARAMS if period else PLACE_PARAMS
    return hotspots.parse_filters({n: request.GET.get(n) for n in names})


def hotspots_for(request: SignedInRequest) -> tuple[Filters, HotspotResult]:
    """Parse the hotspot query of a request (API or page) and compute it."""
    q = request.GET
    filters = filters_of(request)
    result = hotspots.hotspot_grids(
        request.user,
        start=filters.start,
        end=filters.end,
        **filters.place(),
        basis=(q.get("basis") or "count").strip(),
        weights=(q.get("weights") or "").strip() or None,
        band_m=hotspots.BAND_M.parse(q),
        alpha=hotspots.ALPHA.parse(q),
    )
    return filters, result


def repeats_for(request: SignedInRequest) -> RepeatResult:
    q = request.GET
    filters = filters_of(request, period=False)
    return hotspots.repeat_places(
        request.user,
        **filters.place(),
        days=hotspots.REPEAT_DAYS.parse_whole(q),
        radius_m=hotspots.REPEAT_RADIUS_M.parse(q),
        min_count=hotspots.REPEAT_MIN_COUNT.parse_whole(q),
    )


def alerts_for(request: SignedInRequest) -> AlertResult:
    q = request.GET
    filters = filters_of(request, period=False)
    return alerts_module.surge_alerts(
        request.user,
        **filters.place(),
        window_days=alerts_module.WINDOW_DAYS.parse_whole(q),
        p_threshold=alerts_module.P_THRESHOLD.parse(q),
        min_count=alerts_module.MIN_COUNT.parse_whole(q),
    )


@router.get(
    "/grids",
    url_name="hotspots_grids",
    response={200: HotspotsOut, **errors(401, 403, 404, 422)},
    summary="Getis–Ord Gi* hotspots of the grids in your area",
    openapi_extra=_extra(
        ("basis", "count (default) or rate (per 10,000 residents; every grid needs a population)."),
        ("weights", "queen (default: grids sharing a boundary point) or band (distance band)."),
        ("band_m", "The distance band in metres (50–20000), with weights=band."),
        ("alpha", "The false discovery rate level (0.001–0.2; default 0.05)."),
        ("significant", "1: only the hot and cold grids."),
    ),
)
def grids(request: SignedInRequest) -> dict[str, Any]:
    filters, result = hotspots_for(request)
    only = (request.GET.get("significant") or "").strip() in ("1", "true")
    return hotspots_body(filters, result, significant_only=only)


@router.get(
    "/heat",
    url_name="hotspots_heat",
    response={200: HeatOut, **errors(401, 403, 404, 422)},
    summary="Kernel density of the cases in your area, as a raster of one byte a cell",
    openapi_extra=_extra(("bandwidth_m", "Gaussian kernel bandwidth in metres (50–5000).")),
)
def heat(request: SignedInRequest) -> dict[str, Any]:
    filters = filters_of(request)
    result = hotspots.heat(
        request.user,
        start=filters.start,
        end=filters.end,
        **filters.place(),
        bandwidth_m=hotspots.BANDWIDTH_M.parse(request.GET),
    )
    return heat_body(filters, result)


@router.get(
    "/repeats",
    url_name="hotspots_repeats",
    response={200: RepeatsOut, **errors(401, 403, 404, 422)},
    summary="Repeat-problem places: one class reported K times within R metres in N days",
    openapi_extra=_extra(
        ("days", "N: the last N days (1–730; default 90)."),
        ("radius_m", "R: metres (5–2000; default 50)."),
        ("min_count", "K: reports (2–1000; default 3)."),
        common=_PLACE,
    ),
)
def repeats(request: SignedInRequest) -> dict[str, Any]:
    return repeats_body(repeats_for(request))


@router.get(
    "/alerts",
    url_name="hotspots_alerts",
    response={200: AlertsOut, **errors(401, 403, 404, 422)},
    summary="Surge alerts: a class in an area above its own seasonal baseline",
    openapi_extra=_extra(
        ("window_days", "Days of the current window, ending now (1–28; default 7)."),
        ("p", "Flag below this upper-tail p-value (default 0.01)."),
        ("min_count", "Flag only from this many cases in the window (default 5)."),
        common=_PLACE,
    ),
)
def alerts(request: SignedInRequest) -> dict[str, Any]:
    return alerts_body(alerts_for(request))


@router.get(
    "/summary",
    url_name="hotspots_summary",
    response={200: SummaryOut, **errors(401, 403)},
    summary="For the big screen: current alerts, the hottest grids of the last 28 days and "
    "the busiest repeat places, over your area",
)
def summary(request: SignedInRequest) -> dict[str, Any]:
    return summary_body(request)


def summary_body(request: SignedInRequest) -> dict[str, Any]:
    from django.urls import reverse

    user = request.user
    period = hotspots.default_period()
    with hotspots.one_reading():
        found = hotspots.hotspot_grids(
            user, start=period.first, end=period.last + dt.timedelta(days=1)
        )
        places = hotspots.repeat_places(user)
        raised = alerts_module.surge_alerts(user)
    return {
        "computed_at": _local(found.computed_at),
        "area": found.area_label,
        "alert_count": len(raised.alerts),
        "alerts": [alert_row(a) for a in raised.alerts[:SUMMARY_ROWS]],
        "hot_count": len(found.hot),
        "hot_grids": [grid_row(g) for g in found.hot[:SUMMARY_ROWS]],
        "repeat_count": len(places.places),
        "repeat_places": [place_row(p) for p in places.places[:SUMMARY_ROWS]],
        "page_url": reverse("web:hotspots"),
    }
