from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    """Residents: accounts with a mobile number and one-time codes, anonymous reports with tracking
    codes, and the public pages of reports."""

    name = "onegrid.residents"
    label = "residents"
    verbose_name = "residents"
    default_auto_field = "django.db.models.BigAutoField"
