from django.apps import AppConfig


class Open311Config(AppConfig):
    """The Open311 GeoReport v2 edge: discovery, services, requests, tokens and the
    servicerequestupdates extension."""

    name = "onegrid.open311"
    label = "open311"
    verbose_name = "Open311"
    default_auto_field = "django.db.models.BigAutoField"
