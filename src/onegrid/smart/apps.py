from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmartConfig(AppConfig):
    """Smart intake: suggested class, department and urgency from a report's text, and likely
    duplicates at report time. Suggests only; people decide."""

    name = "onegrid.smart"
    label = "smart"
    verbose_name = _("Smart intake")
    default_auto_field = "django.db.models.BigAutoField"
