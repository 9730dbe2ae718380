"""Monthly PDF reports: one for the district and one per street, in Chinese, with the measures,
their comparisons, league tables (红黑榜), charts and the classes most reported.

* `render_monthly_report(period, scope)` → the PDF's bytes (reportlab; the charts are
  reportlab.graphics drawings; the text in a CJK TrueType font embedded as a subset).
* `generate_monthly(period, scopes, if_missing=…)` writes them under the reports folder
  (ONEGRID["REPORTS_DIR"], default VAR_DIR/reports) as `YYYY-MM/district.pdf` and
  `YYYY-MM/street-<code>.pdf`: one file per month and scope, replaced atomically when
  generated again, so a rerun never duplicates; `if_missing` skips those that exist.
* `stored_reports()` lists what is there; who may read which is org.policies.may_read_report.

What a report shows is what a leader bound to its scope reads on the measures pages: the
figures come from insight.selectors (dashboard, league_table, trend) for a reader made for the
report (`report_reader`) — a leader of the district, or of the street — so a street's report
ranks every street (as a street's leader sees them) and that street's own grid workers.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onegrid.cases.models import Case
from onegrid.core import clock

# The font is core.pdf_fonts' (the mediation agreements use it too); its names stay importable here.
from onegrid.core.pdf_fonts import FONT_NAME as FONT_NAME
from onegrid.core.pdf_fonts import ReportFontMissing as ReportFontMissing
from onegrid.core.pdf_fonts import font_path as font_path
from onegrid.core.pdf_fonts import register_font
from onegrid.org import policies
from onegrid.org.models import Role, User
from onegrid.territory.district import current_district
from onegrid.territory.models import AdminUnit

from . import periods, report_charts, selectors
from .measures import Scope, rate
from .periods import Period

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable, Paragraph, Table

# The user name of the reader a report is written for (report_reader; never saved).
REPORT_USERNAME = "monthly-report"
KINDS = ("district", "street")
# A league table of up to LEAGUE_WHOLE rows is shown whole; a longer one by its LEAGUE_ENDS
# best and LEAGUE_ENDS worst rows (the red and the black end).
LEAGUE_WHOLE = 60
LEAGUE_ENDS = 10
TOP_CLASSES = 10
TREND_MONTHS = 12
_FILE = re.compile(r"^(district|street-(\d{6,12}))\.pdf$")
_MONTH_DIR = re.compile(r"^(\d{4})-(\d{2})$")


# --- scopes and readers ------------------------------------------------------------------------


def district_scope() -> Scope:
    return Scope("district")


def _street_scopes(**where: str) -> list[Scope]:
    """Streets as scopes, in code order (their codes, names and keys: not their boundaries)."""
    streets = AdminUnit.objects.filter(level=AdminUnit.Level.STREET, **where).order_by("code")
    return [
        Scope("street", code, name, pk)
        for code, name, pk in streets.values_list("code", "name", "pk")
    ]


def street_scope(code: str) -> Scope | None:
    found = _street_scopes(code=code)
    return found[0] if found else None


def report_scopes() -> list[Scope]:
    """The district and every street, in code order."""
    return [district_scope(), *_street_scopes()]


def scope_name(scope: Scope) -> str:
    if scope.kind == "district":
        district = current_district()
        return district.name if district is not None else _("whole district")
    return scope.name


def report_reader(scope: Scope) -> User:
    """The reader a report is written for: a leader of the district, or of the street (never
    saved: org.policies.reader_holding). The selectors then give exactly what such a leader
    reads on the pages."""
    if scope.kind not in KINDS:
        raise ValueError(f"no monthly report for a {scope.kind}")
    name = _("Monthly report")
    if scope.kind == "district":
        unit = current_district() or AdminUnit.objects.filter(level="district").first()
        if unit is None:  # no district yet: a superuser's reach, the same (empty) figures
            return policies.reader_holding(
                [], username=REPORT_USERNAME, display_name=name, is_superuser=True
            )
    elif scope.pk is None:
        raise ValueError("a street scope names its street")
    else:
        unit = AdminUnit.objects.defer("geometry_wkb").get(pk=scope.pk)
    return policies.reader_holding(
        [(Role.LEADER, unit)], username=REPORT_USERNAME, display_name=name
    )


# --- what a report holds -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClassRow:
    code: str
    name: str
    reports: int
    share: Decimal | None  # percent of all reports of the period
    previous: int


@dataclass(frozen=True)
class MonthlyData:
    period: Period
    scope: Scope
    name: str
    as_of: dt.datetime
    dashboard: selectors.Dashboard
    trend: selectors.Trend
    leagues: list[selectors.League]
    classes: list[ClassRow]
    reports_total: int


def gather(period: Period, scope: Scope, *, as_of: dt.datetime | None = None) -> MonthlyData:
    """Everything a monthly report shows, read as its reader (report_reader) reads it."""
    as_of = as_of or clock.now()
    reader = report_reader(scope)
    board = selectors.dashboard(reader, period=period, scope=scope, as_of=as_of)
    first = period.first
    for _step in range(TREND_MONTHS - 1):
        first = periods.month(first.year, first.month).previous().first
    trend = selectors.trend(
        reader, scope=scope, start=first, end=period.last, step="month", as_of=as_of
    )
    kinds = ["street", "department", "grid_worker"] if scope.kind == "district" else []
    if scope.kind == "street":
        kinds = ["street", "grid_worker"]
    leagues = [
        selectors.league_table(reader, kind=kind, period=period, as_of=as_of) for kind in kinds
    ]
    classes, total = _top_classes(period, scope)
    return MonthlyData(
        period=period,
        scope=scope,
        name=scope_name(scope),
        as_of=as_of,
        dashboard=board,
        trend=trend,
        leagues=leagues,
        classes=classes,
        reports_total=total,
    )


def _reported_in(period: Period, scope: Scope):
    cases = Case.objects.filter(reported_at__gte=period.start, reported_at__lt=period.end)
    if scope.kind == "street":
        cases = cases.filter(street_id=scope.pk)
    return cases


def _top_classes(period: Period, scope: Scope) -> tuple[list[ClassRow], int]:
    """The classes most reported in the period (all reports, whatever became of them), with
    their count the month before."""
    counted = (
        _reported_in(period, scope)
        .values("case_class__code", "case_class__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "case_class__code")
    )
    total = _reported_in(period, scope).count()
    top = list(counted[:TOP_CLASSES])
    before = dict(
        _reported_in(period.previous(), scope)
        .filter(case_class__code__in=[row["case_class__code"] for row in top])
        .values_list("case_class__code")
        .annotate(n=Count("pk"))
        .values_list("case_class__code", "n")
    )
    rows = [
        ClassRow(
            code=row["case_class__code"],
            name=row["case_class__name"],
            reports=row["n"],
            share=rate(row["n"], total),
            previous=before.get(row["case_class__code"], 0),
        )
        for row in top
    ]
    return rows, total


# --- rendering ---------------------------------------------------------------------------------


def render_monthly_report(
    period: Period, scope: Scope, *, as_of: dt.datetime | None = None
) -> bytes:
    """The monthly report of `scope` (the district or a street) for `period` as PDF bytes, in
    the installation's language (Chinese)."""
    font = register_font()  # before any query: a missing font fails at once
    with translation.override(settings.LANGUAGE_CODE):
        return _render(gather(period, scope, as_of=as_of), font)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _pp(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return _("%(sign)s%(value)s pp") % {
        "sign": "+" if value > 0 else ("±" if value == 0 else "−"),
        "value": abs(value),
    }


def _compared(value: Decimal | None, change: Decimal | None) -> str:
    """The value of a period compared with, and the change from it: "91.20%（+1.30 pp）"."""
    if value is None:
        return "—"
    return f"{_pct(value)}（{_pp(change)}）"


def _ratio(numerator: int, denominator: int | None) -> str:
    return str(numerator) if denominator is None else f"{numerator} / {denominator}"


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment, periods.TZ).strftime("%Y-%m-%d %H:%M")


