"""The big screen (大屏, issue 10 §3) of the command centre's wall and the leaders' offices: a dark,
full-screen page of today's and this month's key figures, the cases open and overdue now, the
last 30 days' trend, the top and bottom of the streets' league table, the grids coloured by
their open cases, and the surge alerts.

The page is drawn once; `static/web/measures/bigscreen.js` then asks `/bigscreen/data.json`
every ONEGRID["LIVE_POLL_SECONDS"] and updates the figures, the charts (the same chart
instances: lib/charts.js) and the map's colours in place — no reload, nothing added per poll.
The grid layer comes from the live map's `/map/grids.json` (cached with its ETag) and the alerts
from `/api/v1/insight/hotspots/summary` where that route exists; everything else from the same
scoped selectors as the measures pages (insight.selectors) and the live map
(cases.selectors.grid_case_counts), so the screen never shows more than its viewer may read.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onegrid.cases import selectors as case_selectors
from onegrid.core import clock
from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.insight import periods
from onegrid.insight import selectors as insight
from onegrid.insight.measures import Scope
from onegrid.org import policies
from onegrid.org.requests import SignedInRequest

from .. import access
from .measures import chart_strings, decimal_text, scope_from, scope_param, shown, trend_data

if TYPE_CHECKING:
    from onegrid.org.models import User

TREND_DAYS = 30
LEAGUE_ENDS = 5  # rows shown at each end of the league table
# This month's rates on the screen, in order (a rate the selectors do not give is left out).
MONTH_RATES = (
    "on_time_closure_rate",
    "closure_rate",
    "satisfaction_rate",
    "proactive_share",
    "joint_case_share",
    "lowest_level_share",
    "recurrence_rate",
)
TODAY_COUNTS = ("reports", "n_due", "closed", "overdue")
# The league on the screen: the streets' where the viewer reads it, else the departments'.
LEAGUE_ORDER = ("street", "department")
LEAGUE_MEASURE = "on_time_closure_rate"


def _poll_seconds() -> int:
    return max(1, int(settings.ONEGRID.get("LIVE_POLL_SECONDS", 10)))


def _alerts_url() -> str:
    """The hotspots summary (alerts for the big screen), where that API is installed."""
    try:
        return reverse("api:hotspots_summary")
    except NoReverseMatch:
        return ""


@access.page("bigscreen")
@require_GET
def bigscreen(request: SignedInRequest):
    visible = insight.visible_scopes(request.user)
    if visible.default is None:
        return access.forbidden(request)
    try:
        scope = scope_from(request.user, request.GET, visible)
    except PermissionDenied:
        return access.forbidden(request)
    except InvalidInput:
        scope = visible.default
    options = settings.ONEGRID
    query = {"scope": scope_param(scope)}
    config = {
        "dataUrl": reverse("web:bigscreen_data") + "?" + urlencode(query),
        "gridsUrl": reverse("web:map_grids") if access.may_use(request.user, "map") else "",
        "alertsUrl": _alerts_url(),
        "pollSeconds": _poll_seconds(),
        # Alerts are tested over weeks of history: asked again every few polls only.
        "alertsEvery": 6,
        "tileUrl": options.get("MAP_TILE_URL", ""),
        "tileAttribution": options.get("MAP_TILE_ATTRIBUTION", ""),
    }
    context = {
        "scope": scope,
        "config": config,
        "strings": _strings(),
        "data": screen_data(request.user, scope),  # the first figures, without waiting a poll
        "measures_url": reverse("web:measures") + "?" + urlencode(query),
    }
    return render(request, "web/bigscreen.html", context)


@access.page("bigscreen")
@require_GET
def data(request: SignedInRequest):
    """The screen's figures now, as JSON (the page polls it)."""
    try:
        scope = scope_from(request.user, request.GET)
    except (InvalidInput, PermissionDenied) as error:
        return JsonResponse(error.as_dict(), status=error.status)
    response = JsonResponse(
        screen_data(request.user, scope), json_dumps_params={"ensure_ascii": False}
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _count_list(counts: dict[str, int]) -> list[dict[str, object]]:
    return [
        {"key": k, "label": str(insight.COUNT_LABELS[k]), "value": counts.get(k, 0)}
        for k in TODAY_COUNTS
    ]


def screen_data(user: User, scope: Scope) -> dict[str, object]:
    """Everything the screen shows of `scope` now, for `user`."""
    now = clock.now()
    today = periods.local_day(now)
    day = periods.custom(today, today)
    month = periods.month(today.year, today.month)
    # Today's counts alone: the comparisons and the open cases come with this month's figures.
    today_counts = insight.period_counts(user, period=day, scope=scope, as_of=now)
    month_board = insight.dashboard(user, period=month, scope=scope, as_of=now)
    trend = insight.trend(
        user,
        scope=scope,
        start=today - dt.timedelta(days=TREND_DAYS - 1),
        end=today,
        step="day",
        as_of=now,
    )
    grids = case_selectors.grid_case_counts(user)
    by_key = {f.key: f for f in month_board.figures}
    return {
        "now": timezone.localtime(now).isoformat(timespec="seconds"),
        "scope": {"kind": scope.kind, "code": scope.code, "name": str(scope)},
        "today": {"label": today.isoformat(), "counts": _count_list(today_counts)},
        "month": {
            "label": month.label(),
            "counts": _count_list(month_board.counts),
            "rates": [
                {
                    "key": k,
                    "label": by_key[k].label,
                    "value": decimal_text(by_key[k].value),
                    "text": shown(by_key[k].value, rate=True),
                    "numerator": by_key[k].numerator,
                    "denominator": by_key[k].denominator,
                    "change": decimal_text(by_key[k].change_from_previous),
                    "lower_is_better": by_key[k].lower_is_better,
                }
                for k in MONTH_RATES
                if k in by_key and by_key[k].applicable
            ],
        },
        "live": {
            # Both of the chosen scope (the grids below are every grid the viewer may see).
            "open": month_board.counts.get("open_now", 0),
            "overdue": insight.open_cases(scope).filter(overdue=True).count(),
        },
        "trend": trend_data(trend),
        "league": _league(user, month),
        "grids": grids,
    }


def _league(user: User, month: periods.Period) -> dict[str, object] | None:
    # Asked of the policy alone: visible_scopes would list every scope on each poll.
    kind = next((k for k in LEAGUE_ORDER if policies.may_read_league(user, k)), None)
    if kind is None:
        return None
    league = insight.league_table(user, kind=kind, period=month, measure=LEAGUE_MEASURE)
    ranked = [r for r in league.rows if r.rank is not None]

    def row(r: insight.LeagueRow) -> dict[str, object]:
        return {
            "rank": r.rank,
            "name": r.name,
            "code": r.code,
            "value": decimal_text(r.value),
            "numerator": r.numerator,
            "denominator": r.denominator,
            "mark": r.mark,
        }

    return {
        "kind": kind,
        "label": league.label,
        "title": _("Streets and towns") if kind == "street" else _("Departments"),
        "top": [row(r) for r in ranked[:LEAGUE_ENDS]],
        "bottom": [row(r) for r in ranked[-LEAGUE_ENDS:]] if len(ranked) > LEAGUE_ENDS else [],
    }


def _strings() -> dict[str, str]:
    return {
        **chart_strings(),
        "updatedAt": _("Updated %(time)s"),
        "offline": _("Cannot reach the server; trying again."),
        "signedOut": _("Your session has ended: reload the page to sign in again."),
        "noAlerts": _("No surge alerts."),
        "nothingRanked": _("Nothing to rank yet this month."),
        "alertLine": _("%(area)s · %(class)s: %(observed)s cases, about %(expected)s expected"),
        "openCount": _("Open"),
        "overdueCount": _("Overdue"),
        "noCases": _("No cases"),
        "loadFailed": _("The grids could not be loaded."),
    }


routes = [
    path("bigscreen/", bigscreen, name="bigscreen"),
    path("bigscreen/data.json", data, name="bigscreen_data"),
]
