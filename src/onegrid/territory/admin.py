from django.contrib import admin

from .models import AdminUnit, Grid


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    exclude = ["geometry_wkb"]  # boundaries change through `onegrid grids import`


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "street", "area_m2"]
    search_fields = ["code", "name"]
    list_select_related = ["community", "street"]
    exclude = ["geometry_wkb"]
    readonly_fields = ["code", "community", "street", "area_m2", "label_lon", "label_lat"]
