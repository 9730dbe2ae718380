"""Party service centre pages (党群服务中心): the list and map of the centres in the reader's
reach with their latest score, a centre's page (details, score history, photos, rectification
cases with their state), the inspection form (one score per checklist item, photos; usable on
a phone), the district's checklist, and the inspection photos' copies. Routes in `routes`.

The same use cases as the API (party/api_centres.py). Readers are PAGE_ROLES["centres"] over
their reach (party.centre_selectors); a centre outside it is a 404. Writes go through
party.centres, whose DomainError is shown at the field it names; nothing is changed then.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from onegrid.core.errors import DomainError, NotFound
from onegrid.org import policies
from onegrid.party import centre_selectors, centres
from onegrid.party.models import ChecklistItem, ServiceCentre

from ..access import page


def _centre_or_404(request, centre_id) -> ServiceCentre:
    try:
        return centre_selectors.centre_for(request.user, centre_id)
    except NotFound:
        raise Http404(_("No such service centre.")) from None


@page("centres")
@require_GET
def centre_list(request):
    rows = centre_selectors.centres_for(request.user)
    points = [
        {
            "id": r.centre.pk,
            "name": r.centre.name,
            "lon": r.centre.lon,
            "lat": r.centre.lat,
            "percent": r.percent,
        }
        for r in rows
    ]
    return render(
        request,
        "web/party/centres.html",
        {
            "active_page": "centres",
            "rows": rows,
            "points": points,
            "may_configure": policies.may_configure_centre_checklist(request.user),
        },
    )


@page("centres")
@require_GET
def centre_page(request, centre_id: str):
    centre = _centre_or_404(request, centre_id)
    return render(
        request,
        "web/party/centre.html",
        {
            "active_page": "centres",
            "centre": centre,
            "inspections": centre_selectors.inspections_of(centre),
            "rectifications": centre_selectors.rectifications_of(centre),
            "may_inspect": policies.may_keep_centres(request.user, centre.unit),
        },
    )


def _photo_files(request, items: list[ChecklistItem]) -> list[tuple[int | None, object]]:
    files: list[tuple[int | None, object]] = [(None, f) for f in request.FILES.getlist("photos")]
    for item in items:
        files += [(item.pk, f) for f in request.FILES.getlist(f"photo_{item.pk}")]
    return files


@page("centres")
@require_http_methods(["GET", "POST"])
def inspect(request, centre_id: str):
    centre = _centre_or_404(request, centre_id)
    if not policies.may_keep_centres(request.user, centre.unit):
        raise Http404(_("No such service centre."))
    items = centres.applicable_items(centre.level)
    error = None
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        p = request.POST
        try:
            out = centres.record_inspection(
                actor=request.user,
                centre=centre,
                scores={i.pk: p.get(f"score_{i.pk}", "") for i in items},
                notes={i.pk: p.get(f"note_{i.pk}", "") for i in items},
                marked=[i.pk for i in items if p.get(f"mark_{i.pk}")],
                note=p.get("note", ""),
                photo_files=_photo_files(request, items),  # type: ignore[arg-type]
                idempotency_key=p.get("idempotency_key", ""),
            )
        except DomainError as e:
            error = e
        else:
            made = out.inspection.rectifications.count()
            messages.success(
                request,
                _("Inspection recorded: %(score)d of %(max)d; %(n)d rectification items.")
                % {"score": out.inspection.score, "max": out.inspection.max_score, "n": made},
            )
            return redirect("web:centre", centre_id=centre.pk)
    return render(
        request,
        "web/party/inspect.html",
        {
            "active_page": "centres",
            "centre": centre,
            "items": items,
            "values": values,
            "error": error,
            "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
        },
        status=422 if error is not None else 200,
    )


@page("centres")
@require_http_methods(["GET", "POST"])
def checklist(request):
    may_configure = policies.may_configure_centre_checklist(request.user)
    error = None
    if request.method == "POST":
        p = request.POST
        try:
            centres.save_checklist_item(
                actor=request.user,
                category=p.get("category", ""),
                text=p.get("text", ""),
                max_score=p.get("max_score", ""),
                applies_to=p.get("applies_to", ""),
                order=p.get("order", "0") or "0",
            )
        except DomainError as e:
            error = e
        else:
            messages.success(request, _("Saved."))
            return redirect("web:centre_checklist")
    return render(
        request,
        "web/party/checklist.html",
        {
            "active_page": "centres",
            "items": ChecklistItem.objects.all(),
            "may_configure": may_configure,
            "categories": ChecklistItem.Category.choices,
            "applies": ChecklistItem.AppliesTo.choices,
            "error": error,
            "values": request.POST if error else {},
        },
        status=422 if error is not None else 200,
    )


@page("centres")
@require_GET
def photo(request, photo_id: str, size: str):
    """An inspection photo's EXIF-free copy (`view` or `thumb`) for those who see the centre."""
    if size not in ("view", "thumb"):
        raise Http404(_("No such photo."))
    try:
        found = centre_selectors.photo_for(request.user, photo_id)
    except NotFound:
        raise Http404(_("No such photo.")) from None
    name = found.thumb if size == "thumb" else found.view
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404(_("No such photo.")) from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


routes = [
    path("party/centres/", centre_list, name="centres"),
    path("party/centres/checklist/", checklist, name="centre_checklist"),
    path("party/centres/<str:centre_id>/", centre_page, name="centre"),
    path("party/centres/<str:centre_id>/inspect/", inspect, name="centre_inspect"),
    path(
        "party/centre-photos/<str:photo_id>/<str:size>/",
        photo,
        name="centre_photo",
    ),
]
