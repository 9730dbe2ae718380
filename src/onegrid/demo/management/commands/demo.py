"""`onegrid demo [--days 30] [--seed S] [--per-day K]`: a ready-to-use demo, once.

Builds the Beichen district, the default catalogue and the demo people, simulates about a month
of history, adds the Party organisations, volunteers and partners of that month (demo.party,
demo.volunteering), and prints one login per role and the evaluation measures. Run again, it only
prints the logins: `make demo` runs it before every start of the server.
"""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.deliberation.models import Topic
from onegrid.demo import centres, deliberation, mediation, party, volunteering, whistles
from onegrid.demo.district import DISTRICT_CODE
from onegrid.demo.people import DEMO_PASSWORD, people_seeded, seed_people
from onegrid.demo.populations import record_grid_populations
from onegrid.demo.simulator import TZ, simulate
from onegrid.mediation.models import MediationCommittee
from onegrid.open311 import services as open311_services
from onegrid.open311.models import ApiClient
from onegrid.org.models import Role, User
from onegrid.residents import public
from onegrid.residents.public_models import PublicSettings

from .simulate import ensure_world, report_simulation

DEMO_SEED = 1128


def login_table(logins: dict[str, str], password: str) -> str:
    rows = [(str(Role(role).label), username) for role, username in logins.items()]
    width = max(_width(label) for label, _name in rows) + 2
    name_width = max(len(name) for _label, name in rows) + 2
    header = _("Role"), _("Username"), _("Password")
    lines = [
        header[0] + " " * (width - _width(header[0])) + header[1].ljust(name_width) + header[2]
    ]
    for label, username in rows:
        lines.append(label + " " * (width - _width(label)) + username.ljust(name_width) + password)
    return "\n".join(lines)


def _width(text: str) -> int:
    # Chinese role names take two terminal columns per character.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class Command(BaseCommand):
    help = (
        "Load the demo (district, catalogue, people, a month of simulated history) unless "
        "it is loaded already, and print one login per role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="days of history (default 30)")
        parser.add_argument(
            "--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})"
        )
        parser.add_argument(
            "--per-day", type=int, default=60, help="reports on a working day (default 60)"
        )

    def _train_classifier(self) -> None:
        """Suggestions in the field app and on case pages need a model: the demo's is trained
        on its own closed cases, as a district's would be (`onegrid classifier train`)."""
        self.stdout.write(_("Training the report classifier on the demo's closed cases…"))
        try:
            call_command("classifier", "train", stdout=self.stdout)
        except CommandError as error:
            # Too short a history to learn from: the demo still runs, without suggestions.
            self.stdout.write(_("No classifier trained: %(why)s") % {"why": error})

    def _open_to_the_public(self) -> None:
        """The demo district publishes its reports (/public/) and has one Open311 client, whose
        key is printed once. Each only when it was never set: an administrator's later choice
        (pages off, client revoked) stands."""
        if not PublicSettings.objects.filter(district__code=DISTRICT_CODE).exists():
            public.configure(district_code=DISTRICT_CODE, enabled=True)
        if not ApiClient.objects.exists():
            client, key = open311_services.add_client(
                actor=None, name="12345 demo client", jurisdiction_code=DISTRICT_CODE
            )
            self.stdout.write(
                _("Open311 client %(name)s, API key (shown once): %(key)s")
                % {"name": client.name, "key": key}
            )

    def _participation(self, start: dt.datetime, end: dt.datetime) -> None:
        """The Party tree, 双报到, volunteers, partners, lists, points and store, the streets'
        whistles and the Party service centres of the simulated month, through their services
        (demo.party, demo.volunteering, demo.whistles, demo.centres)."""
        self.stdout.write(_("Adding the Party organisations, volunteers and partners…"))
        for line in party.seed_party(start=start, end=end).lines():
            self.stdout.write("  " + line)
        for line in volunteering.seed_volunteering(start=start, end=end).lines():
            self.stdout.write("  " + line)
        for line in whistles.seed_whistles(start=start, end=end).lines():
            self.stdout.write("  " + line)
        for line in centres.seed_centres(start=start, end=end).lines():
            self.stdout.write("  " + line)

    def _self_governance(self, start: dt.datetime, end: dt.datetime) -> None:
        """自治 and 法治 of the simulated month through their services: committee members, the
        voter roll, topics, ballots and decisions (demo.deliberation); mediation committees,
        disputes, screenings, risks and legal questions (demo.mediation)."""
        self.stdout.write(_("Adding resident deliberation, people's mediation and legal advice…"))
        for line in deliberation.seed_deliberation(start=start, end=end).lines():
            self.stdout.write("  " + line)
        for line in mediation.seed_mediation(start=start, end=end).lines():
            self.stdout.write("  " + line)

    def _self_governance_if_missing(self) -> None:
        """A demo loaded before deliberation and mediation existed gets them once, over the month
        its cases span (each part is made only where none exists)."""
        if Topic.objects.exists() and MediationCommittee.objects.exists():
            return
        span = Case.objects.aggregate(first=Min("reported_at"), last=Max("reported_at"))
        if span["first"] is None:
            return
        first = span["first"].astimezone(TZ).date()
        last = span["last"].astimezone(TZ).date() + dt.timedelta(days=1)
        start = dt.datetime.combine(first, dt.time(0), tzinfo=TZ)
        end = min(dt.datetime.combine(last, dt.time(0), tzinfo=TZ), clock.now())
        if end - start >= dt.timedelta(days=2):
            self._self_governance(start, end)

    def handle(self, *args, days: int, seed: int, per_day: int, **options):
        if days < 1 or per_day < 1:
            raise CommandError(_("--days and --per-day must be at least 1."))
        if people_seeded() and Case.objects.exists():
            logins = seed_people(DEMO_PASSWORD)
            self.stdout.write(_("The demo is already loaded."))
            self._self_governance_if_missing()
        else:
            logins = ensure_world(self.stdout)
            result = simulate(days, seed, reports_per_day=per_day, out=self.stdout)
            report_simulation(self.stdout, result)
            self._participation(result.start, result.end)
            self._self_governance(result.start, result.end)
            self._train_classifier()
        # Also for a demo loaded before grids had residents: the rates per 10,000 need them.
        populated = record_grid_populations()
        if populated:
            self.stdout.write(
                _("Recorded the residents of %(n)d grids (for the rates per 10,000).")
                % {"n": populated}
            )
        for role, username in (
            (Role.PARTY_STAFF, party.STAFF_USERNAME),
            (Role.ORGANISER, volunteering.ORGANISER_EXAMPLE),
        ):
            if User.objects.filter(username=username).exists():
                logins[str(role)] = username
        for role, found in (
            (Role.COMMUNITY_COMMITTEE, deliberation.committee_login()),
            (Role.MEDIATOR, mediation.mediator_login()),
            (Role.JUDICIAL_OFFICE, mediation.judicial_login()),
            (Role.LEGAL_ADVISER, mediation.adviser_login()),
        ):
            if found is not None:
                logins[str(role)] = found
        member = party.member_login()  # the grid teams' pm- people cannot sign in; this one can
        if member is not None:
            logins[str(Role.PARTY_MEMBER)] = member
        self._open_to_the_public()  # also for a demo loaded before these existed
        self.stdout.write("")
        self.stdout.write(
            _(
                "Demo logins (every grid worker is gw-<grid code>, every street "
                "desk acc-/disp-/lead-/cb-<street digits>):"
            )
        )
        self.stdout.write(login_table(logins, DEMO_PASSWORD))