class _Pdf:
    """The report's styles and building blocks in the report font (reportlab platypus)."""

    def __init__(self, font: str) -> None:
        from reportlab.lib import colors

        self.font = font
        self.colors = colors
        self.title = self.style("title", 18, alignment=1, space_after=4)
        self.h2 = self.style("h2", 13, space_before=10, space_after=4, colour="#b3261e")
        self.body = self.style("body", 9.5)
        self.small = self.style("small", 8, colour="#444444")
        self.cell = self.style("cell", 8.5)
        self.cell_small = self.style("cell_small", 7.5, colour="#444444")
        self.grid: list[Any] = [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]

    def style(
        self,
        name: str,
        size: float,
        *,
        alignment: Literal[0, 1, 2, 4] = 0,
        space_before: float = 0,
        space_after: float = 0,
        colour: str = "#000000",
    ) -> ParagraphStyle:
        from reportlab.lib.styles import ParagraphStyle

        return ParagraphStyle(
            name,
            fontName=self.font,
            fontSize=size,
            leading=size * 1.45,
            wordWrap="CJK",  # lines may break between any two Chinese characters
            alignment=alignment,
            spaceBefore=space_before,
            spaceAfter=space_after,
            textColor=self.colors.HexColor(colour),
        )

    def p(self, text: object, style: ParagraphStyle | None = None) -> Paragraph:
        """A paragraph of plain text (escaped: names and labels are never markup)."""
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        return Paragraph(escape(str(text)), style or self.cell)

    def table(
        self,
        rows: list[list[Any]],
        widths_mm: list[float],
        extra: list[Any] | None = None,
        *,
        header: bool = True,
    ) -> Table:
        from reportlab.lib.units import mm
        from reportlab.platypus import Table, TableStyle

        table = Table(
            rows,
            colWidths=[w * mm for w in widths_mm],
            hAlign="LEFT",
            repeatRows=1 if header else 0,
        )
        # The font on every cell, even one holding a paragraph: reportlab sets a cell's font
        # whatever it holds, and its default is the unembedded Helvetica.
        plain = [("FONTNAME", (0, 0), (-1, -1), self.font)]
        table.setStyle(TableStyle([*(self.grid if header else plain), *(extra or [])]))
        return table


