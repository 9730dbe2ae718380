"""The hotspots page (/console/hotspots/): a map of the Gi* hot and cold grids with the heat
map, repeat-problem places and surge-alert streets over it, and the three tables, each as CSV
or XLSX with exactly the page's filters and scope. Routes listed in `routes`.

Who may open it: org.policies.may_view_hotspots (PAGE_ROLES["hotspots"]). What it shows comes
from insight.hotspots and insight.alerts over the reader's area, as the API
(insight/hotspots_api.py) gives it; the page reads the same query parameters through the same
parsers, so a link to the page and to the API with one query show the same figures.
`/console/hotspots/cases/` lists the cases behind a figure (a grid's count, a repeat place, an
alert), scoped the same way.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from onegrid.cases.states import STATE_LABELS
from onegrid.core import clock
from onegrid.core.errors import DomainError, InvalidInput
from onegrid.insight import alerts as alert_rules
from onegrid.insight import hotspots, hotspots_api
from onegrid.insight.alerts import AlertResult
from onegrid.insight.hotspots import Filters, HotspotResult, RepeatResult
from onegrid.org.selectors import visible_streets

from .. import downloads
from ..access import page
from .paging import query_without_page

PAGE_SIZE = 50
MAP_PLACES = 300  # repeat places drawn on the page's map: those with most reports
TABLES = ("grids", "repeats", "alerts")
# The method's own settings a reader may change on the page (and in the API), besides the
# shared filters; each is checked where it is used (insight.hotspots, insight.alerts).
METHOD_PARAMS = (
    "basis",
    "weights",
    "band_m",
    "alpha",
    "days",
    "radius_m",
    "min_count",
    "window_days",
    "p",
)

GRID_COLUMNS = [
    ("code", gettext_lazy("Grid code")),
    ("name", gettext_lazy("Grid")),
    ("community", gettext_lazy("Community")),
    ("street", gettext_lazy("Street")),
    ("count", gettext_lazy("Cases")),
    ("rate", gettext_lazy("Per 10,000 residents")),
    ("z", gettext_lazy("Gi* z-score")),
    ("p", gettext_lazy("p-value")),
    ("q", gettext_lazy("FDR-adjusted p (q)")),
    ("label", gettext_lazy("Class")),
]
REPEAT_COLUMNS = [
    ("class_code", gettext_lazy("Class code")),
    ("class_name", gettext_lazy("Class")),
    ("count", gettext_lazy("Reports")),
    ("open", gettext_lazy("Still open")),
    ("first", gettext_lazy("First report")),
    ("last", gettext_lazy("Last report")),
    ("street", gettext_lazy("Street")),
    ("grid_name", gettext_lazy("Grid")),
    ("grid_code", gettext_lazy("Grid code")),
    ("radius_m", gettext_lazy("Radius (m)")),
    ("lon", gettext_lazy("Longitude (WGS-84)")),
    ("lat", gettext_lazy("Latitude (WGS-84)")),
    ("numbers", gettext_lazy("Cases")),
]
ALERT_COLUMNS = [
    ("level", gettext_lazy("Series")),
    ("area_name", gettext_lazy("Area")),
    ("class_code", gettext_lazy("Class code")),
    ("class_name", gettext_lazy("Class")),
    ("observed", gettext_lazy("Observed")),
    ("expected", gettext_lazy("Expected")),
    ("ratio", gettext_lazy("Ratio")),
    ("p", gettext_lazy("p-value")),
    ("baseline_windows", gettext_lazy("Baseline windows")),
    ("seasonal", gettext_lazy("Same season of earlier years")),
]


@page("hotspots")
@require_GET
def hotspots_page(request):
    """The page, or with `?table=grids|repeats|alerts&format=csv|xlsx` one of its tables."""
    errors: dict[str, str] = {}
    filters = None
    found: HotspotResult | None = None
    places: RepeatResult | None = None
    raised: AlertResult | None = None
    try:
        with hotspots.one_reading():
            filters, found = hotspots_api.hotspots_for(request)
            places = hotspots_api.repeats_for(request)
            raised = hotspots_api.alerts_for(request)
    except DomainError as error:
        errors[error.field or "filters"] = str(error.message)
    fmt = request.GET.get(downloads.FORMAT_PARAM)
    if fmt is not None:
        if errors:
            field, message = next(iter(errors.items()))
            refusal = downloads.DownloadRefused(message, field=field)
            return downloads.refusal_response(request, refusal)
        assert found is not None and places is not None and raised is not None
        return _download(request, fmt, found, places, raised)
    return _render(request, filters, found, places, raised, errors)


def _render(request, filters, found, places, raised, errors):
    period = filters.period if filters else hotspots.default_period()
    chosen = {
        n: (request.GET.get(n) or "").strip() for n in (*hotspots_api.FILTER_PARAMS, *METHOD_PARAMS)
    }
    chosen["start"] = chosen["start"] or period.first.isoformat()
    chosen["end"] = chosen["end"] or period.last.isoformat()
    query = query_without_page(request, downloads.FORMAT_PARAM, "table")
    # Repeat places can run to thousands district-wide: the table pages them (`rpage`), the
    # map draws the MAP_PLACES with most reports; the download holds every page.
    place_page = Paginator(places.places if places else [], PAGE_SIZE).get_page(
        request.GET.get("rpage")
    )
    links = {
        table: {
            fmt: "?" + urlencode({**dict(request.GET.items()), "table": table, "format": fmt})
            for fmt in downloads.FORMATS
        }
        for table in TABLES
    }
    context = {
        "active_page": "hotspots",
        "filters": filters,
        "period": period,
        "chosen": chosen,
        "errors": errors,
        "found": found,
        "grids": found.significant if found else [],
        "places": places.places if places else [],
        "repeat": places,
        "raised": raised,
        "alert_rows": [alert_view(a, raised) for a in raised.alerts] if raised else [],
        "place_page": place_page,
        "place_rows": [_place_view(p, places) for p in place_page.object_list],
        "place_query": query_without_page(request, downloads.FORMAT_PARAM, "table", "rpage"),
        "grid_rows": [_grid_view(g, filters) for g in found.significant] if found else [],
        "classes": hotspots.class_choices(),
        "streets": visible_streets(request.user),
        "downloads": links,
        "query": query,
        "map_config": _map_config(request, found, places, raised),
        "map_strings": _strings(),
    }
    return render(request, "web/hotspots/page.html", context, status=400 if errors else 200)


def _cases_link(**params: object) -> str:
    given = {k: v for k, v in params.items() if v not in (None, "")}
    return reverse("web:hotspot_cases") + "?" + urlencode(given)


def _grid_view(g: hotspots.GridHotspot, filters: Filters | None) -> dict[str, Any]:
    period = filters.period.query() if filters else {}
    return {
        "grid": g,
        "cases_url": _cases_link(
            grid=g.code, **period, **{"class": filters.class_prefix if filters else ""}
        ),
    }


def _place_view(p: hotspots.RepeatPlace, result: RepeatResult) -> dict[str, Any]:
    return {
        "place": p,
        "cases_url": _cases_link(
            lon=f"{p.lon:.6f}",
            lat=f"{p.lat:.6f}",
            radius_m=_place_radius(p, result),
            days=result.days,
            **{"class": p.class_code},
        ),
    }


def _place_radius(p: hotspots.RepeatPlace, result: RepeatResult) -> int:
    """A circle round the place's centre that holds every one of its reports."""
    return max(int(result.radius_m), math.ceil(p.radius_m) + 1)


