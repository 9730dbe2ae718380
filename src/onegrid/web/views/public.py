"""The public pages (/public/), open to anyone, signed in or not: the map and list of reports,
the tracking form and status page, a report by its case number, the Atom feed of reports fixed
near a place, and the approved photos' viewing copies.

What may be shown is decided in residents.public (which cases, coarsened places, redacted text,
approved photos); these views parse, call it and render.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from onegrid.cases import photo_maintenance, photos, tracking
from onegrid.core.errors import DomainError, InvalidInput, NotFound
from onegrid.org.throttling import client_address, minute_wait
from onegrid.residents import public

from .paging import query_without_page

_MAX_PAGE = 10_000


def _off(request):
    """The district's public pages are off (or no district has them on): a 404 that says so."""
    return render(request, "web/public/off.html", status=404)


def _local(moment):
    return timezone.localtime(moment) if moment else None


@require_safe
def index(request):
    """The map and list of reports, filtered by class, state and street, a page at a time."""
    enabled = public.enabled_settings()
    if not enabled:
        return _off(request)
    context: dict[str, Any] = {
        "classes": public.public_classes(),
        "streets": public.public_streets(enabled),
        "state_groups": list(public.STATE_GROUP_LABELS.items()),
        "chosen": {k: request.GET.get(k, "")[:40] for k in ("class", "state", "street")},
        "reports": [],
        "map_config": _map_config(),
        "map_features": [],
    }
    try:
        filters = public.parse_filters(request.GET, enabled)
        page_number = _page_number(request.GET.get("page", ""))
    except DomainError as error:
        context["error"] = error
        return render(request, "web/public/index.html", context, status=400)
    cases = public.listed_cases(enabled, filters)
    paginator = Paginator(cases, settings.ONEGRID["PUBLIC_PAGE_SIZE"])
    page = paginator.get_page(page_number)
    reports = public.present(page.object_list, enabled)
    context.update(
        {
            "reports": reports,
            "page": page,
            "query": query_without_page(request),
            "map_features": [_feature(r) for r in reports],
        }
    )
    return render(request, "web/public/index.html", context)


def _page_number(text: str) -> int:
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > 5 or not 1 <= int(text) <= _MAX_PAGE:
        raise InvalidInput(_("The page is a whole number from 1."), field="page")
    return int(text)


def _map_config() -> dict[str, str]:
    options = settings.ONEGRID
    return {
        "tileUrl": options.get("MAP_TILE_URL", ""),
        "tileAttribution": options.get("MAP_TILE_ATTRIBUTION", ""),
    }


def _feature(report: public.PublicReport) -> dict:
    """What the map script needs of one report: its public place and texts (never the point)."""
    assert report.place is not None
    return {
        "number": report.number,
        "lon": report.place.lon,
        "lat": report.place.lat,
        "kind": report.place.kind,
        "outline": report.place.outline,
        "title": f"{report.class_name} · {report.area}",
        "state": report.state_words,
        "fixed": report.fixed,
        "url": reverse("web:public_case", args=[report.number]),
    }


def _throttled(request) -> int:
    """Seconds to wait when this address has made more tracking-code look-ups this minute than
    allowed, else 0."""
    limit = settings.ONEGRID["PUBLIC_LOOKUPS_PER_MINUTE"]
    return minute_wait(f"public-lookups:{client_address(request) or '-'}", limit)


def _too_many(request, wait: int):
    response = render(request, "web/public/too_many.html", status=429)
    response["Retry-After"] = str(wait)
    return response


@require_safe
def track(request):
    """The tracking form: a code typed in leads to its status page."""
    code = request.GET.get("code", "")
    if not code:
        return render(request, "web/public/track.html", {})
    if wait := _throttled(request):
        return _too_many(request, wait)
    normalised = tracking.normalise(code)
    if normalised is None:
        error = _("A tracking code has 10 letters and digits, e.g. 7K3M-9QX2-AB.")
        return render(
            request, "web/public/track.html", {"error": error, "code": code[:40]}, status=400
        )
    return redirect("web:public_report", code=normalised)


