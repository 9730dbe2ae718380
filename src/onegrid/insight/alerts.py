"""Surge alerts (智治): a class of problem in an area well above its own seasonal baseline.

Two families of series are tested, each over the reader's area (insight.hotspots.Area: a
street desk's alerts come from its street's cases only):

* **street × major class** (城市管理, 生态环境, …), for each street of the area;
* **area × minor class** (暴露垃圾, 私搭乱建, …), the area being the whole district for
  district-wide readers.

For each series the count of the last ``window`` days (ALERT_WINDOW_DAYS, 7; ending now) is
compared with the counts of the same series in baseline windows of the same length:

* the ALERT_RECENT_WINDOWS (8) windows just before it (the last two months, for weeks);
* when the area's history reaches back a year or more, Farrington-style, the windows around
  the same time of each earlier year, up to ALERT_YEARS (3): the window 52 weeks back (364
  days, so weekdays line up) and the one before and after it.

A baseline window that starts before the area's first counted case is left out (it would read
as a quiet period); with fewer than MIN_BASELINE windows a series is not tested. The expected
count μ is the plain mean of the baseline windows (no trend term: a trend fitted on a few
windows extrapolates noise). Over-dispersion is the Pearson estimate φ = Σ(y − μ)² / ((n − 1)·μ):
each series' own, but never below the median of the estimates of its family (street × major
class, area × class; when it has MIN_POOL series or more) nor below 1 — eight windows give so
noisy an estimate that a series
whose baseline happens to be smooth would otherwise alarm at four times the nominal rate on
over-dispersed counts (measured: tests/insight/test_alerts.py). The count is then compared with
a negative binomial of mean μ and variance φ·μ·(1 + 1/n) (the 1/n for the uncertainty of μ
itself): p = P(Y ≥ observed). A series whose baseline is all zero gets μ = 0.5 / n (half a case
over the baseline), so a first cluster of a new problem can still be flagged. An alert is
raised when p < ALERT_P (0.01) and the observed count is at least ALERT_MIN_COUNT (5) and above
μ. Thresholds are relative (a probability, a ratio); the minimum count only keeps single-digit
noise off the big screen.

With a few hundred series tested, p < 0.01 lets through about one alert per hundred quiet
series by chance: each alert gives its p so the reader can weigh it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from scipy import stats

from onegrid.cases.models import CaseClass, MajorClass
from onegrid.core import clock
from onegrid.core.errors import InvalidInput
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit

from .hotspots import (
    Area,
    Setting,
    area_for,
    cached,
    clean_class_prefix,
    options,
    period_cases,
)

STREET = "street"
AREA = "area"
LEVELS = (STREET, AREA)
# Fewest baseline windows a series needs to be tested at all.
MIN_BASELINE = 4
# A year back, in whole weeks: the same weekdays.
YEAR = dt.timedelta(days=364)
MAX_WINDOW_DAYS = 28
MAX_RECENT_WINDOWS = 12
MAX_YEARS = 5
# Fewest series (with a mean above 0) whose median dispersion floors a family's.
MIN_POOL = 5
# The settings a reader may change, with their bounds and the options() key of the default.
WINDOW_DAYS = Setting("window_days", 1, MAX_WINDOW_DAYS, "ALERT_WINDOW_DAYS", integer=True)
P_THRESHOLD = Setting("p", 1e-6, 0.1, "ALERT_P")
MIN_COUNT = Setting("min_count", 1, 10_000, "ALERT_MIN_COUNT", integer=True)


@dataclass(frozen=True)
class Alert:
    level: str  # STREET (street × major class) or AREA (the reader's area × minor class)
    area_code: str  # the street's code, or "" for the reader's whole area
    area_name: str
    class_code: str  # a major class code (street level) or a minor class code (area level)
    class_name: str
    observed: int
    expected: float
    ratio: float | None  # observed ÷ expected
    p: float
    dispersion: float  # the φ the test used (with the pooled floor and the 1 + 1/n)
    baseline_windows: int
    seasonal: bool  # the same season of earlier years is in the baseline

    @property
    def level_label(self) -> str:
        return str(_("street × major class") if self.level == STREET else _("area × class"))


@dataclass(frozen=True)
class AlertResult:
    alerts: list[Alert]  # most significant first
    tested: int  # series tested
    window_start: dt.datetime
    window_end: dt.datetime
    window_days: int
    p_threshold: float
    min_count: int
    recent_windows: int  # baseline windows before the current one that count
    years: int  # earlier years whose same season counts
    area_label: str
    class_prefix: str
    computed_at: dt.datetime


def surge_alerts(
    actor: User,
    *,
    street: str = "",
    community: str = "",
    class_prefix: str = "",
    window_days: int | None = None,
    p_threshold: float | None = None,
    min_count: int | None = None,
    as_of: dt.datetime | None = None,
) -> AlertResult:
    """The surge alerts of the reader's area for the window ending at `as_of` (now)."""
    area = area_for(actor, street=street, community=community)
    class_prefix = clean_class_prefix(class_prefix)
    o = options()
    days = int(WINDOW_DAYS.pick(window_days, o))
    threshold = P_THRESHOLD.pick(p_threshold, o)
    least = int(MIN_COUNT.pick(min_count, o))
    if as_of is not None and as_of > clock.now():
        raise InvalidInput(_("Alerts are computed for a time already past."), field="as_of")
    explicit = as_of is not None
    end = as_of or clock.now()
    key = (area.key, class_prefix, days, threshold, least, end if explicit else None)
    return cached(
        "alerts",
        key,
        lambda: _compute(area, class_prefix, days, threshold, least, end, o),
    )


