from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from onegrid.org import access_log, policies
from onegrid.territory.models import AdminUnit

from . import overrides
from .catalogue import MAX_TIME_LIMIT
from .models import Case, CaseClass, ClassOverride, MajorClass


@admin.register(MajorClass)
class MajorClassAdmin(admin.ModelAdmin[MajorClass]):
    list_display = ["code", "name", "name_en"]


@admin.register(CaseClass)
class CaseClassAdmin(admin.ModelAdmin[CaseClass]):
    list_display = [
        "code",
        "name",
        "major",
        "time_limit",
        "time_unit",
        "urgency",
        "default_department",
        "minor_self_closable",
        "active",
        "public",
    ]
    # Whether a class's reports may appear on the public pages is switched here, per class.
    list_editable = ["public"]
    list_filter = ["major", "urgency", "time_unit", "active", "public"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Case)
class CaseAdmin(access_log.RecordedReadsAdmin, admin.ModelAdmin[Case]):
    """Read-only: a case changes state only through the workflow table (cases.services).
    A case's own page shows every field, the reporter's name and phone unmasked among them:
    each look is recorded against the case's own reporter row (as the case page's are)."""

    access_kind = access_log.Kind.CASE_REPORTER

    def personal_fields(self, obj: Case, *, listed: bool) -> list[str]:
        if listed:
            return []
        shown = {"name": obj.reporter_name or obj.reporter_id, "phone": obj.reporter_phone}
        return [field for field, value in shown.items() if value]

    def access_subject(self, obj: Case) -> object:
        own = obj.reporters.filter(from_case=obj).values_list("pk", flat=True).first()
        return own if own is not None else f"case:{obj.pk}"

    list_display = ["number", "state", "case_class", "street", "reported_at", "due_at", "overdue"]
    list_filter = ["state", "source", "overdue", "callback_needed"]
    search_fields = ["number", "tracking_code", "description"]
    list_select_related = ["case_class", "street"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return super().get_queryset(request).defer("street__geometry_wkb")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


def _kept_district_ids(user: Any) -> frozenset[int] | None:
    """The districts whose overrides `user` keeps (org.policies.kept_district_ids): None for
    every one, else the districts granted; nobody signed in keeps none (the admin's sign-in
    page lists the apps too)."""
    return policies.kept_district_ids(user)


class ClassOverrideForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ClassOverride
        fields = [
            "district",
            "case_class",
            "time_limit",
            "time_unit",
            "default_department",
            "urgency",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        limit, unit = data.get("time_limit"), data.get("time_unit")
        if (limit is None) != (not unit):
            self.add_error(
                "time_limit", _("Give the time limit and its unit together, or neither.")
            )
        elif limit is not None and not 0 < limit <= MAX_TIME_LIMIT:
            self.add_error(
                "time_limit",
                _("A time limit is a whole number from 1 to %(max)d.") % {"max": MAX_TIME_LIMIT},
            )
        district = data.get("district")
        if district is not None and district.level != AdminUnit.Level.DISTRICT:
            self.add_error("district", _("Overrides belong to a district."))
        return data


@admin.register(ClassOverride)
class ClassOverrideAdmin(admin.ModelAdmin[ClassOverride]):
    """A district's overrides of the shared catalogue, each administrator their own district's
    (a city's administrators every district's). Every change bumps the overrides' version, so
    each app process reloads them (cases.overrides)."""

    form = ClassOverrideForm
    list_display = [
        "district",
        "case_class",
        "time_limit",
        "time_unit",
        "default_department",
        "urgency",
        "active",
        "updated_by",
        "updated_at",
    ]
    list_filter = ["urgency", "active"]
    search_fields = ["case_class__code", "case_class__name"]
    list_select_related = ["district", "case_class", "default_department"]

    def _kept(self, request: HttpRequest) -> frozenset[int] | None:
        return _kept_district_ids(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClassOverride]:
        qs = super().get_queryset(request).defer("district__geometry_wkb")
        kept = self._kept(request)
        return qs if kept is None else qs.filter(district_id__in=kept)

    def has_module_permission(self, request: HttpRequest) -> bool:
        kept = self._kept(request)
        return kept is None or bool(kept)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        kept = self._kept(request)
        if kept is None:
            return True
        return bool(kept) and (obj is None or obj.district_id in kept)

    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            units = AdminUnit.objects.filter(level=AdminUnit.Level.DISTRICT).defer("geometry_wkb")
            kept = self._kept(request)
            kwargs["queryset"] = units if kept is None else units.filter(pk__in=kept)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ClassOverride, form: Any, change: bool) -> None:
        obj.updated_by = request.user.get_username()[:150]
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            overrides.bump()

    def delete_model(self, request: HttpRequest, obj: ClassOverride) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            overrides.bump()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ClassOverride]) -> None:
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            overrides.bump()
