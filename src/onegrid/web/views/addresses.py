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
from django.http import Http404
from django.shortcuts import render
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from onegrid.cases import selectors as case_selectors
from onegrid.cases import workflow
from onegrid.core.errors import NotFound
from onegrid.org import policies
from onegrid.org import selectors as org_selectors
from onegrid.territory import addresses, selectors
from onegrid.territory.models import AdminUnit, Grid

from ..access import forbidden, page
from .paging import query_without_page
from .uploads import CRS_CHOICES, upload_errors

PAGE_SIZE = 50
CASES_SHOWN = 20
MATCHES_NOTHING = -1  # an id no row has: a filter that names a wrong code matches nothing


def _scope(request):
    return policies.scope_for(request.user)


def _communities(request, street_id: int | None) -> tuple[list[AdminUnit], list[AdminUnit]]:
    """Every community holding a grid the viewer may see, and those of them offered in the
    filter (only the chosen street's when one is), by code."""
    pairs = set(
        org_selectors.visible_grids(request.user)
        .order_by()
        .values_list("community_id", "street_id")
        .distinct()
    )
    communities = list(
        AdminUnit.objects.filter(pk__in={community for community, _street in pairs})
        .defer("geometry_wkb")
        .order_by("code")
    )
    if street_id is None:
        return communities, communities
    in_street = {community for community, street in pairs if street == street_id}
    return communities, [c for c in communities if c.pk in in_street]


def _chosen_id(code: str, units: list, message: str) -> tuple[int | None, str | None]:
    """(id, error) of a filter's code among the units the viewer may choose: no code, no filter;
    a code that is unknown or out of scope is an error (the two are not told apart) and
    matches nothing."""
    if not code:
        return None, None
    for unit in units:
        if unit.code == code:
            return unit.pk, None
    return MATCHES_NOTHING, message % {"code": code}


@page("console")
@require_GET
def search(request):
    """Addresses the viewer may see: by code or name text, street, community and grid.

    A street, community or grid code that is unknown or outside the viewer's scope is shown as
    an error at its field (400) and the list is empty, as on the team list."""
    chosen = {
        "q": request.GET.get("q", "").strip()[:100],
        "street": request.GET.get("street", "").strip(),
        "community": request.GET.get("community", "").strip(),
        "grid": request.GET.get("grid", "").strip(),
        "active": request.GET.get("active", "").strip(),
    }
    errors: dict[str, str] = {}
    streets = list(org_selectors.visible_streets(request.user).defer("geometry_wkb"))
    street_id, errors["street"] = _chosen_id(
        chosen["street"], streets, _("No street has the code %(code)s.")
    )
    communities, offered = _communities(
        request, None if street_id == MATCHES_NOTHING else street_id
    )
    community_id, errors["community"] = _chosen_id(
        chosen["community"], communities, _("No community has the code %(code)s.")
    )
    if community_id not in (None, MATCHES_NOTHING) and all(c.pk != community_id for c in offered):
        # Another street's community: still shown as chosen; with that street it matches nothing.
        offered = [c for c in communities if c in offered or c.pk == community_id]
    grid_id = None
    if chosen["grid"]:
        grid = org_selectors.visible_grids(request.user).filter(code=chosen["grid"]).only("code")
        grid_id, errors["grid"] = _chosen_id(
            chosen["grid"], list(grid), _("No grid has the code %(code)s.")
        )
    errors = {field: message for field, message in errors.items() if message}
    active = {"1": True, "0": False}.get(chosen["active"])
    found = selectors.search_addresses(
        _scope(request),
        q=chosen["q"],
        street_id=street_id,
        community_id=community_id,
        grid_id=grid_id,
        active=active,
    )
    if errors:
        found = found.none()
    listing = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "active_page": "console",
        "page": listing,
        "chosen": chosen,
        "streets": streets,
        "communities": offered,
        "errors": errors,
        "query": query_without_page(request),
        "may_import": policies.may_manage_territory(request.user),
    }
    return render(request, "web/addresses/search.html", context, status=400 if errors else 200)


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
        "cases": [
            {"case": c, "state_label": workflow.STATE_LABELS.get(c.state, c.state)}
            for c in case_selectors.cases_at_address(request.user, address, limit=CASES_SHOWN)
        ],
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
        error = next(iter(upload_errors(upload, form["crs"]).values()), None)
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
    # Any character, line breaks included: codes are checked at import now, but a database
    # filled by an earlier version may hold one, and its row must still link to its page.
    re_path(r"^console/addresses/(?P<code>[\s\S]+)/\Z", detail, name="address"),
]
