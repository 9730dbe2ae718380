"""The live map: every grid drawn as a vector, coloured by the viewer's open or overdue cases;
a grid's team and cases on click; new cases polled without reload.

Geometry is not personal data, so every map role gets the whole grid layer. Counts, cases and
teams come from the scoped selectors (cases.selectors.visible_cases, org.selectors.grid_team),
so the map never shows more than the API would. Coordinates are WGS-84 throughout; times are
given in the site time zone (Asia/Shanghai) with their offset.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import threading
from dataclasses import asdict

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from onegrid.cases import selectors as cases
from onegrid.cases.workflow import STATE_LABELS
from onegrid.core import clock
from onegrid.core.errors import DomainError, InvalidInput
from onegrid.org.policies import grid_place, may_see_place, may_view_hotspots
from onegrid.org.selectors import grid_team
from onegrid.territory import selectors as territory

from ..access import page
from .hotspots import map_layer_strings, map_layers

# At most this many new cases per poll, and open cases per grid panel, newest first.
LIVE_CASE_LIMIT = 100
GRID_CASE_LIMIT = 50
# Bodies smaller than this are sent as they are: gzip would not pay for itself.
GZIP_MIN_BYTES = 1024


@page("map")
@require_GET
def map_page(request):
    options = settings.ONEGRID
    config = {
        "gridsUrl": reverse("web:map_grids"),
        "liveUrl": reverse("web:map_live"),
        # The JS puts a grid's code in place of the placeholder.
        "gridUrl": reverse("web:map_grid", args=["CODE"]),
        "pollSeconds": max(1, int(options.get("LIVE_POLL_SECONDS", 10))),
        "tileUrl": options.get("MAP_TILE_URL", ""),
        "tileAttribution": options.get("MAP_TILE_ATTRIBUTION", ""),
        # The first poll asks for cases reported since the page was made.
        "now": _local(clock.now()),
    }
    strings = _strings()
    if may_view_hotspots(request.user):  # the hotspot and heat layers (views/hotspots.py)
        config.update(map_layers())
        strings.update(map_layer_strings())
    context = {"active_page": "map", "map_config": config, "map_strings": strings}
    return render(request, "web/map.html", context)


def _strings() -> dict[str, str]:
    """Every text the script shows, translated into the request's language."""
    return {
        "newCasesOne": ngettext("%(n)s new case", "%(n)s new cases", 1),
        "newCasesMany": ngettext("%(n)s new case", "%(n)s new cases", 2),
        "updatedAt": _("Updated %(time)s"),
        "totals": _("Open %(open)s · overdue %(overdue)s"),
        "offline": _("Cannot reach the server; trying again."),
        "signedOut": _("Your session has ended: reload the page to sign in again."),
        "loadFailed": _("The grids could not be loaded."),
        "loading": _("Loading…"),
        "noCases": _("No cases"),
        "noOpenCases": _("No open cases you may see in this grid."),
        "noTeam": _("No team members are registered for this grid."),
        "outsideArea": _("This grid is outside your area: its team is not shown."),
        "team": _("Team"),
        "openCases": _("Open cases"),
        "moreCases": _("Showing the newest %(shown)s of %(total)s."),
        "community": _("Community"),
        "street": _("Street"),
        "code": _("Grid code"),
        "openCount": _("Open"),
        "overdueCount": _("Overdue"),
        "overdueTag": _("overdue"),
        "close": _("Close the panel"),
        "notFound": _("No grid matches “%(query)s”."),
        "reported": _("Reported %(time)s"),
        "timer_green": _("On time"),
        "timer_yellow": _("Due soon"),
        "timer_red": _("Overdue"),
        "timer_none": _("No clock"),
    }


# --- grids.json -------------------------------------------------------------------------------

_etag_lock = threading.Lock()
_etag_cache: dict[str, tuple[bytes, str, bytes | None]] = {}


def _layer_with_etag() -> tuple[bytes, str, bytes | None]:
    """The cached grid layer, its strong ETag and its gzipped form (made once per layer)."""
    body = territory.grids_geojson_bytes()
    with _etag_lock:
        hit = _etag_cache.get("layer")
        # The territory cache hands out the same bytes object until the layer changes.
        if hit is not None and hit[0] is body:
            return hit
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    packed = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    entry = (body, etag, packed)
    with _etag_lock:
        _etag_cache["layer"] = entry
    return entry


