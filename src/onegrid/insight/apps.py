from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "onegrid.insight"
    label = "insight"
    default_auto_field = "django.db.models.BigAutoField"
