"""Campaigns (集中整治) in /admin/: the command centre and the administrators declare and edit
them (policies.may_manage_campaigns); Campaign.clean applies the rules the API applies."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onegrid.org import policies
from onegrid.org.models import User

from .models import Campaign


def _manages(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and policies.may_manage_campaigns(user)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["name", "class_prefix", "scope_kind", "unit", "grid", "start", "end"]
    list_filter = ["scope_kind"]
    search_fields = ["name", "class_prefix"]
    date_hierarchy = "start"
    autocomplete_fields = ["unit", "grid"]
    readonly_fields = ["created_by", "created_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _manages(request)

    def has_view_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        return _manages(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _manages(request)

    def has_change_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        return _manages(request)

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        return _manages(request)

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        if not change and isinstance(request.user, User):  # the admin site is signed in
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
