"""`onegrid restore DIR`: replace the database and the media with a backup made by
`onegrid backup`, after checking its checksums, database vendor and migrations (core.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.core import backup


class Command(BaseCommand):
    help = (
        "Replace the whole database and the media files with a backup. Stop the app "
        "processes, queue workers and timers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="a directory written by `onegrid backup`")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the backup (checksums, vendor, migrations); change nothing",
        )

    def handle(self, *args: str, directory: str, **options: Any) -> None:
        source = Path(directory)
        try:
            manifest = backup.check_backup(source)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        data = manifest.data
        self.stdout.write(
            _(
                "Backup of %(when)s: %(vendor)s, %(rows)d rows in %(tables)d tables; "
                "checksums match."
            )
            % {
                "when": data["created_at"],
                "vendor": manifest.vendor,
                "rows": sum(manifest.tables.values()),
                "tables": len(manifest.tables),
            }
        )
        if options["check"]:
            return
        if options["interactive"]:
            answer = input(
                _(
                    "This replaces the whole database and the media files with the backup. Stop "
                    "the app processes, workers and timers first. Type 'yes' to go on: "
                )
            )
            if answer.strip().lower() != "yes":
                raise CommandError(_("Restore cancelled; nothing was changed."))
        try:
            result = backup.restore(source, say=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        for note in result.notes:
            self.stdout.write(note)
        if result.differences:
            for difference in result.differences:
                self.stderr.write(difference)
            raise CommandError(
                _("The restored database's row counts differ from the backup's manifest.")
            )
        self.stdout.write(_("Restored. Start the app processes again, then run `onegrid verify`."))