def alert_view(a: alert_rules.Alert, result: AlertResult) -> dict[str, Any]:
    return {
        "alert": a,
        "cases_url": _cases_link(
            street=a.area_code,
            days=result.window_days,
            **{"class": a.class_code},
        ),
    }


def _map_config(request, found, places, raised) -> dict[str, Any]:
    heat_query = {k: v for k, v in request.GET.items() if k in hotspots_api.FILTER_PARAMS}
    return {
        "gridsUrl": reverse("web:map_grids"),
        "heatUrl": reverse("api:hotspots_heat") + "?" + urlencode(heat_query),
        "tileUrl": "",
        "bins": {g.code: g.bin for g in found.significant} if found else {},
        "places": [
            {
                "lon": p.lon,
                "lat": p.lat,
                "radius": _place_radius(p, places),
                "count": p.count,
                "label": f"{p.class_name} · {p.count}",
                "url": _place_view(p, places)["cases_url"],
            }
            for p in (places.places[:MAP_PLACES] if places else [])
        ],
        "alertStreets": sorted({a.area_code for a in raised.alerts if a.area_code})
        if raised
        else [],
    }


def _strings() -> dict[str, str]:
    # The Gi* classes' labels as the tables show them (hotspots.bin_label): hot3…hot1, cold1…
    # cold3 (layers.js binKey), none.
    bins = {f"hot{k}": str(hotspots.bin_label(k)) for k in (3, 2, 1)}
    bins |= {f"cold{k}": str(hotspots.bin_label(-k)) for k in (1, 2, 3)}
    return {
        "loading": _("Loading…"),
        "loadFailed": _("The map could not be loaded."),
        "heatFailed": _("The heat map could not be loaded."),
        **bins,
        "none": str(hotspots.bin_label(0)),
        "alertStreet": _("Street with a surge alert"),
        "repeatPlace": _("Repeat-problem place"),
        "cases": _("Cases"),
        "heatPeak": _("Darkest: %(peak)s cases per km²"),
    }


