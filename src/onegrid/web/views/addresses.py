"""Standard address pages (标准地址): search, one address on a map, and the import.

Reading is for the console's roles, each seeing only the addresses in grids of their scope
(territory.selectors.visible_addresses with org.policies.scope_for). Importing a file is for
those who may manage the territory (org.policies.may_manage_territory): the same all-or-nothing
import as `onegrid addresses import`, with a dry run and "import the valid part".
"""

from __future__ import annotations

import json

import shapely
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from onegrid.cases import selectors as case_selectors
from onegrid.cases import workflow
from onegrid.core.errors import NotFound
from onegrid.org import policies
from onegrid.territory import addresses, selectors
from onegrid.territory.models import AdminUnit, Grid

from ..access import forbidden, page

PAGE_SIZE = 50
CASES_SHOWN = 20
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CRS_CHOICES = [("wgs84", gettext_lazy("WGS-84 (GPS)")), ("gcj02", gettext_lazy("GCJ-02"))]


def _scope(request):
    return policies.scope_for(request.user)


def _id_of(value: str, options: list) -> int | None:
    """The id of a chosen option by its code; None when nothing (or nothing allowed) is chosen."""
    for unit in options:
        if unit.code == value:
            return unit.id
    return None


def _units(scope, level: str, street_id: int | None = None) -> list[AdminUnit]:
    """The streets or communities holding grids the viewer may see, for the filters."""
    grids = Grid.objects.all()
    if not scope.district_wide:
        where = Q(pk__in=scope.grid_ids)
        if scope.street_ids:
            where |= Q(street_id__in=scope.street_ids)
        if scope.community_ids:
            where |= Q(community_id__in=scope.community_ids)
        grids = grids.filter(where)
    if street_id is not None:
        grids = grids.filter(street_id=street_id)
    column = "street_id" if level == AdminUnit.Level.STREET else "community_id"
    return list(
        AdminUnit.objects.filter(pk__in=grids.values(column)).defer("geometry_wkb").order_by("code")
    )


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@page("console")
@require_GET
def search(request):
    """Addresses the viewer may see: by code or name text, street, community and grid."""
    scope = _scope(request)
    chosen = {
        "q": request.GET.get("q", "").strip()[:100],
        "street": request.GET.get("street", "").strip(),
        "community": request.GET.get("community", "").strip(),
        "grid": request.GET.get("grid", "").strip(),
        "active": request.GET.get("active", "").strip(),
    }
    streets = _units(scope, AdminUnit.Level.STREET)
    street_id = _id_of(chosen["street"], streets)
    communities = _units(scope, AdminUnit.Level.COMMUNITY, street_id)
    community_id = _id_of(chosen["community"], communities)
    grid_id = None
    grid_error = None
    if chosen["grid"]:
        grid_id = Grid.all_objects.filter(code=chosen["grid"]).values_list("pk", flat=True).first()
        if grid_id is None:
            grid_error = _("No grid has the code %(code)s.") % {"code": chosen["grid"]}
            grid_id = -1  # matches nothing
    active = {"1": True, "0": False}.get(chosen["active"])
    found = selectors.search_addresses(
        scope,
        q=chosen["q"],
        street_id=street_id,
        community_id=community_id,
        grid_id=grid_id,
        active=active,
    )
    listing = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "active_page": "console",
        "page": listing,
        "chosen": chosen,
        "streets": streets,
        "communities": communities,
        "grid_error": grid_error,
        "query": _query_without_page(request),
        "may_import": policies.may_manage_territory(request.user),
    }
    return render(request, "web/addresses/search.html", context)


def _cases_at(request, address) -> list[dict]:
    """The viewer's visible cases reported against this address (the report event names its
    code); looked for only among the cases of the address's grid, so it stays cheap."""
    if address.grid_id is None:
        return []
    cases = (
        case_selectors.visible_cases(request.user)
        .filter(
            grid_id=address.grid_id,
            events__action="report",
            events__data__address_code=address.code,
        )
        .distinct()
        .order_by("-reported_at")[:CASES_SHOWN]
    )
    return [{"case": c, "state_label": workflow.STATE_LABELS.get(c.state, c.state)} for c in cases]


@page("console")
@require_GET
def detail(request, code: str):
    try:
        address = selectors.address_by_code(_scope(request), code)
    except NotFound:
        raise Http404(code) from None
    grid_feature = None
    if address.grid_id:
        grid = Grid.all_objects.only("geometry_wkb").get(pk=address.grid_id)
        grid_feature = {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(grid.geometry)),
            "properties": {"code": address.grid.code, "name": address.grid.name},
        }
    options = settings.ONEGRID
    context = {
        "active_page": "console",
        "address": address,
        "cases": _cases_at(request, address),
        "map_data": {
            "point": [address.lon, address.lat],
            "name": address.name,
            "grid": grid_feature,
            "tileUrl": options.get("MAP_TILE_URL", ""),
            "tileAttribution": options.get("MAP_TILE_ATTRIBUTION", ""),
        },
        "may_import": policies.may_manage_territory(request.user),
    }
    return render(request, "web/addresses/detail.html", context)


@page("console")
@require_http_methods(["GET", "POST"])
def import_file(request):
    """GET: the upload form. POST: read the file and import it (or only report, dry run)."""
    if not policies.may_manage_territory(request.user):
        return forbidden(request)
    form = {"crs": "wgs84", "dry_run": True, "accept_valid": False}
    report = None
    error = None
    status = 200
    if request.method == "POST":
        form = {
            "crs": request.POST.get("crs", ""),
            "dry_run": bool(request.POST.get("dry_run")),
            "accept_valid": bool(request.POST.get("accept_valid")),
        }
        upload = request.FILES.get("file")
        if form["crs"] not in dict(CRS_CHOICES):
            error = _("Choose the coordinate system of the file.")
        elif upload is None:
            error = _("Choose a file to upload.")
        elif upload.size > MAX_UPLOAD_BYTES:
            error = _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
        if error:
            status = 400
        else:
            rows, problems = addresses.read_addresses(
                upload.read(), crs=form["crs"], filename=upload.name
            )
            report = addresses.import_addresses(
                rows=rows,
                problems=problems,
                dry_run=form["dry_run"],
                accept_valid_part=form["accept_valid"],
            )
            report.file_name = upload.name
            if report.refused:
                status = 422
    context = {
        "active_page": "console",
        "form": form,
        "crs_choices": CRS_CHOICES,
        "report": report,
        "error": error,
        "columns": addresses.COLUMNS,
    }
    return render(request, "web/addresses/import.html", context, status=status)


routes = [
    path("console/addresses/", search, name="addresses"),
    path("console/addresses/import/", import_file, name="addresses_import"),
    path("console/addresses/<path:code>/", detail, name="address"),
]
