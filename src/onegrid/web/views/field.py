"""The grid worker's field app: a phone page that keeps working without the network.

Three tabs on one server-rendered page: Tasks (cases to verify or check in my grids, and my own
recent reports, each with the on-site actions the workflow table offers me now), Report (photo,
location, class, optional text) and Queue (what is still on the phone). The script
(static/web/field.js and its ES modules under static/web/field/ and lib/) writes every report
and action to IndexedDB before it sends it to the JSON API with its idempotency key, so a lost
network loses nothing and a retry creates nothing twice. A service worker
(static/web/field-sw.js, served from /field/sw.js so that its scope is /field/) keeps the page
and its static files, every module included, for offline use; it never touches /api/ or POSTs.

Everything here reads through the scoped selectors, so the page never shows more than the API.
"""

from __future__ import annotations

import functools
import hashlib
import json
import posixpath
import re

import shapely
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onegrid.cases import selectors, workflow
from onegrid.cases.models import CaseClass
from onegrid.org import policies
from onegrid.org.policies import GRID_TEAM, role_names, scope_for
from onegrid.party.report_in_selectors import own_report_in
from onegrid.territory import locator
from onegrid.territory.models import AdminUnit
from onegrid.volunteers.activity_selectors import volunteer_of

from ..access import page

# The on-site actions the field app offers; other actions live on the desks' pages.
FIELD_ACTIONS = ("verify", "pass_check", "fail_check", "self_close")  # in the order shown
TASK_LIMIT = 50
REPORT_LIMIT = 20
FREQUENT_CLASSES = 6
# Files the service worker keeps for offline use (static paths), besides the page itself and
# the script's modules (FIELD_SCRIPT and every module it imports: see _shell_static).
SHELL_STATIC = (
    "web/app.css",
    "web/field.css",
    "web/icon.svg",
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
)
FIELD_SCRIPT = "web/field.js"
SW_SOURCE = "web/field-sw.js"
# A static import of one of our ES modules: `import … from "./x.js"` or `import "../x.js"`.
_MODULE_IMPORT = re.compile(rb"""\b(?:from|import)\s*["'](\.{1,2}/[^"']+)["']""")


@page("field")
@require_GET
def home(request):
    user = request.user
    catalogue = _catalogue(user)
    context = {
        "active_page": "field",
        **_tasks_context(user),
        "frequent": _frequent(user, catalogue),
        "field_config": _config(request),
        "field_strings": _strings(),
        "field_classes": catalogue,
        "field_grids": _grids_geojson(user),
        # Field reports by the grid team need a photo (services.report_case); residents' do not.
        "grid_team": bool(role_names(user) & GRID_TEAM),
        "address_picker": _sees_addresses(user),
        "field_links": _sections(user),
    }
    return render(request, "web/field/home.html", context)


def _my_communities(user) -> list[AdminUnit]:
    """The communities a person belongs to: where they volunteer, where a Party member lives
    (their home community, as 双报到 reports them in), and the communities of their grids."""
    found: dict[int, AdminUnit] = {}
    volunteer = volunteer_of(user)
    if volunteer is not None and volunteer.community is not None:
        found[volunteer.community.pk] = volunteer.community
    member, _report_in = own_report_in(user)
    if member is not None and member.home_community is not None:
        found.setdefault(member.home_community.pk, member.home_community)
    for a in policies.assignments(user):
        if a.grid_id and a.role in GRID_TEAM:
            community = AdminUnit.objects.filter(grids__pk=a.grid_id).first()
            if community is not None:
                found.setdefault(community.pk, community)
    return [c for c in found.values() if policies.may_open_community(user, c)]