def _render(data: MonthlyData, font: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, SimpleDocTemplate

    pdf = _Pdf(font)
    board = data.dashboard
    title = _("%(scope)s monthly report on grid management, %(period)s") % {
        "scope": data.name,
        "period": data.period.label(),
    }
    story: list[Flowable] = [
        pdf.p(title, pdf.title),
        pdf.p(
            _("Scope: %(scope)s · Period: %(first)s to %(last)s · As of %(as_of)s (Beijing time)")
            % {
                "scope": data.name,
                "first": data.period.first.isoformat(),
                "last": data.period.last.isoformat(),
                "as_of": _local(data.as_of),
            },
            pdf.small,
        ),
        pdf.p(
            _(
                "Figures are read from the case history as of the time above; compared with "
                "%(previous)s (month on month) and %(last_year)s (year on year), evaluated at "
                "the same time. Changes are in percentage points (pp)."
            )
            % {
                "previous": board.previous_period.label(),
                "last_year": board.last_year_period.label(),
            },
            pdf.small,
        ),
    ]
    story += _overview(pdf, board)
    story += _measures(pdf, board)
    story += _trend(pdf, data.trend)
    for league in data.leagues:
        story += _league(pdf, league, data.scope)
    story.append(KeepTogether(_classes(pdf, data.classes)))

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="OneGrid",
        subject=data.name,
        lang="zh-CN",
    )
    footer = _("%(scope)s · %(period)s") % {"scope": data.name, "period": data.period.label()}
    doc.build(story, canvasmaker=_numbered_canvas(font, footer))
    return out.getvalue()