def map_layers() -> dict[str, str]:
    """The live map's hotspot layers (for those who may see hotspots): the API's URLs for the
    last 28 days over the reader's area."""
    return {
        "hotspotsUrl": reverse("api:hotspots_grids") + "?significant=1",
        "heatUrl": reverse("api:hotspots_heat"),
        "alertsUrl": reverse("api:hotspots_alerts"),
        "hotspotsPage": reverse("web:hotspots"),
    }


def map_layer_strings() -> dict[str, str]:
    """The texts the live map's hotspot layers show."""
    strings = _strings()
    return {
        key: strings[key]
        for key in ("hot3", "hot2", "hot1", "cold1", "cold2", "cold3", "none", "alertStreet")
    } | {
        "heatFailed": strings["heatFailed"],
        "hotspotsFailed": _("The hotspots could not be loaded."),
        "hotspotsOf": _("Gi* hotspots of the last 28 days; %(n)s surge alerts."),
    }


# --- downloads -------------------------------------------------------------------------------


def _download(request, fmt: str, found, places, raised):
    table = request.GET.get("table", "")
    if table not in TABLES:
        refusal = downloads.DownloadRefused(
            _("Choose the table to download: grids, repeats or alerts."), field="table"
        )
        return downloads.refusal_response(request, refusal)
    if table == "grids":
        name, title, columns = _("hotspots"), _("Hotspots"), GRID_COLUMNS
        rows = [_grid_row(g) for g in found.significant]
    elif table == "repeats":
        name, title, columns = _("repeat places"), _("Repeat places"), REPEAT_COLUMNS
        rows = [_repeat_row(p) for p in places.places]
    else:
        name, title, columns = _("surge alerts"), _("Surge alerts"), ALERT_COLUMNS
        rows = [_alert_row(a) for a in raised.alerts]
    return downloads.table_download(
        request,
        fmt=fmt,
        filename=f"{name}-{downloads.stamp()}",
        columns=columns,
        rows=rows,
        sheet_title=title,
    )