def _sections(user) -> list[dict[str, str]]:
    """The field app's other sections the person may open: volunteering and points (志愿), and
    the page of their community."""
    links = []
    if policies.may_open_page(user, "volunteering"):
        links.append(
            {
                "id": "link-volunteering",
                "url": reverse("web:volunteering"),
                "label": _("Volunteering"),
            }
        )
    if policies.may_open_page(user, "points"):
        links.append({"id": "link-points", "url": reverse("web:points"), "label": _("My points")})
    if policies.may_open_page(user, "resident_deliberation"):
        links.append(
            {
                "id": "link-deliberation",
                "url": reverse("web:resident_deliberation"),
                "label": _("Deliberation in my community"),
            }
        )
    if policies.may_open_page(user, "screening"):
        links.append(
            {
                "id": "link-screening",
                "url": reverse("web:screening"),
                "label": _("Monthly dispute screening"),
            }
        )
    for community in _my_communities(user):
        links.append(
            {
                "id": f"link-community-{community.pk}",
                "url": reverse("web:community", args=[community.pk]),
                "label": _("My community: %(name)s") % {"name": community.name},
            }
        )
    return links


@page("field")
@require_GET
def tasks(request):
    """The Tasks tab alone, for the page to refresh it without a reload."""
    response = render(request, "web/field/_tasks.html", _tasks_context(request.user))
    patch_cache_control(response, no_store=True)
    return response


