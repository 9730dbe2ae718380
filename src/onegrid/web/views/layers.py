"""The GIS officer's pages: layer versions, upload, check and fuse of the grid and beat layers.

Thin over the territory services that `onegrid layers` uses too: territory.layers (import),
territory.checks (check), territory.fusion (propose, apply). A fusion proposal is kept
server-side under a random key (territory.proposals, readable by every worker process) so that
"apply" applies exactly the proposal that was shown; it applies only to the layer versions it
was made on, hence once.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import shapely
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core.errors import DomainError, InvalidInput, NotFound
from onegrid.org import policies
from onegrid.territory import checks, fusion, layerio, layers, proposals, selectors
from onegrid.territory.coverage import DEFAULT_SLIVERS, SliverRule
from onegrid.territory.district import districts, is_city

from .. import downloads
from ..access import page
from .uploads import CRS_CHOICES, upload_errors

LEVEL_CHOICES = [("grid", gettext_lazy("Grids")), ("beat", gettext_lazy("Police beats"))]
# Streets and communities are uploaded and checked too (they are not versioned).
ALL_LEVEL_CHOICES = [
    *LEVEL_CHOICES,
    ("community", gettext_lazy("Communities/villages")),
    ("street", gettext_lazy("Streets/towns")),
]
SUMMARY_LABELS = {
    "added": gettext_lazy("added"),
    "changed": gettext_lazy("changed"),
    "unchanged": gettext_lazy("unchanged"),
    "retired": gettext_lazy("retired"),
    "problems": gettext_lazy("problems"),
    "grids": gettext_lazy("grids"),
    "beats": gettext_lazy("beats"),
    "beats_retired": gettext_lazy("beats retired"),
}
DEFAULT_SNAP_M = fusion.DEFAULT_SNAP_M
DEFAULT_SLIVER_M2 = fusion.DEFAULT_SLIVER_M2
# Export formats: suffix → (label, media type); "zip" is a zipped Shapefile.
EXPORT_FORMATS = {
    "geojson": ("GeoJSON", "application/geo+json"),
    "gpkg": ("GeoPackage", "application/geopackage+sqlite3"),
    "zip": ("Shapefile", "application/zip"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _number(value, default: float, low: float, high: float) -> float | None:
    """A number within [low, high] from a form field; None when it is not one."""
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


# --- overview and upload ---------------------------------------------------------------------


def _version_rows(versions) -> list[dict]:
    rows = []
    for v in versions:
        summary = []
        for key, value in (v.summary or {}).items():
            if key in ("level", "dry_run", "refused", "version"):
                continue
            if isinstance(value, list):
                value = len(value)
            summary.append((SUMMARY_LABELS.get(key, key), value))
        level = "grid" if v.kind == "grids" else "beat"
        rows.append({"version": v, "summary": summary, "level": level})
    return rows


@page("layers")
@require_http_methods(["GET", "POST"])
def overview(request):
    """Current versions, the history, and the upload form (POST: import or dry run)."""
    form = {"level": "beat", "crs": "wgs84", "dry_run": True, "accept_valid": False}
    form |= {"replace": False, "note": ""}
    report = None
    error = None
    status = 200
    district, _outline, district_choices = _chosen_district(
        request, request.POST.get("district") if request.method == "POST" else None
    )
    form["district"] = district
    if request.method == "POST":
        form = {
            "level": request.POST.get("level", ""),
            "crs": request.POST.get("crs", ""),
            "dry_run": bool(request.POST.get("dry_run")),
            "accept_valid": bool(request.POST.get("accept_valid")),
            "replace": bool(request.POST.get("replace")),
            "note": request.POST.get("note", "").strip(),
            "district": district,
        }
        upload = request.FILES.get("file")
        if form["level"] not in dict(ALL_LEVEL_CHOICES):
            error = _("Choose grids, police beats, communities or streets.")
        elif form["replace"] and form["level"] not in dict(LEVEL_CHOICES):
            error = _("Streets and communities are never retired: import them without replacing.")
        else:
            error = next(iter(upload_errors(upload, form["crs"]).values()), None)
        if error:
            status = 400
        else:
            report = layers.import_layer_file(
                file=upload.read(),
                filename=upload.name,
                level=form["level"],
                crs=form["crs"],
                dry_run=form["dry_run"],
                accept_valid_part=form["accept_valid"],
                replace=form["replace"],
                actor=request.user.username,
                source=upload.name,
                note=form["note"],
                district=district,
            )
            report.file_name = upload.name
            if report.refused:
                status = 422
    current = {}
    for kind, label in (("grids", _("Grid layer")), ("beats", _("Beat layer"))):
        history = selectors.layer_versions(kind)
        current[kind] = {"label": label, "row": _version_rows(history[:1])[0] if history else None}
    context = {
        "active_page": "console",
        "current": current,
        "counts": selectors.layer_counts(),
        "history": _version_rows(selectors.layer_versions()),
        "form": form,
        "levels": LEVEL_CHOICES,
        "upload_levels": ALL_LEVEL_CHOICES,
        "crs_choices": CRS_CHOICES,
        "export_formats": [(fmt, label) for fmt, (label, _type) in EXPORT_FORMATS.items()],
        "report": report,
        "error": error,
        "district_choices": district_choices,
    }
    return render(request, "web/layers/overview.html", context, status=status)


# --- check -----------------------------------------------------------------------------------


# The check form's fields: name → (SliverRule attribute, low, high). The share is shown in %.
SLIVER_FIELDS = {
    "sliver_share": ("share", 0.0, 100.0),
    "sliver_floor": ("floor_m2", 0.0, 1e7),
    "sliver_width": ("width_m", 0.0, 1e4),
}


def _district_choices(user) -> list[tuple[str, str]]:
    """In a city's installation, the districts whose layers `user` keeps (code, name); in one
    district, none (the pages then show no district field)."""
    if not is_city():
        return []
    return [(d.code, d.name) for d in districts() if policies.keeps_district(user, d.pk)]


def _chosen_district(request, value: str | None) -> tuple[str, object, list[tuple[str, str]]]:
    """(district code, its outline, the choices) a layer page works on: in a city one of the
    districts the user keeps, by default the first; in one district ("", its outline, [])."""
    choices = _district_choices(request.user)
    if not is_city():
        return "", layers.district_reach("")[0], []
    if not choices:
        raise PermissionDenied(_("You keep the layers of no district."))
    code = (value or "").strip() or choices[0][0]
    if code not in dict(choices):
        raise PermissionDenied(_("You do not keep this district's layers."))
    outline, code = layers.district_reach(code)
    return code, outline, choices


def _check_params(request) -> tuple[str, SliverRule]:
    level = request.GET.get("level", "grid")
    if level not in dict(ALL_LEVEL_CHOICES):
        raise Http404("level")
    values = {}
    for name, (attribute, low, high) in SLIVER_FIELDS.items():
        default = getattr(DEFAULT_SLIVERS, attribute) * (100 if attribute == "share" else 1)
        number = _number(request.GET.get(name), default, low, high)
        number = default if number is None else number
        values[attribute] = number / 100 if attribute == "share" else number
    return level, SliverRule(**values)


def _query(level: str, slivers: SliverRule) -> str:
    return (
        f"?level={level}&sliver_share={100 * slivers.share:g}"
        f"&sliver_floor={slivers.floor_m2:g}&sliver_width={slivers.width_m:g}"
    )


@page("layers")
@require_GET
def check(request):
    level, slivers = _check_params(request)
    district, outline, district_choices = _chosen_district(request, request.GET.get("district"))
    result = checks.check_layer(
        level=level, slivers=slivers, outline=outline, district_code=district
    )
    layers_on_map = [{"url": reverse("web:layers_layer", args=["grid"]), "style": "grid"}]
    if level == "beat":
        layers_on_map.append({"url": reverse("web:layers_layer", args=["beat"]), "style": "beat"})
    layers_on_map.append({"inline": "check-issues", "style": "issue"})
    context = {
        "active_page": "console",
        "level": level,
        "levels": ALL_LEVEL_CHOICES,
        "slivers": {
            "share": f"{100 * slivers.share:g}",
            "floor": f"{slivers.floor_m2:g}",
            "width": f"{slivers.width_m:g}",
        },
        "issues": result.issues,
        "unit_count": result.units,
        "issues_geojson": result.geojson(),
        "map_config": map_config(layers_on_map),
        "map_strings": map_strings(),
        "report_url": reverse("web:layers_check_report")
        + _query(level, slivers)
        + (f"&district={district}" if district else ""),
        "district": district,
        "district_choices": district_choices,
    }
    return render(request, "web/layers/check.html", context)


@page("layers")
@require_GET
def check_report(request):
    level, slivers = _check_params(request)
    district, outline, _choices = _chosen_district(request, request.GET.get("district"))
    result = checks.check_layer(
        level=level, slivers=slivers, outline=outline, district_code=district
    )
    body = json.dumps(result.geojson(), ensure_ascii=False)
    response = HttpResponse(body, content_type="application/geo+json")
    name = f"check-{level}-{downloads.stamp()}.geojson"
    response["Content-Disposition"] = downloads.content_disposition(name)
    return response


# --- map data --------------------------------------------------------------------------------


def map_config(layer_list: list[dict]) -> dict:
    options = settings.ONEGRID
    return {
        "layers": layer_list,
        "tileUrl": options.get("MAP_TILE_URL", ""),
        "tileAttribution": options.get("MAP_TILE_ATTRIBUTION", ""),
    }


def map_strings() -> dict:
    return {
        "loadFailed": _("The layer could not be loaded."),
        "code": _("Code"),
        "beat": _("Beat"),
    }


@page("layers")
@require_GET
def layer_geojson(request, level: str):
    """The current grid or beat layer as GeoJSON (WGS-84), for the maps of these pages."""
    if level == "grid":
        body = selectors.grids_geojson_bytes()
    elif level == "beat":
        units = selectors.live_units("beat")
        shapes = shapely.to_geojson([u.geometry for u in units]) if units else []
        body = json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": u.code,
                        "geometry": json.loads(s),
                        "properties": {"code": u.code, "street_code": u.parent_code},
                    }
                    for u, s in zip(units, shapes, strict=True)
                ],
            },
            ensure_ascii=False,
        ).encode()
    else:
        raise Http404(level)
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = "private, no-store"
    return response


# --- export ----------------------------------------------------------------------------------


@page("layers")
@require_GET
def export(request, level: str, fmt: str):
    """The current grid or beat layer, or a kept version (`?version=N`), as a file."""
    if level not in dict(LEVEL_CHOICES) or fmt not in EXPORT_FORMATS:
        raise Http404(level)
    version = request.GET.get("version") or None
    if version is not None:
        kind = "grids" if level == "grid" else "beats"
        # ASCII digits only: str.isdigit() also takes "²" (which int() refuses: a 500) and
        # "١٢" (which int() reads as 12), and a long number overflows the database's integer.
        if not re.fullmatch(r"[1-9][0-9]{0,8}", version) or not selectors.version_exists(
            kind, int(version)
        ):
            raise Http404(version)
        version = int(version)
    features = selectors.layer_features(level, version)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{level}.{fmt}"
        layerio.write_layer(features, path, level=level)
        body = path.read_bytes()
    response = HttpResponse(body, content_type=EXPORT_FORMATS[fmt][1])
    name = f"{level}s-v{version}" if version else f"{level}s-current"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- fuse and proposals ----------------------------------------------------------------------


def _load(key: str) -> dict:
    record = proposals.load(key)
    if record is None:
        raise Http404(key)
    return record


@page("layers")
@require_http_methods(["GET", "POST"])
def fuse(request):
    """GET: the form. POST: fuse the current grids and beats, store the proposal, show it."""
    form = {"snap": DEFAULT_SNAP_M, "sliver": DEFAULT_SLIVER_M2}
    errors = {}
    counts = selectors.layer_counts()
    district, outline, district_choices = _chosen_district(
        request, request.POST.get("district") or request.GET.get("district")
    )
    if request.method == "POST":
        snap = _number(request.POST.get("snap"), DEFAULT_SNAP_M, 0, 100)
        sliver = _number(request.POST.get("sliver"), DEFAULT_SLIVER_M2, 0, 1e7)
        form = {"snap": request.POST.get("snap", ""), "sliver": request.POST.get("sliver", "")}
        if snap is None:
            errors["snap"] = _("The snap tolerance is a number of metres from 0 to 100.")
        if sliver is None:
            errors["sliver"] = _("The sliver area is a number of square metres, 0 or more.")
        if not errors:
            try:
                record = fusion.propose(
                    snap_m=snap,
                    sliver_m2=sliver,
                    actor=request.user.username,
                    keep=True,
                    outline=outline,
                    district_code=district,
                )
            except InvalidInput as error:  # no grid layer or no beat layer yet
                errors["layers"] = str(error.message)
            else:
                return redirect("web:layers_proposal", key=record["key"])
    context = {
        "active_page": "console",
        "form": form,
        "errors": errors,
        "counts": counts,
        "district": district,
        "district_choices": district_choices,
    }
    return render(request, "web/layers/fuse.html", context, status=400 if errors else 200)


def _proposal_context(request, record: dict, error: str | None = None) -> dict:
    key = record["key"]
    changes = record["changes"]
    for c in changes:
        c["moved"] = bool(c["grids_gained"] or c["grids_lost"])
    proposal_url = reverse("web:layers_proposal_geojson", args=[key])
    grids_url = reverse("web:layers_layer", args=["grid"])
    beats_url = reverse("web:layers_layer", args=["beat"])
    return {
        "active_page": "console",
        "record": record,
        "changes": changes,
        "moved": sum(1 for c in changes if c["moved"]),
        "grid_count": sum(
            1 for f in record["proposal"]["features"] if f["properties"]["layer"] == "grid"
        ),
        "beat_count": sum(
            1 for f in record["proposal"]["features"] if f["properties"]["layer"] == "beat"
        ),
        "applied": bool(record.get("applied")),
        "stale": fusion.is_stale(record),
        "error": error,
        "before_config": map_config(
            [{"url": grids_url, "style": "grid"}, {"url": beats_url, "style": "beat"}]
        ),
        "after_config": map_config(
            [
                {"url": proposal_url, "style": "grid", "layer": "grid"},
                {"url": proposal_url, "style": "beat", "layer": "beat"},
            ]
        ),
        "map_strings": map_strings(),
    }


@page("layers")
@require_GET
def proposal(request, key: str):
    record = _load(key)
    return render(request, "web/layers/proposal.html", _proposal_context(request, record))


@page("layers")
@require_GET
def proposal_geojson(request, key: str):
    record = _load(key)
    response = JsonResponse(record["proposal"], json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="proposal-{key[:8]}.geojson"'
    return response


@page("layers")
@require_POST
def apply(request, key: str):
    """Apply the kept proposal as new grid and beat versions, once."""
    try:
        result = fusion.apply_kept_proposal(
            key=key, actor=request.user.username, note=request.POST.get("note", "").strip()
        )
    except NotFound:
        raise Http404(key) from None
    except DomainError as error:  # applied already, the layers moved on, or a bad proposal
        context = _proposal_context(request, _load(key), error=str(error.message))
        return render(request, "web/layers/proposal.html", context, status=409)
    messages.success(
        request,
        _(
            "Applied: grid layer version %(grid)s, beat layer version %(beat)s "
            "(%(grids)s grids in %(beats)s beats)."
        )
        % {
            "grid": result["grid_version"],
            "beat": result["beat_version"],
            "grids": result["grids"],
            "beats": result["beats"],
        },
    )
    return redirect("web:layers")
