from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    """自治: resident deliberation (议事协商) in a community, grid or building: topics raised and
    co-signed, the committee's review, meetings with minutes, proposals, votes on the voter
    roll, published decisions and the practical projects and cases that carry them out."""

    name = "onegrid.deliberation"
    label = "deliberation"
    verbose_name = _("Resident deliberation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from onegrid.core import backup

        from . import meetings

        # The meeting attachments live under ONEGRID_VAR_DIR, not in the media storage.
        backup.register_folder("deliberation_meetings", meetings.attachments_root)
