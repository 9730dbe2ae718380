from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Department, DutyShift, RoleAssignment, TeamSlot, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["unit", "grid", "department"]


@admin.register(User)
class OneGridUserAdmin(UserAdmin):
    fieldsets = [*UserAdmin.fieldsets, ("OneGrid", {"fields": ["display_name", "phone"]})]
    list_display = ["username", "display_name", "is_active", "is_staff"]
    search_fields = ["username", "display_name"]
    inlines = [RoleInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "street"]
    search_fields = ["code", "name"]


@admin.register(TeamSlot)
class TeamSlotAdmin(admin.ModelAdmin):
    list_display = ["order", "role", "label", "group", "minimum"]
    list_display_links = ["role"]
    list_editable = ["order", "label", "minimum"]
    list_filter = ["group"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    # DutyShift.clean applies the roster's time rules here; membership of the grid's team is
    # checked only by org.teams.schedule_duty.
    list_display = ["grid", "user", "starts_at", "ends_at", "created_by"]
    list_filter = ["grid__street"]
    search_fields = ["grid__code", "grid__name", "user__username", "user__display_name"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["grid", "user"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
