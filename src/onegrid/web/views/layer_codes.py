"""The GIS officer's code tool: give codes to new and split grids in an uploaded layer file.

The same use case as `onegrid layers codes` (territory.coding). The coded layer is kept
server-side under a random key (territory.proposals, kind "codes") so that it can be looked at
on a map, downloaded, and imported as a new grid version (dry run first) without uploading it
again.
"""

from __future__ import annotations

import json
import re

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core import clock
from onegrid.core.errors import InvalidInput
from onegrid.territory import coding, layerio, layers, proposals, selectors

from ..access import page
from .layers import current_outline, map_config, map_strings
from .uploads import CRS_CHOICES, upload_errors


def _load(key: str) -> dict:
    record = proposals.load(key, kind=proposals.CODES)
    if record is None:
        raise Http404(key)
    return record


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
            layer = layerio.read_layer(
                upload.read(),
                level="grid",
                crs=form["crs"],
                filename=upload.name,
                outline=current_outline(),
                codeless=True,
            )
            try:
                renumber = re.split(r"[\s,，;；]+", form["renumber"])
                result = coding.assign_codes(layer, renumber=renumber)
            except InvalidInput as error:
                errors[error.field] = str(error.message)
            else:
                if result.ok:
                    key = proposals.save(_record(request, upload.name, result))
                    return redirect("web:layers_coded", key=key)
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


def _record(request, source: str, result: coding.CodingResult) -> dict:
    return {
        "kind": proposals.CODES,
        "created_at": timezone.localtime(clock.now()).isoformat(timespec="seconds"),
        "created_by": request.user.username,
        "source": source,
        # The codes were chosen against this grid layer; once it changes they may be taken.
        "grid_version": selectors.current_version("grids"),
        "counts": result.counts(),
        "changes": [
            {
                "index": c.index,
                "old_code": c.old_code,
                "code": c.code,
                "community_code": c.community_code,
                "reason": c.reason,
            }
            for c in result.changes
        ],
        "layer": layerio.geojson_document(result.features, level="grid"),
    }


def _stale(record: dict) -> bool:
    """The grid layer moved on since the codes were given, or one of them is now in use."""
    if record.get("grid_version", 0) != selectors.current_version("grids"):
        return True
    given = [c["code"] for c in record["changes"]]
    return selectors.grid_codes_in_use(given)


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
        "stale": not record.get("applied") and _stale(record),
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
    record = _load(key)
    if record.get("applied"):
        return render(request, "web/layers/coded.html", _coded_context(record), status=200)
    if _stale(record):
        message = _(
            "The grid layer has changed since these codes were given, so they may be taken: "
            "upload the file again."
        )
        return render(
            request, "web/layers/coded.html", _coded_context(record, error=message), status=409
        )
    layer = layerio.read_layer(
        json.dumps(record["layer"], ensure_ascii=False).encode(),
        level="grid",
        filename="coded.geojson",
        outline=current_outline(),
    )
    dry_run = bool(request.POST.get("dry_run"))
    report = layers.import_layer(
        layer=layer,
        dry_run=dry_run,
        replace=bool(request.POST.get("replace")),
        retire=[c["old_code"] for c in record["changes"] if c["old_code"]],
        actor=request.user.username,
        source=record["source"],
        note=request.POST.get("note", "").strip() or _("codes given on the console"),
    )
    report.file_name = record["source"]
    if report.version:
        record["applied"] = {"version": report.version, "by": request.user.username}
        proposals.save(record)
    status = 422 if report.refused else 200
    return render(request, "web/layers/coded.html", _coded_context(record, report), status=status)
