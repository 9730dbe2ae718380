"""Measuring (and fitting) the duplicate score on labelled reports.

A labelled report is a Report with the id of the problem on the ground it is about: two reports
are duplicates when they share it. The simulator's plan is such a list (demo.simulator: a
second reporter's report carries `duplicate_of`; a look-alike close by does not), and so would
be a district's own history with its merges.

The pairs scored are those the live check scores: each report against every earlier report of
the same major class within the radius and the window (open or not: the plan does not know
when cases close, so this is the harder set). A pair is a positive when both are about one
problem. Precision and recall count pairs at the threshold; `top1` counts reports: of the
reports that repeat an earlier one, the share whose best-scored candidate is a right one and at
or above the threshold.

`fit` fits the logistic model's coefficients (scikit-learn's LogisticRegression, L2, C chosen
by grouped cross-validation) and the threshold that maximises F1 on out-of-fold scores; folds
are whole days of the new report, so no problem is split between fitting and scoring.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from onegrid.cases.facts import EARTH_RADIUS_M

from .duplicates import (
    Evidence,
    Model,
    Report,
    evidence,
    search_radius_m,
    search_window,
)

CS = (0.01, 0.1, 1.0, 10.0, 100.0)


@dataclass(frozen=True)
class Labelled:
    n: int  # the report's own id
    problem: int  # the problem it is about: equal for duplicates
    report: Report


@dataclass(frozen=True)
class Pair:
    new: Labelled
    old: Labelled
    evidence: Evidence

    @property
    def same(self) -> bool:
        return self.new.problem == self.old.problem


@dataclass(frozen=True)
class Metrics:
    threshold: float
    pairs: int
    positives: int  # duplicate pairs among the scored pairs
    tp: int
    fp: int
    fn: int
    reports: int  # reports that repeat an earlier one (with it among their candidates)
    top1: int  # of those, the best candidate right and at or above the threshold

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.reports if self.reports else 1.0


def pairs(
    items: Sequence[Labelled],
    *,
    radius_m: float | None = None,
    window: dt.timedelta | None = None,
    read_text: bool = True,
) -> list[Pair]:
    """Every (new, earlier) pair the live check would score: same major class, the earlier one
    within `window` before and `radius_m` metres of the new one (by default the live check's:
    duplicates.search_window and search_radius_m)."""
    radius_m = search_radius_m() if radius_m is None else radius_m
    window = search_window() if window is None else window
    # Cells a little taller than the radius (degrees of latitude), so a pair within it is at most
    # one cell apart north–south; longitude cells are narrower, so more are looked across.
    cell = 1.01 * math.degrees(radius_m / EARTH_RADIUS_M)
    buckets: dict[tuple[str, int, int], list[Labelled]] = defaultdict(list)
    for item in items:
        r = item.report
        buckets[(r.major, math.floor(r.lon / cell), math.floor(r.lat / cell))].append(item)
    out = []
    reach = math.ceil(1 / math.cos(math.radians(40)))  # cells of longitude to look across
    for item in items:
        r = item.report
        x, y = math.floor(r.lon / cell), math.floor(r.lat / cell)
        for dx in range(-reach - 1, reach + 2):
            for dy in (-1, 0, 1):
                for old in buckets.get((r.major, x + dx, y + dy), ()):
                    o = old.report
                    if old.n == item.n or not (r.at - window <= o.at <= r.at):
                        continue
                    if o.at == r.at and old.n > item.n:
                        continue  # same moment: the lower id counts as the earlier
                    e = evidence(r, o, read_text=read_text)
                    if e.metres <= radius_m:
                        out.append(Pair(item, old, e))
    return out


def features(e: Evidence) -> list[float]:
    """The model's inputs in Model's order (the intercept apart)."""
    return [
        e.metres / 100.0,
        float(e.same_group),
        float(e.same_class),
        math.log1p(max(e.hours, 0.0)),
        0.0 if e.text is None else e.text,
        1.0 if e.text is None else 0.0,
    ]


def measure(
    scored: Sequence[Pair], scores: Sequence[float], threshold: float, items_total: int = 0
) -> Metrics:
    tp = fp = fn = 0
    best: dict[int, tuple[float, bool]] = {}
    repeats: set[int] = set()
    for pair, s in zip(scored, scores, strict=True):
        hit = s >= threshold
        if pair.same:
            repeats.add(pair.new.n)
            tp += hit
            fn += not hit
        else:
            fp += hit
        current = best.get(pair.new.n)
        if current is None or s > current[0]:
            best[pair.new.n] = (s, pair.same)
    top1 = sum(1 for n in repeats if best[n][1] and best[n][0] >= threshold)
    return Metrics(threshold, len(scored), tp + fn, tp, fp, fn, len(repeats), top1)


def model_scores(model: Model, scored: Sequence[Pair]) -> list[float]:
    return [model.score(p.evidence) for p in scored]


def _fit_one(x: np.ndarray, y: np.ndarray, c: float) -> Model:
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    w = [float(v) for v in fitted.coef_[0]]
    return Model(float(fitted.intercept_[0]), w[0], w[1], w[2], w[3], w[4], w[5])


def best_threshold(scores: Sequence[float], scored: Sequence[Pair]) -> float:
    """The threshold (to 0.01) with the highest F1 on these scores."""
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.05, 0.96, 0.01):
        f1 = measure(scored, scores, float(t)).f1
        if f1 > best_f1 + 1e-12:
            best, best_f1 = round(float(t), 2), f1
    return best


@dataclass(frozen=True)
class Fitted:
    model: Model
    threshold: float
    c: float
    cv_f1: float  # out-of-fold F1 at the threshold


def fit(scored: Sequence[Pair], *, folds: int = 5) -> Fitted:
    """Fit the coefficients and choose C and the threshold by cross-validation over days."""
    from sklearn.model_selection import GroupKFold

    if not any(p.same for p in scored) or all(p.same for p in scored):
        raise ValueError("fitting needs both duplicate and distinct pairs")
    x = np.array([features(p.evidence) for p in scored])
    y = np.array([p.same for p in scored], dtype=int)
    days = np.array([p.new.report.at.date().toordinal() for p in scored])
    splits = list(GroupKFold(n_splits=folds).split(x, y, days))
    best: tuple[float, float, float] | None = None  # (f1, c, threshold)
    for c in CS:
        out_of_fold = np.zeros(len(scored))
        for train, test in splits:
            model = _fit_one(x[train], y[train], c)
            out_of_fold[test] = [model.score(scored[i].evidence) for i in test]
        t = best_threshold(list(out_of_fold), scored)
        f1 = measure(scored, list(out_of_fold), t).f1
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, c, t)
    assert best is not None
    f1, c, t = best
    return Fitted(_fit_one(x, y, c), t, c, f1)