def _overview(pdf: _Pdf, board: selectors.Dashboard) -> list[Flowable]:
    rows: list[list[Any]] = [
        [
            _("Count"),
            board.period.label(),
            board.previous_period.label(),
            board.last_year_period.label(),
        ]
    ]
    for key, label in selectors.COUNT_LABELS.items():
        if key not in board.counts:
            continue
        rows.append(
            [
                str(label),
                str(board.counts.get(key, "—")),
                str(board.previous_counts.get(key, "—")),
                str(board.last_year_counts.get(key, "—")),
            ]
        )
    right = [("ALIGN", (1, 1), (-1, -1), "RIGHT")]
    return [pdf.p(_("Overview"), pdf.h2), pdf.table(rows, [60, 35, 35, 35], right)]


def _measures(pdf: _Pdf, board: selectors.Dashboard) -> list[Flowable]:
    from reportlab.platypus import Spacer

    p = pdf.p
    rows: list[list[Any]] = [
        [
            p(_("Measure")),
            p(_("Value")),
            p(_("Numerator / denominator")),
            p(_("Month on month")),
            p(_("Year on year")),
        ]
    ]
    for f in board.figures:
        if not f.applicable:
            rows.append([p(f.label), p(_("not applicable")), "", "", ""])
            continue
        rows.append(
            [
                p(f.label),
                p(_pct(f.value)),
                p(_ratio(f.numerator, f.denominator)),
                p(_compared(f.previous.value if f.previous else None, f.change_from_previous)),
                p(_compared(f.last_year.value if f.last_year else None, f.change_from_last_year)),
            ]
        )
    formulas: list[list[Any]] = [
        [p(f.label, pdf.cell_small), p(f.formula, pdf.cell_small)] for f in board.figures
    ]
    lines = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, pdf.colors.HexColor("#cccccc")),
    ]
    return [
        p(_("Measures"), pdf.h2),
        pdf.table(rows, [36, 20, 26, 46, 46]),
        Spacer(1, 4),
        p(_("How each measure is computed"), pdf.body),
        pdf.table(formulas, [36, 138], lines, header=False),
    ]


# The rates drawn in the trend chart.
TREND_RATES = ("on_time_closure_rate", "satisfaction_rate", "proactive_share")


def _trend(pdf: _Pdf, trend: selectors.Trend) -> list[Flowable]:
    from reportlab.platypus import KeepTogether

    months = [point.label for point in trend.points]
    series = [
        (trend.labels.get(k, k), [point.values.get(k) for point in trend.points])
        for k in TREND_RATES
        if any(k in point.values for point in trend.points)
    ]
    rates = report_charts.line_chart(
        title=_("Rates by month (%)"), categories=months, series=series, font=pdf.font
    )
    reports = report_charts.bar_chart(
        title=_("Reports by month"),
        labels=months,
        values=[point.counts.get("reports", 0) for point in trend.points],
        font=pdf.font,
        bar_height=11,
    )
    heading = pdf.p(_("Trend over %(n)d months") % {"n": len(months)}, pdf.h2)
    return [KeepTogether([heading, rates]), reports]