# A table's rows are the API's rows (insight.hotspots_api), which the columns pick from, with
# what a table shows differently: probabilities to four digits, times as times, the case
# numbers in one cell, the series by its label.


def _grid_row(g: hotspots.GridHotspot) -> Mapping[str, object]:
    return hotspots_api.grid_row(g) | {"p": _sig(g.p), "q": _sig(g.q)}


def _repeat_row(p: hotspots.RepeatPlace) -> Mapping[str, object]:
    return hotspots_api.place_row(p) | {
        "first": p.first,
        "last": p.last,
        "numbers": " ".join(p.numbers),
    }


def _alert_row(a: alert_rules.Alert) -> Mapping[str, object]:
    return hotspots_api.alert_row(a) | {"level": a.level_label, "p": _sig(a.p)}


def _sig(value: float) -> float:
    """A probability to four significant digits (what a table can show)."""
    return float(f"{value:.4g}")


# --- the cases behind a figure ---------------------------------------------------------------


@page("hotspots")
@require_GET
def hotspot_cases(request):
    """The counted cases behind one figure of the page, newest first: a grid's (`grid` with
    the period), a repeat place's (`lon`, `lat`, `radius_m`, `days`) or an alert's (`street`,
    `days`), each narrowed by `class`."""
    errors: dict[str, str] = {}
    cases = None
    title = ""
    try:
        cases, title = _behind(request)
    except DomainError as error:
        errors[error.field or "filters"] = str(error.message)
    current = Paginator(cases if cases is not None else [], PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "active_page": "hotspots",
        "title": title,
        "errors": errors,
        "page": current,
        "rows": [
            {"case": c, "state_label": STATE_LABELS.get(c.state, c.state)}
            for c in current.object_list
        ],
        "query": query_without_page(request),
        "back": reverse("web:hotspots"),
    }
    return render(request, "web/hotspots/cases.html", context, status=400 if errors else 200)


def _behind(request):
    q = request.GET
    user = request.user
    class_prefix = hotspots.clean_class_prefix(q.get("class"))
    days = hotspots.parse_number(q.get("days"), "days", low=1, high=730, integer=True)
    lon = hotspots.parse_number(q.get("lon"), "lon", low=-180, high=180)
    lat = hotspots.parse_number(q.get("lat"), "lat", low=-85, high=85)
    now = clock.now()
    since = now - dt.timedelta(days=int(days)) if days is not None else None
    if lon is not None or lat is not None:
        if lon is None or lat is None:
            raise InvalidInput(_("Give both lon and lat."), field="lon" if lon is None else "lat")
        radius = hotspots.parse_number(q.get("radius_m"), "radius_m", low=1, high=5_000)
        found = hotspots.cases_near(
            user,
            lon=lon,
            lat=lat,
            radius_m=radius or hotspots.options()["REPEAT_RADIUS_M"],
            class_prefix=class_prefix,
            since=since,
            until=now if since else None,
        )
        return _listed(found), _("Cases near %(lon).5f, %(lat).5f") % {"lon": lon, "lat": lat}
    filters = hotspots_api.filters_of(request)
    if days is not None:
        until = now
        title = _("Cases of the last %(days)s days") % {"days": int(days)}
    else:
        since, until = filters.period.start, filters.period.end
        title = _("Cases of %(period)s") % {"period": filters.period.label()}
    found = hotspots.cases_behind(
        user,
        grid=q.get("grid") or "",
        street=filters.street,
        community=filters.community,
        class_prefix=class_prefix,
        since=since,
        until=until,
    )
    return _listed(found), title


def _listed(cases):
    return cases.select_related("case_class", "grid", "street", "community").defer(
        "grid__geometry_wkb", "street__geometry_wkb", "community__geometry_wkb"
    )


routes = [
    path("console/hotspots/", hotspots_page, name="hotspots"),
    path("console/hotspots/cases/", hotspot_cases, name="hotspot_cases"),
]
