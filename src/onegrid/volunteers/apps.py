from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    """多元参与: volunteer organisations and volunteers, activities and hours, the points ledger
    and store, co-building units (共建单位), and each community's needs, resources and projects
    lists with the claims on them."""

    name = "onegrid.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers and partners")
    default_auto_field = "django.db.models.BigAutoField"