@page("map")
@require_GET
def grid_layer(request):
    """Every grid as a GeoJSON FeatureCollection (WGS-84), revalidated by ETag on reload."""
    body, etag, packed = _layer_with_etag()
    asked = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in asked or "*" in asked:
        response = HttpResponse(status=304)
    elif packed is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(packed, content_type="application/geo+json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    # Behind a login, so only the browser may keep it, and must ask again each time (a 304).
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Accept-Encoding", "Cookie"])
    return response


# --- live.json --------------------------------------------------------------------------------


def _error(error: DomainError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


def _parse_since(value: str | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    text = value.strip()
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    if len(text) > 19 and text[-6] == " ":
        text = text[:-6] + "+" + text[-5:]
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput(
            _("“since” must be an ISO 8601 time such as 2026-03-10T09:30:00+08:00."),
            field="since",
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # read in the site time zone (Asia/Shanghai)
    return moment


def _local(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in the site time zone, to the millisecond (what browsers parse)."""
    return timezone.localtime(moment).isoformat(timespec="milliseconds") if moment else None


def _case_row(case) -> dict:
    reported = timezone.localtime(case.reported_at)
    return {
        "id": str(case.pk),
        "number": case.number,
        "lon": case.lon,
        "lat": case.lat,
        "grid": case.grid.code,
        "class_code": case.case_class.code,
        "class_name": case.case_class.name,
        "state": case.state,
        "state_label": str(STATE_LABELS.get(case.state, case.state)),
        "timer": cases.timer_colour(case) or "none",
        "overdue": case.overdue,
        "reported_at": reported.isoformat(timespec="milliseconds"),
        "reported_label": reported.strftime("%m-%d %H:%M"),
        "url": reverse("web:case", args=[case.number]),
    }


@page("map")
@require_GET
def live(request):
    """Open and overdue counts per grid code over the cases the viewer may see, and the cases
    reported at or after `since` (newest first, at most LIVE_CASE_LIMIT).

    `now` is the cursor for the next poll's `since`.
    """
    now = clock.now()
    try:
        since = _parse_since(request.GET.get("since"))
    except InvalidInput as error:
        return _error(error)
    grids = cases.grid_case_counts(request.user)
    body: dict[str, object] = {
        "now": _local(now),
        "since": _local(since),
        "grids": grids,
        "totals": {
            "open": sum(n["open"] for n in grids.values()),
            "overdue": sum(n["overdue"] for n in grids.values()),
        },
        "cases": [],
        "more": False,
    }
    if since is not None:
        found = list(
            cases.list_cases(request.user, cases.CaseFilters(reported_from=since)).order_by(
                "-reported_at", "-number"
            )[: LIVE_CASE_LIMIT + 1]
        )
        body["cases"] = [_case_row(c) for c in found[:LIVE_CASE_LIMIT]]
        body["more"] = len(found) > LIVE_CASE_LIMIT
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- grid/<code>.json -------------------------------------------------------------------------


@page("map")
@require_GET
def grid_detail(request, code: str):
    """One grid: its place, its 1+3+N team (masked phones) and the open cases the viewer may see."""
    try:
        grid = territory.grid_by_code(code)
    except DomainError as error:
        return _error(error)
    user = request.user
    place = grid_place(grid)
    open_cases = cases.list_cases(user, cases.CaseFilters(grid=grid.code, open=True))
    counts = open_cases.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(overdue=True)))
    total, overdue = counts["total"], counts["overdue"]
    shown = list(open_cases.order_by("-reported_at", "-number")[:GRID_CASE_LIMIT])
    body = {
        "code": grid.code,
        "name": grid.name,
        "kind": grid.kind,
        "community": {"code": grid.community.code, "name": grid.community.name},
        "street": {"code": grid.street.code, "name": grid.street.name},
        "in_area": may_see_place(user, place),
        "team": [asdict(m) for m in grid_team(user, place, path=request.path)],
        "open": total,
        "overdue": overdue,
        "cases": [_case_row(c) for c in shown],
        "now": _local(clock.now()),
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, private=True, no_store=True)
    return response