def _league(pdf: _Pdf, league: selectors.League, scope: Scope) -> list[Flowable]:
    from reportlab.platypus import KeepTogether, Spacer

    p = pdf.p
    colors = pdf.colors
    heading: list[Flowable] = [
        p(_league_title(league), pdf.h2),
        p(
            _("Ranked by %(measure)s: %(formula)s")
            % {"measure": league.label, "formula": league.formula},
            pdf.small,
        ),
        p(league.rule, pdf.small),
    ]
    rows: list[list[Any]] = [
        [p(_("Rank")), p(_("Name")), p(league.label), p(_("Numerator / denominator")), p(_("Mark"))]
    ]
    marks: list[Any] = []
    for r in _league_rows(league.rows):
        if r is None:
            rows.append(["…", "", "", "", ""])
            continue
        mark = {"top": _("Red list"), "bottom": _("Black list")}.get(r.mark, "")
        own = scope.kind == "street" and league.kind == "street" and r.code == scope.code
        value = _pct(r.value) if r.denominator is not None else str(r.numerator)
        rows.append(
            [
                str(r.rank or "—"),
                p(f"{r.name} ◀" if own else r.name),
                value,
                _ratio(r.numerator, r.denominator),
                mark,
            ]
        )
        i = len(rows) - 1
        if r.mark == "top":
            marks += [
                ("BACKGROUND", (4, i), (4, i), colors.HexColor("#fde0dc")),
                ("TEXTCOLOR", (4, i), (4, i), colors.HexColor("#b3261e")),
            ]
        elif r.mark == "bottom":
            marks += [
                ("BACKGROUND", (4, i), (4, i), colors.HexColor("#222222")),
                ("TEXTCOLOR", (4, i), (4, i), colors.white),
            ]
        if own:
            marks.append(("BACKGROUND", (0, i), (3, i), colors.HexColor("#fff3c4")))
    if len(rows) == 1:
        rows.append(["", p(_("Nothing to rank in this period.")), "", "", ""])
    # The heading with its table: a page never ends on a heading.
    out: list[Flowable] = [KeepTogether([*heading, pdf.table(rows, [14, 58, 30, 40, 22], marks)])]
    if league.kind == "street" and scope.kind == "district":
        measured = [r for r in league.rows if r.value is not None]
        out += [
            Spacer(1, 6),
            report_charts.bar_chart(
                title=_("%(measure)s by street") % {"measure": league.label},
                labels=[r.name for r in measured],
                values=[r.value for r in measured],
                font=pdf.font,
                percent=True,
                bar_height=12,
            ),
        ]
    return out


def _classes(pdf: _Pdf, classes: list[ClassRow]) -> list[Flowable]:
    from reportlab.platypus import Spacer

    p = pdf.p
    rows: list[list[Any]] = [
        [p(_("Class")), p(_("Reports")), p(_("Share")), p(_("Previous month"))]
    ]
    for c in classes:
        rows.append([p(f"{c.code} {c.name}"), str(c.reports), _pct(c.share), str(c.previous)])
    if not classes:
        rows.append([p(_("No reports in this period.")), "", "", ""])
    right = [("ALIGN", (1, 1), (-1, -1), "RIGHT")]
    out: list[Flowable] = [
        p(_("Most reported classes"), pdf.h2),
        pdf.table(rows, [80, 25, 25, 30], right),
    ]
    if classes:
        out += [
            Spacer(1, 6),
            report_charts.bar_chart(
                title=_("Reports by class"),
                labels=[c.name for c in classes],
                values=[c.reports for c in classes],
                font=pdf.font,
            ),
        ]
    return out


def _league_title(league: selectors.League) -> str:
    return {
        "street": _("League table of streets (red and black lists)"),
        "department": _("League table of departments (red and black lists)"),
        "grid_worker": _("League table of grid workers (red and black lists)"),
    }.get(league.kind, league.kind)


def _league_rows(rows: list[selectors.LeagueRow]) -> list[selectors.LeagueRow | None]:
    """A table of up to LEAGUE_WHOLE rows whole (every street, every department); a longer
    one (the grid workers of a district) by its two ends, LEAGUE_ENDS rows each, None between
    them."""
    if len(rows) <= max(LEAGUE_WHOLE, 2 * LEAGUE_ENDS + 1):
        return list(rows)
    return [*rows[:LEAGUE_ENDS], None, *rows[-LEAGUE_ENDS:]]


