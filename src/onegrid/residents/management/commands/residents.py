"""`onegrid residents purge`: old one-time codes deleted, old anonymous reports' addresses
forgotten (residents.services.purge; run it daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from onegrid.residents import services


class Command(BaseCommand):
    help = "Resident accounts: purge old one-time codes and anonymous reports' addresses."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "purge",
            help="Delete one-time codes older than a day; forget the address of anonymous "
            "reports older than 30 days.",
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        purged = services.purge()
        self.stdout.write(
            _("Deleted %(codes)d old codes; forgot %(addresses)d addresses.")
            % {"codes": purged.codes, "addresses": purged.addresses}
        )
