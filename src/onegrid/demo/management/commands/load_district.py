"""`onegrid load_district [--seed N] [--replace]`: build the Beichen demo district."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from onegrid.core.errors import DomainError
from onegrid.demo.district import DEFAULT_SEED, DISTRICT_CODE, build_beichen
from onegrid.territory import services
from onegrid.territory.models import AdminUnit


class Command(BaseCommand):
    help = "Build the Beichen (北辰区) demo district: streets, communities and ~1,300 grids."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"layout seed (default {DEFAULT_SEED}); same seed, same layout",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete and rebuild the district if it exists (refused while "
            "cases or roles refer to its grids)",
        )

    def handle(self, *args, seed: int, replace: bool, **options):
        exists = AdminUnit.objects.filter(code=DISTRICT_CODE).exists()
        if exists and not replace:
            self.stdout.write(
                f"District {DISTRICT_CODE} already exists; nothing to do "
                "(use --replace to rebuild it)."
            )
            return
        try:
            if exists:
                removed = services.delete_district(district_code=DISTRICT_CODE)
                self.stdout.write(f"Removed {removed['grids']} grids and {removed['units']} units.")
            # Refused (InvalidInput) where ONEGRID_DISTRICT_CODE names another district.
            summary = build_beichen(seed)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {summary.district_code} (seed {summary.seed}): "
                f"{summary.streets} streets/towns, {summary.communities} communities/villages, "
                f"{summary.grids} grids in "
                f"{summary.seconds + summary.write_seconds:.1f} s; grids cover "
                f"{summary.area_m2 / 1e6:.2f} km² of the {summary.outline_area_m2 / 1e6:.2f} km² "
                f"outline (difference {summary.coverage_error_m2:.0f} m²)."
            )
        )