def _numbered_canvas(font: str, footer: str) -> type[Canvas]:
    """A canvas class that writes the footer and "page N of M" on every page (the pages are
    kept until the end, when M is known)."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # Every page starts in the embedded font: no reference to an unembedded Helvetica.
            kwargs["initialFontName"] = font
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 — reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab's, not in the stubs

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width = self.__dict__["_pagesize"][0]
                self.setFont(font, 8)
                self.setFillGray(0.35)
                self.drawString(18 * mm, 10 * mm, footer)
                self.drawRightString(
                    width - 18 * mm,
                    10 * mm,
                    _("Page %(page)d of %(pages)d")
                    % {"page": self.getPageNumber(), "pages": total},
                )
                super().showPage()
            super().save()

    return NumberedCanvas


# --- the stored reports ------------------------------------------------------------------------


def reports_dir() -> Path:
    return Path(settings.ONEGRID["REPORTS_DIR"])


def file_name(scope: Scope) -> str:
    return "district.pdf" if scope.kind == "district" else f"street-{scope.code}.pdf"


def report_path(period: Period, scope: Scope) -> Path:
    return reports_dir() / period.key / file_name(scope)


@dataclass(frozen=True)
class StoredReport:
    period: Period
    kind: str  # district | street
    code: str  # the street's code; "" for the district
    path: Path
    size: int
    written_at: dt.datetime

    @property
    def key(self) -> str:
        return "district" if self.kind == "district" else self.code


def stored_reports(months: Iterable[str] | None = None) -> list[StoredReport]:
    """The reports written under reports_dir(), newest month first, the district first; only
    files this module wrote (by their names)."""
    root = reports_dir()
    if not root.is_dir():
        return []
    wanted = set(months) if months is not None else None
    found: list[StoredReport] = []
    for month_dir in sorted(root.iterdir(), reverse=True):
        matched = _MONTH_DIR.match(month_dir.name)
        if not matched or not month_dir.is_dir():
            continue
        if wanted is not None and month_dir.name not in wanted:
            continue
        year, month = int(matched[1]), int(matched[2])
        if not (1 <= month <= 12 and periods.MIN_YEAR <= year <= periods.MAX_YEAR):
            continue
        period = periods.month(year, month)
        for path in sorted(month_dir.iterdir()):
            name = _FILE.match(path.name)
            if not name or not path.is_file():
                continue
            stat = path.stat()
            found.append(
                StoredReport(
                    period=period,
                    kind="district" if name[1] == "district" else "street",
                    code=name[2] or "",
                    path=path,
                    size=stat.st_size,
                    written_at=dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC),
                )
            )
    found.sort(key=lambda r: (-r.period.first.toordinal(), r.kind != "district", r.code))
    return found


def find_report(month_key: str, key: str) -> StoredReport | None:
    """The stored report of month `YYYY-MM` and `key` ("district" or a street's code)."""
    for report in stored_reports([month_key]):
        if report.key == key:
            return report
    return None


@dataclass(frozen=True)
class Outcome:
    scope: Scope
    path: Path
    written: bool  # False: skipped (it existed and if_missing was asked)


class Busy(Exception):
    """Another process is writing reports now."""


@contextmanager
def _writing_lock(*, wait: bool) -> Iterator[None]:
    """One writer of reports at a time across processes (the serve loop, a command, a page):
    a lock file beside the reports. `wait=False` raises Busy instead of waiting."""
    root = reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def missing(period: Period, scopes: Iterable[Scope]) -> list[Scope]:
    return [s for s in scopes if not report_path(period, s).is_file()]


def generate_monthly(
    period: Period,
    scopes: Iterable[Scope],
    *,
    if_missing: bool = False,
    as_of: dt.datetime | None = None,
    wait: bool = True,
) -> list[Outcome]:
    """Write the monthly report of each scope for `period`. A report written again replaces
    the file (written to a temporary file beside it, then renamed: a reader never sees half
    a PDF); with `if_missing` an existing one is kept. Raises Busy when `wait` is False and
    another process holds the writing lock."""
    if period.kind != "month":
        raise ValueError("monthly reports are written for a month")
    scopes = list(scopes)
    if if_missing and not missing(period, scopes):
        return [Outcome(s, report_path(period, s), False) for s in scopes]  # cheap: no lock
    register_font()
    outcomes = []
    with _writing_lock(wait=wait):
        for scope in scopes:
            path = report_path(period, scope)
            if if_missing and path.is_file():
                outcomes.append(Outcome(scope, path, False))
                continue
            pdf = render_monthly_report(period, scope, as_of=as_of)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".writing-", suffix=".pdf")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pdf)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            outcomes.append(Outcome(scope, path, True))
    return outcomes
