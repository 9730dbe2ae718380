from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    """法治: the people's mediation register (人民调解) with its agreements and judicial
    confirmation, the monthly dispute screening and the risk register, and the legal basis
    and the community legal adviser's answers."""

    name = "onegrid.mediation"
    label = "mediation"
    verbose_name = _("Mediation and rule of law")
    default_auto_field = "django.db.models.BigAutoField"
