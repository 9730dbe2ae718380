from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    """一核引领: the Party organisation tree on the territory, its members and their history,
    双报到 (units and employed members reporting in to communities) and the Party service
    centres with their standardisation inspections."""

    name = "onegrid.party"
    label = "party"
    verbose_name = _("Party organisations")
    default_auto_field = "django.db.models.BigAutoField"