def windows_for(
    end: dt.datetime, days: int, recent: int, years: int, history_start: dt.datetime | None
) -> tuple[list[tuple[dt.datetime, dt.datetime]], int, int]:
    """The current window first, then the baseline windows that lie within the history:
    (windows, recent windows kept, earlier years kept)."""
    width = dt.timedelta(days=days)
    current = (end - width, end)
    found = [current]
    kept_recent = 0
    for k in range(1, recent + 1):
        window = (end - (k + 1) * width, end - k * width)
        if history_start is not None and window[0] >= history_start:
            found.append(window)
            kept_recent += 1
    kept_years = 0
    for y in range(1, years + 1):
        centre_end = end - y * YEAR
        season = [(centre_end - width + j * width, centre_end + j * width) for j in (-1, 0, 1)]
        if history_start is None or season[0][0] < history_start:
            break
        found.extend(season)
        kept_years += 1
    return found, kept_recent, kept_years


def upper_tail(observed: np.ndarray, mean: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """P(Y ≥ observed) for Y with mean `mean` and variance `dispersion`·`mean`: negative
    binomial where dispersion > 1, Poisson where it is 1."""
    observed = np.asarray(observed, dtype=float)
    mean = np.asarray(mean, dtype=float)
    dispersion = np.asarray(dispersion, dtype=float)
    p = np.ones(observed.size)
    poisson = dispersion <= 1.0 + 1e-9
    if poisson.any():
        p[poisson] = stats.poisson.sf(observed[poisson] - 1, mean[poisson])
    over = ~poisson
    if over.any():
        phi = dispersion[over]
        size = mean[over] / (phi - 1.0)
        p[over] = stats.nbinom.sf(observed[over] - 1, size, 1.0 / phi)
    return np.clip(p, 0.0, 1.0)


def baseline(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The expected count and the dispersion of each row of baseline counts (series × windows)."""
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[1]
    mean = counts.mean(axis=1)
    dispersion = np.ones(counts.shape[0])
    if n >= 2:
        positive = mean > 0
        spread = ((counts - mean[:, None]) ** 2).sum(axis=1)
        dispersion[positive] = np.maximum(1.0, spread[positive] / ((n - 1) * mean[positive]))
    mean = np.where(mean > 0, mean, 0.5 / max(n, 1))
    return mean, dispersion


def pooled_dispersion(counts: np.ndarray) -> float:
    """The over-dispersion of a family of series (rows of baseline counts) taken together: the
    median of the series' own Pearson estimates (of those with a mean above 0), at least 1; 1
    when fewer than MIN_POOL series have a mean. A median, so that one erratic series (a class
    that began last week) does not raise every other series' threshold."""
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[1] if counts.ndim == 2 else 0
    if n < 2:
        return 1.0
    mean = counts.mean(axis=1)
    positive = mean > 0
    if int(positive.sum()) < MIN_POOL:
        return 1.0  # too few series for their median to say anything
    spread = ((counts[positive] - mean[positive, None]) ** 2).sum(axis=1)
    return max(1.0, float(np.median(spread / ((n - 1) * mean[positive]))))


def dispersion_used(counts: np.ndarray, levels: list[str]) -> np.ndarray:
    """Each series' dispersion for its test: its own, at least its family's pooled estimate,
    times (1 + 1/n) for the uncertainty of the mean (n baseline windows)."""
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[1]
    _mean, own = baseline(counts)
    used = own.copy()
    kinds = np.array(levels)
    for level in set(levels):
        rows = kinds == level
        used[rows] = np.maximum(own[rows], pooled_dispersion(counts[rows]))
    return used * (1.0 + 1.0 / max(n, 1))


def _compute(
    area: Area,
    class_prefix: str,
    days: int,
    threshold: float,
    least: int,
    end: dt.datetime,
    o: Mapping[str, Any],
) -> AlertResult:
    recent = max(0, min(int(o["ALERT_RECENT_WINDOWS"]), MAX_RECENT_WINDOWS))
    years = max(0, min(int(o["ALERT_YEARS"]), MAX_YEARS))
    cases = period_cases(area, None, end, class_prefix)
    first = (
        period_cases(area, None, end).order_by("reported_at").values_list("reported_at", flat=True)
    ).first()
    windows, kept_recent, kept_years = windows_for(end, days, recent, years, first)
    result = AlertResult(
        alerts=[],
        tested=0,
        window_start=windows[0][0],
        window_end=end,
        window_days=days,
        p_threshold=threshold,
        min_count=least,
        recent_windows=kept_recent,
        years=kept_years,
        area_label=area.label,
        class_prefix=class_prefix,
        computed_at=clock.now(),
    )
    if len(windows) - 1 < MIN_BASELINE:
        return result
    # One grouped count per window (a range of the reported_at index), by street and minor
    # class; the street × major and area × class series are summed from it here.
    classes = {
        pk: (code, name, major_id)
        for pk, code, name, major_id in CaseClass.objects.values_list(
            "pk", "code", "name", "major_id"
        )
    }
    series: dict[tuple[str, int, int], np.ndarray] = defaultdict(
        lambda: np.zeros(len(windows), dtype=float)
    )
    for w, (start, stop) in enumerate(windows):
        counted = cases.filter(reported_at__gte=start, reported_at__lt=stop)
        for street_id, class_id, n in (
            counted.values_list("street_id", "case_class_id").annotate(n=Count("pk")).order_by()
        ):
            series[(STREET, street_id, classes[class_id][2])][w] += n
            series[(AREA, 0, class_id)][w] += n
    if not series:
        return result
    keys = list(series)
    matrix = np.vstack([series[k] for k in keys])
    observed = matrix[:, 0]
    mean, _own = baseline(matrix[:, 1:])
    dispersion = dispersion_used(matrix[:, 1:], [k[0] for k in keys])
    p = upper_tail(observed, mean, dispersion)
    flagged = (observed >= least) & (observed > mean) & (p < threshold)
    streets = {
        pk: (code, name)
        for pk, code, name in AdminUnit.objects.filter(
            pk__in={k[1] for k in keys if k[0] == STREET}
        ).values_list("pk", "code", "name")
    }
    majors = {
        pk: (code, name)
        for pk, code, name in MajorClass.objects.filter(
            pk__in={k[2] for k in keys if k[0] == STREET}
        ).values_list("pk", "code", "name")
    }
    minors = {pk: (code, name) for pk, (code, name, _major) in classes.items()}
    alerts = []
    for i in np.flatnonzero(flagged).tolist():
        level, street_id, class_id = keys[i]
        code, name = (majors if level == STREET else minors).get(class_id, ("", ""))
        expected = float(mean[i])
        alerts.append(
            Alert(
                level=level,
                area_code=streets.get(street_id, ("", ""))[0] if level == STREET else "",
                area_name=streets.get(street_id, ("", ""))[1] if level == STREET else area.label,
                class_code=code,
                class_name=name,
                observed=int(observed[i]),
                expected=round(expected, 2),
                ratio=round(float(observed[i]) / expected, 2) if expected > 0 else None,
                p=float(p[i]),
                dispersion=round(float(dispersion[i]), 2),
                baseline_windows=len(windows) - 1,
                seasonal=kept_years > 0,
            )
        )
    alerts.sort(key=lambda a: (a.p, -a.observed, a.level, a.area_code, a.class_code))
    return replace(result, alerts=alerts, tested=len(keys))
