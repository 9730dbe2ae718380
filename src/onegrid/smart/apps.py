from django.apps import AppConfig


class SmartConfig(AppConfig):
    """Smart intake: suggested class, department and urgency from a report's text, and likely
    duplicates at report time. Suggests only; people decide."""

    name = "onegrid.smart"
    label = "smart"
    verbose_name = "smart intake"
    default_auto_field = "django.db.models.BigAutoField"
