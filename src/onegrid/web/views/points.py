"""Points pages: "my points" in the field app (/field/points/) and the points-store counter of
the volunteer organisers (/volunteers/counter/, its items and stock at /volunteers/counter/items/).

The same use cases as the points API (volunteers/points_api.py). The counter finds a person by
mobile number (a POST: no number in a URL or an access log) and shows their name, masked phone
and balance, the read logged (VOLUNTEER). The redeem form carries a key drawn when the form is
shown, so a double click or a resubmitted form makes one redemption. Every write goes through
volunteers.points, whose DomainError is shown at the field it names.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core.errors import DomainError
from onegrid.org import access_log
from onegrid.volunteers import points, points_selectors

from ..access import page


@page("points")
@require_GET
def my_points(request):
    user = request.user
    return render(
        request,
        "web/points/mine.html",
        {
            "active_page": "field",
            "balance": points.balance(user),
            "entries": points_selectors.entries_of(user),
            "items": points_selectors.store_items_for(user),
        },
    )


def _counter(request, *, holder=None, errors=None, posted=None, status=200):
    clerk = request.user
    items = points_selectors.counter_items(clerk).filter(active=True, stock__gt=0)
    recent = points_selectors.recent_redemptions(clerk)
    return render(
        request,
        "web/points/counter.html",
        {
            "active_page": "counter",
            "holder": holder,
            "items": items.order_by("unit__code", "price", "name"),
            "recent": [(r, points_selectors.shown_name(r.account.user)) for r in recent],
            "errors": errors or {},
            "posted": posted or {},
            # Drawn once per form shown: a double submit sends the same key.
            "key": uuid.uuid4().hex,
        },
        status=status,
    )


def _error_page(request, error: DomainError, *, holder=None, posted=None):
    status = error.status if error.status in (403, 404, 409) else 400
    return _counter(
        request,
        holder=holder,
        errors={(error.field or "form"): str(error.message)},
        posted=posted,
        status=status,
    )


@page("counter")
@require_http_methods(["GET", "POST"])
def counter(request):
    """GET: the look-up form and the latest redemptions. POST: find the person by phone."""
    if request.method == "GET":
        return _counter(request)
    phone = request.POST.get("phone", "")
    try:
        holder = points_selectors.holder_by_phone(
            request.user, phone, channel=access_log.Channel.PAGE, path=request.path
        )
    except DomainError as error:
        return _error_page(request, error, posted={"phone": phone})
    return _counter(request, holder=holder, posted={"phone": phone})


@page("counter")
@require_POST
def redeem(request):
    form = request.POST
    phone = form.get("phone", "")
    holder = None
    try:
        holder = points_selectors.holder_by_phone(
            request.user, phone, channel=access_log.Channel.PAGE, path=request.path
        )
        item = points_selectors.counter_item(request.user, form.get("item", ""))
        redemption = points.redeem(
            clerk=request.user,
            user=holder.user,
            item=item,
            quantity=form.get("quantity", "1"),
            key=form.get("key", ""),
        )
    except DomainError as error:
        return _error_page(request, error, holder=holder, posted=form)
    messages.success(
        request,
        _("Handed over %(item)s × %(n)d for %(points)d points; %(balance)d points left.")
        % {
            "item": redemption.item.name,
            "n": redemption.quantity,
            "points": redemption.points,
            "balance": points.balance(holder.user),
        },
    )
    return redirect("web:counter")


@page("counter")
@require_POST
def cancel(request, redemption_id: str):
    try:
        found = points_selectors.counter_redemption(request.user, redemption_id)
        points.cancel_redemption(
            clerk=request.user, redemption=found, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        return _error_page(request, error)
    messages.success(request, _("Redemption cancelled: points and stock given back."))
    return redirect("web:counter")


def _items_page(request, *, errors=None, posted=None, status=200, failed_item=None):
    clerk = request.user
    return render(
        request,
        "web/points/items.html",
        {
            "active_page": "counter",
            "items": points_selectors.counter_items(clerk).order_by("unit__code", "name"),
            "units": points_selectors.counter_units(clerk),
            "errors": errors or {},
            "posted": posted or {},
            # The item whose stock form was refused (its message shows beside it).
            "failed_item": failed_item,
        },
        status=status,
    )


@page("counter")
@require_http_methods(["GET", "POST"])
def items(request):
    """The store's items and their stock; POST adds an item."""
    if request.method == "GET":
        return _items_page(request)
    form = request.POST
    try:
        unit = points_selectors.counter_unit(request.user, form.get("unit", ""))
        points.add_item(
            actor=request.user,
            unit=unit,
            name=form.get("name", ""),
            price=form.get("price", ""),
            stock=form.get("stock", "0"),
            description=form.get("description", ""),
        )
    except DomainError as error:
        status = 403 if error.status == 403 else 400
        return _items_page(
            request,
            errors={(error.field or "form"): str(error.message)},
            posted=form,
            status=status,
        )
    messages.success(request, _("Saved."))
    return redirect("web:points_items")


@page("counter")
@require_POST
def restock(request, item_id: str):
    form = request.POST
    item = None
    try:
        item = points_selectors.counter_item(request.user, item_id)
        points.restock(
            actor=request.user,
            item=item,
            stock=form.get("stock", ""),
            active=form.get("active") == "on",
        )
    except DomainError as error:
        status = 403 if error.status == 403 else (404 if error.status == 404 else 400)
        shown = item.pk if item is not None else None
        return _items_page(
            request,
            errors={("stock" if shown else "form"): str(error.message)},
            status=status,
            failed_item=shown,
        )
    messages.success(request, _("Saved."))
    return redirect("web:points_items")


routes = [
    path("field/points/", my_points, name="points"),
    path("volunteers/counter/", counter, name="counter"),
    path("volunteers/counter/redeem/", redeem, name="points_redeem"),
    path(
        "volunteers/counter/redemptions/<str:redemption_id>/cancel/",
        cancel,
        name="points_cancel",
    ),
    path("volunteers/counter/items/", items, name="points_items"),
    path("volunteers/counter/items/<str:item_id>/", restock, name="points_restock"),
]
