from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "onegrid.org"
    verbose_name = _("Organisation and people")
    label = "org"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access_cache

        access_cache.connect()
