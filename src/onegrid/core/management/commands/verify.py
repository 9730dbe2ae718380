"""`onegrid verify [--json] [--only NAME …]`: does the stored data agree with itself?

Runs every check the apps register (core.integrity): case histories replayed against the cases,
rollups against a full recompute, photo files against their rows, case number counters, the
background queue, doubled deliveries, register numbers. Exit status 0 when all agree, 1 when
any check found an error (warnings alone keep 0)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.core import integrity


class Command(BaseCommand):
    help = (
        "Check that the stored data agrees with itself: every case's history against its "
        "state, the rollups against a recompute, photo files against their rows, counters, "
        "the job queue and deliveries. Exit status 1 when anything disagrees."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--only",
            action="append",
            metavar="CHECK",
            help="run only this check (repeatable); `--list` names them",
        )
        parser.add_argument("--list", action="store_true", help="name the checks and stop")
        parser.add_argument(
            "--limit", type=int, default=100, help="show at most this many findings per check"
        )
        parser.add_argument(
            "--stuck-minutes",
            type=int,
            default=30,
            help="a job running or waiting longer than this counts as stuck (default 30)",
        )
        parser.add_argument(
            "--hash-files",
            action="store_true",
            help="also read every original photo and compare its SHA-256 (slow: reads all files)",
        )

    def handle(self, *args: str, **options: Any) -> None:
        if options["list"]:
            for one in integrity.discover():
                self.stdout.write(f"{one.name}\t{one.title}")
            return
        if options["limit"] < 1:
            raise CommandError(_("--limit: give a number of 1 or more."))
        if options["stuck_minutes"] < 1:
            raise CommandError(_("--stuck-minutes: give a number of 1 or more."))
        as_json = options["json"]

        def progress(result: integrity.CheckResult) -> None:
            if not as_json:
                self._show(result)

        try:
            report = integrity.run(
                only=options["only"],
                limit=options["limit"],
                stuck_after=dt.timedelta(minutes=options["stuck_minutes"]),
                hash_files=options["hash_files"],
                progress=progress,
            )
        except KeyError as unknown:
            raise CommandError(
                _("--only: no check named %(names)s (see --list).") % {"names": unknown.args[0]}
            ) from None
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        else:
            self.stdout.write(
                _("%(errors)d errors, %(warnings)d warnings in %(seconds).1f s.")
                % {"errors": report.errors, "warnings": report.warnings, "seconds": report.seconds}
            )
        if not report.ok:
            raise CommandError(
                _("The data disagrees with itself: %(n)d errors.") % {"n": report.errors},
                returncode=1,
            )

    def _show(self, result: integrity.CheckResult) -> None:
        mark = _("ok") if result.ok else _("FAILED")
        counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
        line = (
            _(
                "[%(mark)s] %(title)s (%(errors)d errors, %(warnings)d warnings; %(counts)s; "
                "%(s).1f s)"
            )
            if counts
            else _("[%(mark)s] %(title)s (%(errors)d errors, %(warnings)d warnings; %(s).1f s)")
        )
        self.stdout.write(
            line
            % {
                "mark": mark,
                "title": result.title,
                "errors": result.errors,
                "warnings": result.warnings,
                "counts": counts,
                "s": result.seconds,
            }
        )
        for finding in result.findings:
            level = _("error") if finding.level == integrity.ERROR else _("warning")
            self.stdout.write(f"  {level}: {finding.subject}: {finding.message}")
        hidden = result.errors + result.warnings - len(result.findings)
        if hidden > 0:
            self.stdout.write("  " + _("… and %(n)d more.") % {"n": hidden})