@require_safe
def report(request, code):
    """A report's status by its tracking code (what the reporter was given)."""
    if wait := _throttled(request):
        return _too_many(request, wait)
    try:
        found = public.by_tracking_code(code)
    except NotFound:
        return render(
            request,
            "web/public/track.html",
            {"error": _("No report has this tracking code."), "code": str(code)[:40]},
            status=404,
        )
    return _report_page(request, found, by_code=True)


@require_safe
def case(request, number):
    """A listed report by its case number (the list's and the feed's links)."""
    if not public.enabled_settings():
        return _off(request)
    try:
        found = public.by_number(number)
    except NotFound:
        raise Http404(_("No public report has this number.")) from None
    return _report_page(request, found, by_code=False)


def _report_page(request, found: public.PublicReport, *, by_code: bool):
    features = [_feature(found)] if found.place is not None else []
    context = {
        "report": found,
        "by_code": by_code,
        "map_config": _map_config(),
        "map_features": features,
        # Readers may subscribe to what gets fixed in the report's grid.
        "feed_query": urlencode({"grid": found.grid_code}) if found.listed else "",
    }
    return render(request, "web/public/report.html", context)


@require_safe
def photo(request, photo_id, size):
    """An approved photo's viewing copy or thumbnail (upright JPEG, no EXIF): the original is
    never served here, and its address cannot be derived from this one."""
    if size not in ("view", "thumb"):
        raise Http404(_("No public photo has this address."))
    try:
        found = public.public_photo(photo_id)
    except NotFound:
        raise Http404(_("No public photo has this address.")) from None
    try:
        if not found.view or not found.thumb:
            found = photo_maintenance.make_missing_copies(found)
        file = found.thumb if size == "thumb" else found.view
        opened = file.open("rb")
    except (FileNotFoundError, *photos.DECODE_ERRORS):
        raise Http404(_("The photo's file is missing.")) from None
    response = FileResponse(opened, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def feed(request):
    """Atom 1.0: reports fixed near ?lon=&lat=&radius= (metres) or in ?grid=, newest first."""
    if not any(s.feed_enabled for s in public.enabled_settings().values()):
        return _off(request)
    try:
        near = public.parse_near(request.GET)
    except DomainError as error:
        text = f"{error.field}: {error.message}" if error.field else str(error.message)
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    reports = public.fixed_near(near)
    if near.grid is not None:
        title = _("Fixed in %(grid)s") % {"grid": near.grid.name}
    else:
        title = _("Fixed within %(radius)s m of %(lat).5f, %(lon).5f") % {
            "radius": near.radius_m,
            "lat": near.lat,
            "lon": near.lon,
        }
    atom = Atom1Feed(
        title=title,
        link=request.build_absolute_uri(reverse("web:public")),
        description=_("Reports fixed near a place, from the public pages."),
        language=get_language(),
        feed_url=request.build_absolute_uri(),
        feed_guid=request.build_absolute_uri(),
        author_name=_("OneGrid"),
    )
    for item in reports:
        link = request.build_absolute_uri(reverse("web:public_case", args=[item.number]))
        done = item.closed_at or item.reported_at
        summary = _("%(state)s on %(date)s. %(area)s. %(description)s") % {
            "state": item.state_words,
            "date": f"{_local(done):%Y-%m-%d %H:%M}",
            "area": item.area,
            "description": item.description,
        }
        atom.add_item(
            title=f"{item.class_name} · {item.area}",
            link=link,
            unique_id=link,
            # type="html": the text is escaped once more so that a reader shows it as text.
            description=escape(summary),
            pubdate=item.reported_at,
            updateddate=done,
            categories=[item.class_name],
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


routes = [
    path("public/", index, name="public"),
    path("public/track/", track, name="public_track"),
    path("public/reports/<str:code>/", report, name="public_report"),
    path("public/cases/<str:number>/", case, name="public_case"),
    path("public/feed.atom", feed, name="public_feed"),
    path(
        "public/photos/<str:photo_id>/<str:size>.jpg",
        photo,
        name="public_photo",
    ),
]
