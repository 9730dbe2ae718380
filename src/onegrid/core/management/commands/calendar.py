"""`onegrid calendar import|show|export|remove`: the holiday schedule administrators keep."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES  # 0 is Monday, as date.weekday()
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from onegrid.core import clock, district_days, holiday_schedule, limits, workdays
from onegrid.core.errors import InvalidInput


def source_label(source: str) -> str:
    return str(holiday_schedule.SOURCE_LABELS[source])


class Command(BaseCommand):
    help = (
        "Import, show, export or remove the holiday schedule: dates marked 休 (rest day on a "
        "weekday) or 班 (make-up working day on a weekend), preferred over the chinesecalendar "
        "package for the years it has."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        load = sub.add_parser(
            "import",
            help="replace whole years from a CSV (UTF-8 or GB18030) or XLSX of 日期/date, "
            "类型/kind (休 or 班; rest or work), 名称/name",
        )
        load.add_argument("path")
        load.add_argument("--year", type=int, help="import only this year (other rows are errors)")
        load.add_argument(
            "--replace", action="store_true", help="replace a year that already has a schedule"
        )
        load.add_argument("--dry-run", action="store_true", help="report, change nothing")
        load.add_argument(
            "--by", default="", help="who imports (recorded; default: the system user)"
        )
        show = sub.add_parser("show", help="the years known, or the days of one year")
        show.add_argument("--year", type=int)
        export = sub.add_parser(
            "export", help="write a year's days (schedule or package) as the import reads them"
        )
        export.add_argument("--year", type=int, action="append", help="repeat for more years")
        export.add_argument("--out", help=".csv or .xlsx (default: CSV on standard output)")
        remove = sub.add_parser(
            "remove", help="drop a year's schedule (the package or Monday–Friday count it again)"
        )
        remove.add_argument("--year", type=int, required=True)
        add_day = sub.add_parser(
            "add-day",
            help="a district's own day: a rest day (休) or make-up working day (班) that applies "
            "in that district only",
        )
        add_day.add_argument("--district", required=True, help="the district's code (6 or 12)")
        add_day.add_argument("--date", required=True, help="YYYY-MM-DD")
        add_day.add_argument("--kind", required=True, help="休 or 班 (rest or work)")
        add_day.add_argument("--name", default="")
        add_day.add_argument("--by", default="", help="who adds it (recorded)")
        remove_day = sub.add_parser("remove-day", help="drop a district's own day")
        remove_day.add_argument("--district", required=True)
        remove_day.add_argument("--date", required=True, help="YYYY-MM-DD")
        show.add_argument("--district", help="also list this district's own days")

    def handle(self, *args: str, verb: str, **options: Any) -> None:
        getattr(self, "_" + verb.replace("-", "_"))(**options)

    # --- import ------------------------------------------------------------------------------

    def _import(
        self,
        path: str,
        year: int | None,
        replace: bool,
        dry_run: bool,
        by: str,
        **_options: object,
    ) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(_("%(path)s: no such file") % {"path": path})
        if file.stat().st_size > holiday_schedule.MAX_FILE_BYTES:
            error = limits.file_too_large(holiday_schedule.MAX_FILE_BYTES)
            raise CommandError(f"{error.field}: {error.message}")
        try:
            report = holiday_schedule.import_schedule(
                data=file.read_bytes(),
                filename=file.name,
                year=year,
                replace=replace,
                dry_run=dry_run,
                imported_by=by or _("%(user)s (command line)") % {"user": getpass.getuser()},
            )
        except InvalidInput as error:
            raise CommandError(f"{error.field}: {error.message}") from None
        for problem in report.problems:
            self.stdout.write(f"  ! {problem.message}")
        for warning in report.warnings:
            self.stdout.write(f"  ~ {warning.message}")
        if report.refused:
            if any(p.field == "replace" for p in report.problems):
                self.stdout.write(_("  (add --replace to replace a year's schedule)"))
            raise CommandError(
                ngettext(
                    "%(n)d problem: nothing imported",
                    "%(n)d problems: nothing imported",
                    len(report.problems),
                )
                % {"n": len(report.problems)}
            )
        for plan in report.years:
            if plan.unchanged:
                self.stdout.write(
                    _("%(year)s: the schedule already holds exactly these days; unchanged")
                    % {"year": plan.year}
                )
                continue
            summary = _(
                "%(year)s: %(rest)d 休, %(work)d 班 (until now: %(before)s; "
                "%(added)d added, %(removed)d removed, %(changed)d changed)"
            ) % {
                "year": plan.year,
                "rest": plan.rest,
                "work": plan.work,
                "before": source_label(plan.replaces),
                "added": len(plan.added),
                "removed": len(plan.removed),
                "changed": len(plan.changed),
            }
            if dry_run:
                self.stdout.write(_("dry run: would import %(summary)s") % {"summary": summary})
            else:
                self.stdout.write(_("imported %(summary)s") % {"summary": summary})

    # --- show --------------------------------------------------------------------------------

    def _show(self, year: int | None, district: str | None = None, **_options: object) -> None:
        if district:
            try:
                own = district_days.days_of(district, year)
            except InvalidInput as error:
                raise CommandError(f"{error.field}: {error.message}") from None
            for row in own:
                weekday = WEEKDAY_NAMES[row.day.weekday()]
                mark = holiday_schedule.KIND_MARKS[row.kind]
                line = f"{row.district_code}  {row.day.isoformat()}  {weekday}  {mark}  {row.name}"
                self.stdout.write(line.rstrip())
            if not own:
                self.stdout.write(_("The district has no days of its own."))
            return
        if year is not None:
            source, days = holiday_schedule.year_days(year)
            self.stdout.write(f"{year}: {source_label(source)}")
            for day, kind, name in days:
                weekday = WEEKDAY_NAMES[day.weekday()]
                mark = holiday_schedule.KIND_MARKS[kind]
                self.stdout.write(f"{day.isoformat()}  {weekday}  {mark}  {name}".rstrip())
            return
        today = timezone.localtime(clock.now(), workdays.TZ)
        package = workdays.package_years()
        self.stdout.write(
            _("chinesecalendar package: %(first)s–%(last)s")
            % {"first": package.start, "last": package.stop - 1}
        )
        for summary in holiday_schedule.year_summaries(today.year):
            line = f"{summary.year}  {source_label(summary.source)}"
            if summary.source != workdays.WEEKDAYS:
                line += f"  {summary.rest} 休  {summary.work} 班"
            if summary.imported_at:
                line += "  " + _("imported %(at)s by %(by)s (%(file)s)") % {
                    "at": timezone.localtime(summary.imported_at, workdays.TZ).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                    "by": summary.imported_by,
                    "file": summary.source_name or "—",
                }
            self.stdout.write(line)
        for missing in workdays.years_without_calendar(clock.now()):
            self.stderr.write(holiday_schedule.missing_year_message(missing))

    # --- export ------------------------------------------------------------------------------

    def _export(self, year: list[int] | None, out: str | None, **_options: object) -> None:
        years = year or [timezone.localtime(clock.now(), workdays.TZ).year]
        if out and out.lower().endswith(".xlsx"):
            Path(out).write_bytes(holiday_schedule.export_xlsx(years))
        elif out:
            Path(out).write_bytes(holiday_schedule.export_csv(years))
        else:
            self.stdout.write(holiday_schedule.export_csv(years).decode("utf-8-sig"), ending="")
            return
        self.stdout.write(_("wrote %(path)s") % {"path": out})

    # --- remove ------------------------------------------------------------------------------

    def _remove(self, year: int, **_options: object) -> None:
        if not holiday_schedule.remove_year(year=year):
            raise CommandError(_("%(year)s has no schedule.") % {"year": year})
        self.stdout.write(
            _("removed %(year)s: now counted on the %(source)s")
            % {"year": year, "source": source_label(workdays.source_of(year))}
        )

    # --- a district's own days ---------------------------------------------------------------

    def _add_day(
        self, district: str, date: str, kind: str, name: str, by: str, **_options: object
    ) -> None:
        try:
            change = district_days.add_day(
                district=district,
                day=date,
                kind=kind,
                name=name,
                added_by=by or _("%(user)s (command line)") % {"user": getpass.getuser()},
            )
        except InvalidInput as error:
            raise CommandError(f"{error.field}: {error.message}") from None
        row = change.day
        texts = {
            "added": _("added %(day)s %(mark)s for district %(district)s"),
            "changed": _("changed %(day)s to %(mark)s for district %(district)s"),
            "unchanged": _("%(day)s is already %(mark)s for district %(district)s; unchanged"),
        }
        self.stdout.write(
            texts[change.outcome]
            % {
                "day": row.day.isoformat(),
                "mark": holiday_schedule.KIND_MARKS[row.kind],
                "district": row.district_code,
            }
        )

    def _remove_day(self, district: str, date: str, **_options: object) -> None:
        try:
            removed = district_days.remove_day(district=district, day=date)
        except InvalidInput as error:
            raise CommandError(f"{error.field}: {error.message}") from None
        if not removed:
            raise CommandError(
                _("%(day)s is not a day of district %(district)s.")
                % {"day": date, "district": district}
            )
        self.stdout.write(
            _("removed %(day)s for district %(district)s") % {"day": date, "district": district}
        )
