"""`open311 add-client NAME --jurisdiction CODE`, `open311 new-key NAME`,
`open311 revoke NAME`, `open311 clients`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.core.errors import DomainError
from onegrid.open311 import services
from onegrid.open311.models import ApiClient
from onegrid.territory.district import district_code


class Command(BaseCommand):
    help = "Open311 clients: register one (its key is printed once), renew or revoke a key."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add-client", help="Register a client and print its key once.")
        add.add_argument("name")
        add.add_argument(
            "--jurisdiction",
            default=None,
            help="The code of the district (the default) or of a street the client reports in.",
        )
        renew = actions.add_parser("new-key", help="Replace a client's key; print the new one.")
        renew.add_argument("name")
        revoke = actions.add_parser("revoke", help="Refuse a client's key from now on.")
        revoke.add_argument("name")
        actions.add_parser("clients", help="List the clients.")

    def handle(self, *args: str, action: str, **options: Any) -> None:
        try:
            if action == "add-client":
                client, key = services.add_client(
                    actor=None,
                    name=options["name"],
                    jurisdiction_code=options["jurisdiction"] or district_code(),
                )
                self.stdout.write(
                    _("Client %(name)s registered for %(unit)s. Its key, shown only now:")
                    % {"name": client.name, "unit": client.jurisdiction.name}
                )
                self.stdout.write(key)
            elif action == "new-key":
                key = services.new_key(actor=None, client_id=self._client(options["name"]).pk)
                self.stdout.write(_("The new key, shown only now:"))
                self.stdout.write(key)
            elif action == "revoke":
                client = services.revoke_client(
                    actor=None, client_id=self._client(options["name"]).pk
                )
                self.stdout.write(_("Client %(name)s revoked.") % {"name": client.name})
            else:
                for client in ApiClient.objects.select_related("jurisdiction"):
                    state = _("active") if client.active else _("revoked")
                    self.stdout.write(
                        f"{client.name}\t{client.jurisdiction.code}\t{client.key_prefix}…\t{state}"
                    )
        except DomainError as error:
            raise CommandError(str(error.message)) from None

    def _client(self, name: str) -> ApiClient:
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(_("No client is named %(name)s.") % {"name": name})
        return client