@page("field")
@require_GET
def manifest(request):
    field_url = reverse("web:field")
    body = {
        "name": _("OneGrid · Grid worker"),
        "short_name": _("OneGrid field"),
        "description": _("Report problems, verify and check cases on site, even offline."),
        "lang": get_language(),
        "id": field_url,
        "start_url": field_url,
        "scope": field_url,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#b3261e",
        "icons": [
            {
                "src": static("web/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        content_type="application/manifest+json; charset=utf-8",
    )
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


@page("field")
@require_GET
def service_worker(request):
    """The service worker, with the shell's file list and a version that changes whenever one
    of the shell's files (or the worker itself) does, so phones drop stale copies."""
    source, version = _worker_source()
    shell = [static(path) for path in _shell_static()]
    config = {
        "version": version,
        "page": reverse("web:field"),
        "scope": reverse("web:field"),
        "assets": shell,
        "manifest": reverse("web:field_manifest"),
        "staticPrefix": settings.STATIC_URL,
        "apiPrefix": reverse("api:api-root").rsplit("/", 2)[0] + "/",
    }
    body = b"const FIELD_SW = " + json.dumps(config).encode() + b";\n" + source
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("web:field")
    return response


# --- pieces of the page ---


def _tasks_context(user) -> dict:
    tasks = list(selectors.field_tasks(user)[:TASK_LIMIT])
    task_ids = {c.pk for c in tasks}
    reports = [c for c in selectors.own_reports(user)[:REPORT_LIMIT] if c.pk not in task_ids]
    # allowed_actions reads each case's tasks, reporters and the user's own actions on it: one
    # query each for all the cards.
    selectors.prepare_for_actions(user, tasks + reports)
    return {
        "tasks": [_card(user, c) for c in tasks],
        "reports": [_card(user, c) for c in reports],
    }


def _card(user, case) -> dict:
    offered = set(selectors.allowed_actions(user, case))
    actions = [a for a in FIELD_ACTIONS if a in offered]
    return {
        "case": case,
        "state_label": workflow.STATE_LABELS.get(case.state, case.state),
        "class_name": _class_name(case.case_class),
        "timer": selectors.timer_colour(case),
        "due": (selectors.running_clock(case) or (None, None))[1],
        "actions": [{"name": a, "label": workflow.ACTION_LABELS[a]} for a in actions],
        "verify": "verify" in actions,
        "reason_required": any(workflow.BY_ACTION[a].reason_required for a in actions),
        "photo_required": any(selectors.photo_required(user, case, a) for a in actions),
    }


def _class_name(case_class: CaseClass) -> str:
    if get_language() == "en" and case_class.name_en:
        return case_class.name_en
    return case_class.name


def _catalogue(user) -> list[dict]:
    # In a city, less the classes the worker's district switched off (cases.overrides).
    classes = selectors.active_classes(selectors.reporting_district(user))
    english = get_language() == "en"
    return [
        {
            "code": c.code,
            "name": (c.name_en or c.name) if english else c.name,
            # Both names are searched, whatever the page's language.
            "alt": c.name_en if not english else c.name,
            "major": (c.major.name_en or c.major.name) if english else c.major.name,
            "minor": c.minor_self_closable,
        }
        for c in classes
    ]


def _frequent(user, catalogue: list[dict]) -> list[dict]:
    """The classes the user reaches for most: the most reported lately where they work, filled
    up with the catalogue's first classes so a new worker still has a short list."""
    codes = selectors.frequent_classes(user, limit=FREQUENT_CLASSES)
    by_code = {c["code"]: c for c in catalogue}
    chosen = [by_code[code] for code in codes if code in by_code]
    for entry in by_code.values():
        if len(chosen) >= FREQUENT_CLASSES:
            break
        if entry not in chosen:
            chosen.append(entry)
    return chosen


def _grids_geojson(user) -> dict:
    """The user's own grids (WGS-84), drawn on the report map; a tap picks a point in them."""
    grids = selectors.field_grids(user)
    features = []
    if grids:
        shapes = shapely.to_geojson(shapely.from_wkb([bytes(g.geometry_wkb) for g in grids]))
        for grid, shape in zip(grids, shapes, strict=True):
            features.append(
                {
                    "type": "Feature",
                    "geometry": json.loads(shape),
                    "properties": {"code": grid.code, "name": grid.name},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _sees_addresses(user) -> bool:
    """Whether the address API can offer this user anything: its search is scoped like every
    read, and people who see only their own reports (residents, volunteers) see no addresses."""
    scope = scope_for(user)
    return bool(scope.district_wide or scope.street_ids or scope.community_ids or scope.grid_ids)


def _district_bounds() -> list[float] | None:
    """[west, south, east, north] of the grid layer: where the map opens when the user has no
    grid of their own (residents)."""
    bounds = getattr(locator.locator.snapshot(), "bounds", None)
    return [round(float(v), 6) for v in bounds] if bounds else None


def _config(request) -> dict:
    options = settings.ONEGRID
    user = request.user
    return {
        "user": str(user.pk),
        "userName": str(user),
        "reportUrl": reverse("api:report"),
        "addressesUrl": reverse("api:addresses"),
        # The script puts the case's id and the action in place of the placeholders.
        "actionUrl": reverse("api:act", kwargs={"case_id": "CASE", "action": "ACTION"}),
        "tasksUrl": reverse("web:field_tasks"),
        "swUrl": reverse("web:field_sw"),
        "scope": reverse("web:field"),
        "loginUrl": f"{reverse('web:login')}?next={reverse('web:field')}",
        "logoutUrl": reverse("web:logout"),
        "caseUrl": reverse("web:case", args=["NUMBER"]),
        "duplicatesUrl": reverse("api:check_duplicates"),
        "suggestUrl": reverse("api:suggest"),
        "csrfCookie": settings.CSRF_COOKIE_NAME,
        "pollSeconds": max(5, int(options.get("LIVE_POLL_SECONDS", 10))),
        "retrySeconds": 15,
        "tileUrl": options.get("MAP_TILE_URL", ""),
        "tileAttribution": options.get("MAP_TILE_ATTRIBUTION", ""),
        "districtBounds": _district_bounds(),
        "photoRequired": bool(role_names(user) & GRID_TEAM),
        "maxPhotoBytes": int(options.get("PHOTO_MAX_BYTES", 8 * 1024 * 1024)),
        "language": get_language(),
    }


def _strings() -> dict:
    """Every text the script shows, in the request's language."""
    return {
        "report": _("Report"),
        "actions": {a: str(workflow.ACTION_LABELS[a]) for a in FIELD_ACTIONS},
        "online": _("Online"),
        "offline": _(
            "Offline: what you send is kept on this phone and sent when the network returns."
        ),
        "locating": _("Finding your position…"),
        "gpsFix": _("GPS position, accurate to about %(m)s m"),
        "mapPoint": _("Point set on the map"),
        "gpsFailed": _("No GPS position: tap the map where the problem is."),
        "gpsUnavailable": _("This phone gives no position: tap the map where the problem is."),
        "inGrid": _("in %(grid)s"),
        "outsideGrids": _("outside your grids"),
        "needPhoto": _("Take a photo of the problem."),
        "needAfterPhoto": _("Take an after-photo of the fixed problem."),
        "needLocation": _("Set the location: wait for GPS or tap the map."),
        "needClass": _("Pick a problem class."),
        "needResult": _("Say whether the problem was confirmed or not found."),
        "needReason": _("Write what is still wrong."),
        "photoTooLarge": _("%(name)s is larger than %(mb)s MB."),
        "noMatch": _("No class matches."),
        "selected": _("Selected: %(name)s"),
        "sending": _("Sending…"),
        "sentReport": _("Reported: case %(number)s."),
        "sentAction": _("Sent: %(action)s, case %(number)s is now “%(state)s”."),
        "queued": _("No network: saved on this phone, it will be sent when the network returns."),
        "queuedSlow": _(
            "The network is slow: saved on this phone, it will be sent in the background."
        ),
        "queuedAuth": _("Saved on this phone. Sign in again to send it."),
        "sessionExpired": _("Your session has expired: sign in again to send what is waiting."),
        "signIn": _("Sign in again"),
        "waiting": _("Waiting for the network"),
        "sendingItem": _("Sending…"),
        "authItem": _("Waiting: sign in again to send"),
        "refused": _("Refused by the server"),
        "otherUser": _("Saved by another user: sign in as them to send it."),
        "discard": _("Discard"),
        "discardOther": _("Discard what another user saved on this phone?"),
        "edit": _("Edit and send again"),
        "photos": _("%(n)s photo(s)"),
        "waitsForReport": _("Sent after its report"),
        "reportDiscarded": _("The report it belonged to was discarded."),
        "queueEmpty": _("Nothing waiting: everything has been sent."),
        "queueCount": _("%(n)s waiting on this phone"),
        "flushed": _("Sent from this phone: %(n)s."),
        "storageFailed": _("This phone cannot keep reports offline; sending directly."),
        "serverError": _("The server refused this (HTTP %(status)s)."),
        "fixedHint": _("Fixed it on the spot? Take an after-photo to self-close it."),
        "selfCloseQueued": _("Self-close saved: it will be sent after the report."),
        "editing": _("Editing a refused report: fix it and send again."),
        "addressNeedsNetwork": _(
            "Standard addresses need the network: use the GPS position or tap the map."
        ),
        "addressSignIn": _("Your session has expired: sign in again to search standard addresses."),
        "addressNone": _("No standard address matches."),
        "addressChosen": _("Standard address: %(name)s (%(code)s)"),
        "addressDistance": _("%(m)s m away"),
        # field/suggest.js: classes suggested from the words while the reporter types.
        "suggest": {
            "title": _("Suggested from your words (tap to choose):"),
            "confidence": _("%(p)s sure"),
            "goesTo": _("Goes to %(name)s"),
        },
        # field/duplicates.js: "already reported nearby" before sending.
        "duplicates": {
            "title": _("Already reported nearby — possibly the same problem:"),
            "sendAnyway": _(
                "You can still send yours: the desk merges reports of one problem and keeps "
                "every reporter on it."
            ),
            "skip": _("Don't send mine: it is already reported"),
            "skipped": _("Not sent: the problem is already reported."),
            "view": _("Open the case"),
        },
    }


@functools.cache
def _worker_source() -> tuple[bytes, str]:
    """The worker's source and a hash of it and the shell's files: static files change only
    with a new release, so each process reads them once."""
    source = _read_static(SW_SOURCE)
    digest = hashlib.sha256(source)
    for path in _shell_static():
        digest.update(path.encode() + b"\0" + _read_static(path))
    return source, digest.hexdigest()[:16]


@functools.cache
def _shell_static() -> tuple[str, ...]:
    """The shell's static files: SHELL_STATIC, the field script and every module it imports,
    directly or through another module, so that a module added to the script is kept offline
    without being listed here."""
    modules: list[str] = []
    pending = [FIELD_SCRIPT]
    while pending:
        path = pending.pop(0)
        if path in modules:
            continue
        modules.append(path)
        folder = posixpath.dirname(path)
        for target in _MODULE_IMPORT.findall(_read_static(path)):
            pending.append(posixpath.normpath(posixpath.join(folder, target.decode())))
    return SHELL_STATIC + tuple(modules)


def _read_static(path: str) -> bytes:
    found = finders.find(path)
    if not found:
        return b""
    with open(found, "rb") as handle:
        return handle.read()
