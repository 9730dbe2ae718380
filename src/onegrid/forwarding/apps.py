from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForwardingConfig(AppConfig):
    """Forwarding cases to other systems (a city 12345 platform, say) by webhook or Open311,
    retried until acknowledged and reconciled."""

    name = "onegrid.forwarding"
    label = "forwarding"
    verbose_name = _("Forwarding to other systems")
    default_auto_field = "django.db.models.BigAutoField"
