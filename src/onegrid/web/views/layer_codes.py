"""The GIS officer's code tool: give codes to new and split grids in an uploaded layer file.

Thin over territory.coded_layers (the same rules as `onegrid layers codes`, territory.coding).
The coded layer is kept server-side under a random key so that it can be looked at on a map,
downloaded, and imported as a new grid version (dry run first) without uploading it again.
"""

from __future__ import annotations

import re

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core.errors import Conflict, InvalidInput, NotFound
from onegrid.territory import coded_layers, coding

from ..access import page
from .layers import map_config, map_strings
from .uploads import CRS_CHOICES, upload_errors


def _load(key: str) -> dict:
    try:
        return coded_layers.load(key)
    except NotFound:
        raise Http404(key) from None


@page("layers")
@require_http_methods(["GET", "POST"])
def codes(request):
    """GET: the form. POST: read the file, give codes, keep the coded layer, show it."""
    form = {"crs": "wgs84", "renumber": ""}
    errors: dict[str, str] = {}
    problems = []
    status = 200
    if request.method == "POST":
        form = {"crs": request.POST.get("crs", ""), "renumber": request.POST.get("renumber", "")}
        upload = request.FILES.get("file")
        errors = upload_errors(upload, form["crs"])
        if not errors:
            try:
                result, record = coded_layers.code_layer_file(
                    file=upload.read(),
                    filename=upload.name,
                    crs=form["crs"],
                    renumber=re.split(r"[\s,，;；]+", form["renumber"]),
                    actor=request.user.username,
                )
            except InvalidInput as error:
                errors[error.field] = str(error.message)
            else:
                if record is not None:
                    return redirect("web:layers_coded", key=record["key"])
                problems = result.problems
        status = 400 if errors else 422 if problems else 200
    context = {
        "active_page": "console",
        "form": form,
        "errors": errors,
        "problems": problems,
        "crs_choices": CRS_CHOICES,
    }
    return render(request, "web/layers/codes.html", context, status=status)


def _coded_context(record: dict, report=None, error: str | None = None) -> dict:
    key = record["key"]
    url = reverse("web:layers_coded_geojson", args=[key])
    changes = [c | {"reason_label": coding.reason_label(c["reason"])} for c in record["changes"]]
    return {
        "active_page": "console",
        "record": record,
        "changes": changes,
        "grid_count": len(record["layer"]["features"]),
        "report": report,
        "error": error,
        "applied": record.get("applied"),
        "stale": not record.get("applied") and coded_layers.is_stale(record),
        "map_config": map_config(
            [
                {"url": f"{url}?map=1", "style": "grid", "layer": "kept"},
                {"url": f"{url}?map=1", "style": "beat", "layer": "coded"},
            ]
        ),
        "map_strings": map_strings(),
    }


@page("layers")
@require_GET
def coded(request, key: str):
    record = _load(key)
    return render(request, "web/layers/coded.html", _coded_context(record))


@page("layers")
@require_GET
def coded_geojson(request, key: str):
    """The coded layer as GeoJSON; `?map=1` marks each feature kept or coded for the map."""
    record = _load(key)
    doc = record["layer"]
    if request.GET.get("map"):
        given = {c["code"] for c in record["changes"]}
        doc = doc | {
            "features": [
                f | {"properties": f["properties"] | {"layer": _map_layer(f, given)}}
                for f in doc["features"]
            ]
        }
    response = JsonResponse(doc, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="grids-coded-{key[:8]}.geojson"'
    return response


def _map_layer(feature: dict, given: set[str]) -> str:
    return "coded" if feature["properties"]["code"] in given else "kept"


@page("layers")
@require_POST
def import_coded(request, key: str):
    """Import the coded layer as a grid layer version (or report what that would do), once.

    The old codes of split and renumbered grids are retired; `replace` also retires every grid
    the file does not hold (for a whole layer). A repeat after the import answers with it.
    """
    try:
        record, report = coded_layers.import_coded_layer(
            key=key,
            dry_run=bool(request.POST.get("dry_run")),
            replace=bool(request.POST.get("replace")),
            actor=request.user.username,
            note=request.POST.get("note", "").strip(),
        )
    except NotFound:
        raise Http404(key) from None
    except Conflict as error:
        context = _coded_context(_load(key), error=str(error.message))
        return render(request, "web/layers/coded.html", context, status=409)
    if report is None:  # imported already: the answer names the version it made
        return render(request, "web/layers/coded.html", _coded_context(record), status=200)
    report.file_name = record["source"]
    status = 422 if report.refused else 200
    return render(request, "web/layers/coded.html", _coded_context(record, report), status=status)
