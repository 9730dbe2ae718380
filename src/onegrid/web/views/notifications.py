"""The in-app inbox (/notifications/: newest first, 50 a page, mark one or all read, each item
leading to its case while the reader may still see it) and the notification settings
(/account/notifications/: channels per kind, quiet hours). Every signed-in person has both;
what they read and change is only their own (notify.selectors, notify.inbox,
notify.preferences)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from onegrid.core.errors import DomainError, NotFound
from onegrid.notify import inbox, selectors
from onegrid.notify import preferences as prefs

from .. import access
from .paging import query_without_page

TABS = {"all": gettext_lazy("All"), "unread": gettext_lazy("Unread")}


@access.signed_in
def notification_list(request):
    tab = "unread" if request.GET.get("tab") == "unread" else "all"
    rows = selectors.notifications_for(request.user, unread_only=tab == "unread")
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "tab": tab,
        "tabs": list(TABS.items()),
        "page": page,
        "items": selectors.items(request.user, page.object_list),
        "unread": selectors.unread_count(request.user),
        "newest_id": selectors.newest_id(request.user),
        "query": query_without_page(request),
    }
    return render(request, "web/notifications/list.html", context)


def _back(request):
    """Back to the list page the form was on (only a path of this site)."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("web:notifications")


def _mark(request, notification_id):
    try:
        return inbox.mark_read(actor=request.user, notification_id=notification_id)
    except NotFound:
        raise Http404(_("No such notification.")) from None


@require_POST
@access.signed_in
def mark_read(request, notification_id):
    _mark(request, notification_id)
    return _back(request)


@require_POST
@access.signed_in
def open_notification(request, notification_id):
    """Mark read and go where it leads: its page, or its case while the reader may still see
    it; else back to the list, saying the case is no longer theirs to see."""
    found = _mark(request, notification_id)
    item = selectors.items(request.user, [found])[0]
    if item.link:
        return redirect(item.link)
    if item.case_number:
        return redirect("web:case", ref=item.case_number)
    if found.case_id is not None:
        messages.info(request, _("You can no longer see the case of this notification."))
    return _back(request)


@require_POST
@access.signed_in
def mark_all_read(request):
    try:
        marked = inbox.mark_all_read(actor=request.user, up_to=request.POST.get("up_to") or None)
    except DomainError as error:
        messages.error(request, str(error.message))
        return _back(request)
    if marked:
        messages.success(
            request,
            ngettext("Marked %(n)d notification read.", "Marked %(n)d notifications read.", marked)
            % {"n": marked},
        )
    return _back(request)


@access.signed_in
def preferences_page(request):
    """GET: the form with the stored choices. POST: save; a refusal shows the form again with
    what was sent, the error next to its field (status 422), and saves nothing."""
    error = None
    sent = None
    if request.method == "POST":
        sent = {
            "channels": {
                kind: request.POST.getlist(f"channel-{kind}") for kind in prefs.choosable_kinds()
            },
            "quiet_start": request.POST.get("quiet_start", ""),
            "quiet_end": request.POST.get("quiet_end", ""),
        }
        # A resident's form holds only the kinds about their reports; the others keep theirs.
        shown = {k.kind for k in selectors.preferences_of(request.user).kinds}
        current = selectors.current_channels(request.user)
        receivable = prefs.receivable(request.user)
        channels = {
            kind: (
                sent["channels"][kind]
                if kind in shown
                else [c for c in current[kind] if c in receivable]
            )
            for kind in prefs.choosable_kinds()
        }
        try:
            prefs.set_preferences(
                actor=request.user,
                channels=channels,
                quiet_start=sent["quiet_start"],
                quiet_end=sent["quiet_end"],
            )
        except DomainError as refused:
            error = refused
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("web:notification_preferences")
    view = selectors.preferences_of(request.user)
    rows = []
    for k in view.kinds:
        chosen = sent["channels"][k.kind] if sent else k.channels
        rows.append(
            {
                "kind": k.kind,
                "label": k.label,
                "sms": "sms" in chosen,
                "email": "email" in chosen,
                "about_my_reports": k.about_my_reports,
                "error": error.message
                if error is not None and error.field == f"channels.{k.kind}"
                else None,
            }
        )
    quiet_start = sent["quiet_start"] if sent else _hhmm(view.quiet_start)
    quiet_end = sent["quiet_end"] if sent else _hhmm(view.quiet_end)
    context = {
        "work_rows": [r for r in rows if not r["about_my_reports"]],
        "report_rows": [r for r in rows if r["about_my_reports"]],
        "view": view,
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
        "error": error,
        "error_field": error.field if error is not None else None,
        "account_url": reverse("web:account"),
    }
    return render(
        request,
        "web/notifications/preferences.html",
        context,
        status=error.status if error is not None else 200,
    )


def _hhmm(value):
    return value.strftime("%H:%M") if value is not None else ""


routes = [
    path("notifications/", notification_list, name="notifications"),
    path("notifications/read-all/", mark_all_read, name="notifications_read_all"),
    path("notifications/<str:notification_id>/read/", mark_read, name="notification_read"),
    path("notifications/<str:notification_id>/open/", open_notification, name="notification_open"),
    path("account/notifications/", preferences_page, name="notification_preferences"),
]
