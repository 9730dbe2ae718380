from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from onegrid.org import access_log

from .models import Case, CaseClass, MajorClass


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
