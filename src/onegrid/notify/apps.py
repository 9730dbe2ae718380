from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """Notifications and the durable job queue they ride on: the in-app inbox, SMS, email and
    signed webhooks, fanned out from the case history."""

    name = "onegrid.notify"
    label = "notify"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"
