"""Admin pages of the Party service centres: the district's checklist, kept by the
administrators and the district's Party staff (org.policies.may_configure_centre_checklist),
each save going through party.centres like the checklist page; centres and inspections
read-only (party.centres alone writes them, so scores and rectification cases stay whole).
Imported by party/admin.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from onegrid.core.errors import DomainError
from onegrid.org import policies

from . import centres
from .models import ChecklistItem, Inspection, ServiceCentre


class ChecklistItemForm(forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ["category", "text", "max_score", "applies_to", "order", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            centres.check_checklist_item(
                category=data.get("category"),
                text=data.get("text"),
                max_score=data.get("max_score"),
                applies_to=data.get("applies_to"),
                order=data.get("order") or 0,
            )
        except DomainError as e:
            field = e.field if e.field in self.fields else None
            self.add_error(field, str(e.message))
        return data


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    form = ChecklistItemForm
    list_display = ["order", "category", "text", "max_score", "applies_to", "active"]
    list_filter = ["category", "applies_to", "active"]

    def _may(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and policies.may_configure_centre_checklist(
            request.user
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # scores point at their items: retire an item (active off) instead

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        centres.save_checklist_item(
            actor=request.user,  # type: ignore[arg-type]
            item=obj,
            category=obj.category,
            text=obj.text,
            max_score=obj.max_score,
            applies_to=obj.applies_to,
            order=obj.order,
            active=obj.active,
        )


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceCentre)
class ServiceCentreAdmin(ReadOnly):
    list_display = ["name", "level", "unit", "active"]
    list_filter = ["level", "active"]
    search_fields = ["name"]
    list_select_related = ["unit"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnly):
    list_display = ["centre", "inspected_at", "score", "max_score"]
    list_select_related = ["centre"]
    exclude = ["idempotency_key"]
