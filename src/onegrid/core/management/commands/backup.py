"""`onegrid backup DIR`: the database (SQLite online backup or pg_dump) and the media, with a
manifest of row counts and checksums (core.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database and the media files into a new directory, with a manifest "
        "(migrations, rows per table, checksums). Safe while the platform runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="a new (or empty) directory to write the backup to")

    def handle(self, *args: str, directory: str, **options: Any) -> None:
        try:
            manifest = backup.backup(Path(directory), say=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        data = manifest.data
        self.stdout.write(
            _(
                "Backup written to %(dir)s: %(vendor)s, %(tables)d tables, %(rows)d rows, "
                "%(files)s media files."
            )
            % {
                "dir": directory,
                "vendor": data["database"]["vendor"],
                "tables": len(data["tables"]),
                "rows": sum(data["tables"].values()),
                "files": data["media"].get("files", "—"),
            }
        )
