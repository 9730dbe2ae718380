"""The residents app's admin pages: the public pages' settings (public_admin.py), and resident
accounts' codes (never the code itself), profiles and anonymous reports, for support and abuse
reviews, read-only (the services alone write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onegrid.org import access_log
from onegrid.org.policies import mask_phone

from . import public_admin  # noqa: F401  (PublicSettings: residents/public_admin.py)
from .models import AnonymousReport, OneTimeCode, ResidentProfile


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(access_log.RecordedReadsAdmin, ReadOnly):
    list_display = ["masked_phone", "purpose", "created_at", "attempts", "used_at", "sent"]
    list_filter = ["purpose", "sent"]
    date_hierarchy = "created_at"
    # The digest stays out: it is of no use to a person and a step towards the code.
    fields = (
        "masked_phone",
        "purpose",
        "created_at",
        "expires_at",
        "attempts",
        "used_at",
        "retired_at",
        "client_address",
        "sent",
    )
    readonly_fields = fields
    # The phone is masked; the caller's address is shown on a code's own page: recorded.
    access_kind = access_log.Kind.ONE_TIME_CODE

    def personal_fields(self, obj: OneTimeCode, *, listed: bool) -> list[str]:
        return [] if listed else access_log.shown_fields(obj, ["client_address"])

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: OneTimeCode) -> str:
        return mask_phone(obj.phone)


@admin.register(ResidentProfile)
class ResidentProfileAdmin(access_log.RecordedReadsAdmin, ReadOnly):
    list_display = ["user", "registered_at", "phone_verified_at"]
    readonly_fields = ["user", "registered_at", "phone_verified_at"]
    list_select_related = ["user"]
    # The account is shown by its name (or, without one, by its username: the mobile number).
    access_kind = access_log.Kind.RESIDENT_ACCOUNT

    def personal_fields(self, obj: ResidentProfile, *, listed: bool) -> list[str]:
        return ["display_name"] if obj.user.display_name else ["username"]


@admin.register(AnonymousReport)
class AnonymousReportAdmin(access_log.RecordedReadsAdmin, ReadOnly):
    list_display = ["case", "client_address", "created_at"]
    readonly_fields = ["case", "client_address", "created_at"]
    date_hierarchy = "created_at"
    # The anonymous reporter's address (IP) is shown in full: each look is recorded.
    access_kind = access_log.Kind.ANONYMOUS_REPORT

    def personal_fields(self, obj: AnonymousReport, *, listed: bool) -> list[str]:
        return access_log.shown_fields(obj, ["client_address"])
