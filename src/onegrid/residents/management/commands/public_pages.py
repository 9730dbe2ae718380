"""`onegrid public_pages show|set`: the public pages' switches per district (also in the admin,
Residents → public pages of the districts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.core.errors import DomainError
from onegrid.residents import public
from onegrid.residents.public_models import PublicSettings


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise ValueError(text)
    return text == "on"


class Command(BaseCommand):
    help = "The public pages (/public/) per district: show the switches, or set them."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("show", help="Every district's switches.")
        change = actions.add_parser("set", help="Switch one district's public pages.")
        change.add_argument("district", help="the district's 12-digit code, e.g. 120113000000")
        change.add_argument("--pages", type=_on_off, choices=[True, False], metavar="on|off")
        change.add_argument("--location", choices=PublicSettings.Location.values)
        change.add_argument("--feed", type=_on_off, choices=[True, False], metavar="on|off")

    def handle(self, *args: str, action: str, **options: Any) -> None:
        if action == "set":
            try:
                public.configure(
                    district_code=options["district"],
                    enabled=options["pages"],
                    location=options["location"],
                    feed_enabled=options["feed"],
                )
            except DomainError as error:
                raise CommandError(f"{error.field}: {error.message}") from None
        rows = PublicSettings.objects.select_related("district").order_by("district__code")
        if not rows:
            self.stdout.write(_("No district publishes its reports."))
        for row in rows:
            self.stdout.write(
                _("%(district)s: pages %(pages)s, location %(location)s, feed %(feed)s")
                % {
                    "district": row.district,
                    "pages": _("on") if row.enabled else _("off"),
                    "location": row.location,
                    "feed": _("on") if row.feed_enabled else _("off"),
                }
            )
