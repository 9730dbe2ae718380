from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Notifications and the durable job queue they ride on: the in-app inbox, SMS, email and
    signed webhooks, fanned out from the case history."""

    name = "onegrid.notify"
    label = "notify"
    verbose_name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"
