from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Department, RoleAssignment, User


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
