from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "onegrid.territory"
    verbose_name = _("Territory and grids")
    label = "territory"
    default_auto_field = "django.db.models.BigAutoField"
