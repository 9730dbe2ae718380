"""Sign in, sign out, the landing page of each role, and my account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onegrid.org.models import Role
from onegrid.org.policies import assignments, mask_phone

from .. import access
from ..context import page_links


def home(request):
    if not request.user.is_authenticated:
        return access.login_redirect(request) if request.COOKIES else redirect("web:login")
    return redirect(access.landing_url(request.user))


def _next_url(request) -> str:
    """Where to go after signing in: the form's or the query's `next`, if it stays on this site."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return next_url if url_has_allowed_host_and_scheme(next_url, {request.get_host()}) else ""


def sign_in(request):
    next_url = _next_url(request)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or access.landing_url(request.user))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(next_url or access.landing_url(form.get_user()))
    context = {"form": form, "next": next_url, "expired": request.GET.get("expired") == "1"}
    return render(request, "web/login.html", context, status=400 if form.is_bound else 200)


def sign_in_refused(request, message: str):
    """The login page again, with why the sign-in was refused unchecked (too many failures:
    config/lockout.py); also answers /admin/login/, whose form posts the same fields."""
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "next": _next_url(request), "refused": message}
    return render(request, "web/login.html", context, status=429)


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("web:login")


@access.signed_in
def account(request):
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("web:account")
    roles = [
        {"label": Role(a.role).label, "where": a.grid or a.unit or a.department or "—"}
        for a in assignments(user)
    ]
    context = {
        "roles": roles,
        "pages": page_links(user),
        "masked_phone": mask_phone(user.phone) if user.phone else "",
        "session_ends": request.session.get_expiry_date(),
        "password_form": form,
    }
    return render(request, "web/account.html", context, status=400 if form.errors else 200)
