from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    """Residents: accounts with a mobile number and one-time codes, anonymous reports with tracking
    codes, and the public pages of reports."""

    name = "onegrid.residents"
    label = "residents"
    verbose_name = _("Residents")
    default_auto_field = "django.db.models.BigAutoField"
