"""`onegrid verify`: checks that the stored data agrees with itself, registered by the apps.

Core cannot see the apps above it, so it only runs checks: each app that holds something to
check (cases: histories, rollups, photos, case numbers; notify: the queue and deliveries;
mediation and deliberation: their register numbers) declares them in its own `integrity`
module with `@check(...)`, and `discover()` imports those modules by name, as Django's admin
finds `admin` modules. The dependency points upwards only in the registry (an app adds itself
to core's list), as with Django's system checks.

A check is a function of a `Context` that yields `Finding`s and may set counts on it. Each
check streams its rows in batches, so memory does not grow with the number of cases.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from . import clock

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Level = Literal["error", "warning"]
ERROR: Level = "error"
WARNING: Level = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing found: an error (the data disagrees with itself) or a warning (worth a look:
    files no row uses, failed background jobs)."""

    level: Level
    kind: str  # a short stable name for machines: "state", "rollup", "missing_file" …
    message: str
    subject: str = ""  # what it is about: a case number, a file name, a table

    def as_dict(self) -> dict[str, str]:
        return {
            "level": self.level,
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
        }


@dataclass
class Context:
    """What a check may read: the options of the run, and where it notes what it counted."""

    now: dt.datetime
    limit: int = 100  # findings kept per check (all are counted)
    stuck_after: dt.timedelta = dt.timedelta(minutes=30)
    hash_files: bool = False
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class CheckResult:
    name: str
    title: StrOrPromise
    findings: list[Finding] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": str(self.title),
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass
class Report:
    results: list[CheckResult]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.results)

    @property
    def warnings(self) -> int:
        return sum(r.warnings for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "checks": [r.as_dict() for r in self.results],
        }


CheckFunction = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    name: str
    title: StrOrPromise
    order: int
    run: CheckFunction


_CHECKS: dict[str, Check] = {}


def check(
    name: str, title: StrOrPromise, *, order: int = 100
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check (a function of a Context yielding Findings) under `name`."""

    def register(function: CheckFunction) -> CheckFunction:
        _CHECKS[name] = Check(name, title, order, function)
        return function

    return register


def discover() -> list[Check]:
    """Every registered check, in order (the apps' `integrity` modules imported first)."""
    autodiscover_modules("integrity")
    return sorted(_CHECKS.values(), key=lambda c: (c.order, c.name))


def run(
    *,
    only: Iterable[str] | None = None,
    limit: int = 100,
    stuck_after: dt.timedelta = dt.timedelta(minutes=30),
    hash_files: bool = False,
    progress: Callable[[CheckResult], None] | None = None,
) -> Report:
    """Run the checks (those named in `only`, else all); a check that raises is an error."""
    chosen = discover()
    if only is not None:
        wanted = set(only)
        unknown = wanted - {c.name for c in chosen}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        chosen = [c for c in chosen if c.name in wanted]
    started = time.perf_counter()
    results = []
    for one in chosen:
        context = Context(
            now=clock.now(), limit=limit, stuck_after=stuck_after, hash_files=hash_files
        )
        result = CheckResult(one.name, one.title)
        began = time.perf_counter()
        try:
            for finding in one.run(context):
                _note(result, finding, limit)
        except Exception as fault:  # noqa: BLE001 - a broken check is reported, not hidden
            _note(
                result,
                Finding(ERROR, "check_failed", f"{type(fault).__name__}: {fault}", one.name),
                limit,
            )
        result.seconds = time.perf_counter() - began
        result.counts = dict(context.counts)
        results.append(result)
        if progress is not None:
            progress(result)
    return Report(results, time.perf_counter() - started)


def _note(result: CheckResult, finding: Finding, limit: int) -> None:
    if finding.level == ERROR:
        result.errors += 1
    else:
        result.warnings += 1
    if len(result.findings) < limit:
        result.findings.append(finding)


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Rows in lists of `size`."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# A register number of a year: TJ202600042 (disputes), FX… (risks), YS… (topics), JY… (decisions).
YEAR_SERIAL = re.compile(r"^[A-Z]{2}(?P<year>\d{4})(?P<serial>\d{5,})$")


def year_serials(prefix: str, numbers: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(series, serial) of each register number of `numbers` (core.serials' series are
    "<prefix>-<year>"), for serial_findings; numbers of another shape are skipped."""
    for number in numbers:
        match = YEAR_SERIAL.match(number)
        if match:
            yield f"{prefix}-{match['year']}", int(match["serial"])


def serial_findings(used: Iterable[tuple[str, int]], what: str) -> Iterator[Finding]:
    """Errors for each series (core.Serial, core.serials.next_serial) whose counter stands
    below a serial already given: `used` is (series, serial) of every numbered row, read by
    the app that owns them; the next number would repeat one."""
    from .models import Serial

    highest: dict[str, int] = {}
    for series, serial in used:
        if serial > highest.get(series, 0):
            highest[series] = serial
    counters = dict(Serial.objects.filter(series__in=list(highest)).values_list("series", "last"))
    for series, serial in sorted(highest.items()):
        last = counters.get(series, 0)
        if last < serial:
            yield Finding(
                ERROR,
                "serial",
                _("The counter of %(what)s stands at %(last)d, below number %(serial)d given.")
                % {"what": what, "last": last, "serial": serial},
                series,
            )
