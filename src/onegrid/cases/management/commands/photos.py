"""`photos rebuild-copies [--again]`, `photos orphans [--delete]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from onegrid.cases import photo_maintenance


class Command(BaseCommand):
    help = "Stored case photos: viewing copies and thumbnails, files no case uses."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        rebuild = actions.add_parser(
            "rebuild-copies",
            help="Make the viewing copy and thumbnail of every photo stored without them "
            "(safe to run again, and while the platform runs).",
        )
        rebuild.add_argument(
            "--again",
            action="store_true",
            help="Remake every photo's copies (after changing ONEGRID_PHOTO_VIEW_PX or _THUMB_PX).",
        )
        orphans = actions.add_parser(
            "orphans", help="List the files under photos/ that no case photo uses."
        )
        orphans.add_argument("--delete", action="store_true", help="Delete them.")

    def handle(self, *args: str, action: str, **options: Any) -> None:
        if action == "rebuild-copies":
            self._rebuild(again=options["again"])
        else:
            self._orphans(delete=options["delete"])

    def _rebuild(self, *, again: bool) -> None:
        def progress(made: int) -> None:
            if made % 500 == 0:
                self.stdout.write(_("%(n)d photos done…") % {"n": made})

        result = photo_maintenance.rebuild_copies(again=again, progress=progress)
        self.stdout.write(_("Copies made for %(n)d photos.") % {"n": result.made})
        for name in result.missing:
            self.stderr.write(_("Original missing: %(name)s") % {"name": name})
        for name in result.broken:
            self.stderr.write(_("Original cannot be decoded: %(name)s") % {"name": name})

    def _orphans(self, *, delete: bool) -> None:
        names = photo_maintenance.delete_orphans() if delete else photo_maintenance.orphan_files()
        for name in names:
            self.stdout.write(name)
        message = (
            _("%(n)d files no case photo uses were deleted.")
            if delete
            else _("%(n)d files no case photo uses (delete them with --delete).")
        )
        self.stdout.write(message % {"n": len(names)})
