"""Surge alerts: the baseline windows, the tail probability, and alerts raised from cases in the
database exactly where a class rose above its own level — and rarely anywhere else."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

from onegrid.core import clock
from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.insight import alerts
from onegrid.insight.hotspots import TZ
from support.hotspots import build_lattice, place_cases, set_cache_seconds

NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=TZ)
WEEK = dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def _no_cache(settings):
    set_cache_seconds(settings, 0)


@pytest.fixture
def lattice(world, fresh_locator):
    clock.set_now(NOW)
    return build_lattice(world, rows=4, cols=4)


def weekly(grid, case_class, counts, *, end=NOW):
    """counts[0] in the current week, counts[k] k weeks before, spread over each week."""
    for k, n in enumerate(counts):
        place_cases(grid, n, case_class, at=end - k * WEEK, spread_days=6.5)


# --- the method ------------------------------------------------------------------------------


def test_windows_are_the_recent_weeks_and_the_same_season_of_earlier_years():
    start = NOW - dt.timedelta(days=800)
    windows, recent, years = alerts.windows_for(NOW, 7, 8, 3, start)
    assert windows[0] == (NOW - WEEK, NOW)
    assert windows[1:9] == [(NOW - (k + 1) * WEEK, NOW - k * WEEK) for k in range(1, 9)]
    assert (recent, years) == (8, 2)  # 800 days reach back two years of 364 days, not three
    season = windows[9:12]
    assert season == [
        (NOW - alerts.YEAR - 2 * WEEK, NOW - alerts.YEAR - WEEK),
        (NOW - alerts.YEAR - WEEK, NOW - alerts.YEAR),
        (NOW - alerts.YEAR, NOW - alerts.YEAR + WEEK),
    ]
    assert len(windows) == 1 + 8 + 6
    # Windows are whole: none straddles the history's start, and none overlaps another.
    short, recent, years = alerts.windows_for(NOW, 7, 8, 3, NOW - dt.timedelta(days=30))
    assert (len(short), recent, years) == (1 + 3, 3, 0)
    ordered = sorted(windows)
    assert all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:], strict=False))


def test_baseline_mean_and_pearson_dispersion():
    counts = np.array([[2, 2, 2, 2], [0, 8, 0, 8], [0, 0, 0, 0]])
    mean, dispersion = alerts.baseline(counts)
    assert mean.tolist() == pytest.approx([2.0, 4.0, 0.125])
    # [0, 8, 0, 8]: Σ(y − 4)² = 64, / ((4 − 1) · 4) = 5.33
    assert dispersion.tolist() == pytest.approx([1.0, 64 / 12, 1.0])
    # Fewer than five series with a mean: no pooling.
    assert alerts.pooled_dispersion(counts) == 1.0
    family = np.vstack([counts, [[1, 3, 1, 3], [2, 6, 2, 6], [4, 4, 4, 4]]])
    # Pearson φ of the five with a mean: 0, 5.33, 0.67, 1.33, 0 → median 0.67 → at least 1.
    assert alerts.pooled_dispersion(family) == 1.0
    noisy = np.vstack([family[:5], [[0, 6, 0, 6], [0, 10, 0, 10]]])
    # φ: 0, 5.33, (none: zero mean), 0.67, 1.33, 4, 6.67 → median of six: (1.33 + 4) / 2
    assert alerts.pooled_dispersion(noisy) == pytest.approx(8 / 3)
    used = alerts.dispersion_used(noisy, ["street"] * 7)
    assert used[0] == pytest.approx(8 / 3 * 1.25)  # its own (0) is below the family's
    assert used[1] == pytest.approx(64 / 12 * 1.25)  # its own is above it
    # Families are pooled apart: alone, each street series keeps its own (at least 1).
    apart = alerts.dispersion_used(
        noisy, ["street", "area", "area", "area", "area", "area", "area"]
    )
    assert apart[0] == pytest.approx(1.25)


def test_upper_tail_is_poisson_or_negative_binomial():
    p = alerts.upper_tail(np.array([6, 6, 0]), np.array([2.0, 2.0, 3.0]), np.array([1.0, 3.0, 1]))
    assert p[0] == pytest.approx(stats.poisson.sf(5, 2.0))
    # mean 2, variance 6: size 1, success probability 1/3
    assert p[1] == pytest.approx(stats.nbinom.sf(5, 1.0, 1 / 3))
    assert p[1] > p[0]  # over-dispersion makes a high count less surprising
    assert p[2] == pytest.approx(1.0)


# --- from the database -----------------------------------------------------------------------


def test_a_surge_is_raised_with_observed_expected_ratio_and_p(world, lattice):
    grid = lattice.at(1, 1)  # the world's street (west half)
    weekly(grid, world.rubbish, [16, 3, 2, 4, 3, 3, 2, 4, 3, 3])
    weekly(lattice.at(2, 0), world.building, [3, 2, 3, 4, 2, 3, 3, 2, 3, 4])
    result = alerts.surge_alerts(world.people.command)
    assert result.recent_windows == 8 and result.years == 0
    found = {(a.level, a.area_code, a.class_code): a for a in result.alerts}
    street = found[("street", world.street.code, "A")]
    assert street.observed == 19  # the street's A cases this week: 16 + 3
    assert street.area_name == world.street.name
    area = found[("area", "", "A0102")]
    assert area.observed == 16
    assert area.expected == pytest.approx(3.0)  # weeks 1–8: 3, 2, 4, 3, 3, 2, 4, 3
    assert area.ratio == pytest.approx(16 / 3, abs=0.01)
    assert area.p < 1e-5
    assert area.baseline_windows == 8 and not area.seasonal
    assert ("area", "", "A0101") not in found  # 私搭乱建 kept its level
    assert result.tested >= 3
    assert result.alerts == sorted(
        result.alerts, key=lambda a: (a.p, -a.observed, a.level, a.area_code, a.class_code)
    )


def test_a_desks_alerts_come_from_its_own_street(world, lattice):
    weekly(lattice.at(1, 3), world.rubbish, [16, 3, 2, 4, 3, 3, 2, 4, 3, 3])  # east: other street
    weekly(lattice.at(1, 0), world.building, [2, 2, 3, 2, 2, 3, 2, 2, 2, 3])  # west
    assert alerts.surge_alerts(world.people.acceptor).alerts == []
    theirs = alerts.surge_alerts(world.people.other_acceptor)
    assert {(a.level, a.class_code) for a in theirs.alerts} == {("street", "A"), ("area", "A0102")}
    assert theirs.area_label == world.other_street.name


def test_the_minimum_count_and_the_threshold_hold(world, lattice):
    weekly(lattice.at(0, 0), world.rubbish, [3, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    # The area's history starts ten weeks back (another class, elsewhere).
    place_cases(lattice.at(3, 3), 1, world.fight, at=NOW - 10 * WEEK)
    # Three cases where there were none: p ≈ 4e-5, but three is under the minimum of five.
    assert alerts.surge_alerts(world.people.command).alerts == []
    fewer = alerts.surge_alerts(world.people.command, min_count=3)
    assert {a.class_code for a in fewer.alerts} == {"A", "A0102"}
    assert fewer.alerts[0].expected == pytest.approx(0.5 / 8, abs=0.01)
    assert alerts.surge_alerts(world.people.command, min_count=3, p_threshold=1e-5).alerts == []


def test_too_little_history_tests_nothing(world, lattice):
    weekly(lattice.at(0, 0), world.rubbish, [20, 1, 1])
    result = alerts.surge_alerts(world.people.command)
    # The second week back starts before the first case: only one whole week of history.
    assert result.alerts == [] and result.tested == 0 and result.recent_windows == 1


def test_the_same_season_of_last_year_is_part_of_the_baseline(world, lattice):
    grid = lattice.at(0, 1)
    weekly(grid, world.rubbish, [12, 2, 2, 2, 2, 2, 2, 2, 2])
    # Last year this week and its neighbours had the same dozen: a seasonal peak.
    for k in (-1, 0, 1):
        place_cases(grid, 12, world.rubbish, at=NOW - alerts.YEAR - k * WEEK, spread_days=6.5)
    place_cases(grid, 1, world.rubbish, at=NOW - dt.timedelta(days=400))  # history reaches back
    result = alerts.surge_alerts(world.people.command)
    assert result.years == 1
    area = [a for a in result.alerts if a.level == "area"]
    # Baseline: eight recent weeks of 2 and three seasonal weeks of 12 → mean 4.7, dispersion
    # 5.7: twelve is not surprising enough.
    assert area == []
    without = alerts.surge_alerts(world.people.command, as_of=NOW)
    assert without.years == 1


def test_a_quiet_stationary_history_raises_few_alerts(world, lattice):
    rng = np.random.default_rng(5)
    cells = [
        (lattice.at(r, c), cls)
        for r in range(4)
        for c in range(4)
        for cls in (world.rubbish, world.building)
    ]
    for grid, cls in cells:
        weekly(grid, cls, rng.poisson(1.5, 9).tolist())
    result = alerts.surge_alerts(world.people.command, min_count=1)
    # 2 streets × 1 major + 2 classes = 4 series, each ~24 a week: at p < 0.01 none expected.
    assert result.tested == 4
    assert result.alerts == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window_days": 0}, "window_days"),
        ({"window_days": 60}, "window_days"),
        ({"p_threshold": 0.5}, "p"),
        ({"min_count": 0}, "min_count"),
        ({"class_prefix": "?"}, "class"),
        ({"as_of": NOW + dt.timedelta(days=1)}, "as_of"),
    ],
)
def test_odd_input_is_refused_at_its_field(world, lattice, kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        alerts.surge_alerts(world.people.command, **kwargs)
    assert refused.value.field == field


def test_others_may_not_see_alerts(world, lattice):
    with pytest.raises(PermissionDenied):
        alerts.surge_alerts(world.people.city_handler)


@pytest.mark.parametrize("mean", [2.0, 6.0, 25.0])
@pytest.mark.parametrize("overdispersed", [False, True])
def test_false_alarms_on_quiet_series_stay_near_the_threshold(mean, overdispersed):
    # 4,000 quiet series (the current window drawn like its eight baseline windows), Poisson
    # or negative binomial with variance 3 × mean: the share flagged at p < 0.01 stays near 1 %
    # (measured 0.5 % Poisson, 0.9–1.9 % over-dispersed).
    rng = np.random.default_rng(int(mean * 10) + overdispersed)
    shape = (4000, 9)
    if overdispersed:
        counts = rng.negative_binomial(mean / 2, 1 / 3, shape)
    else:
        counts = rng.poisson(mean, shape)
    expected, _own = alerts.baseline(counts[:, 1:])
    dispersion = alerts.dispersion_used(counts[:, 1:], ["area"] * len(counts))
    p = alerts.upper_tail(counts[:, 0], expected, dispersion)
    flagged = (counts[:, 0] >= 3) & (counts[:, 0] > expected) & (p < 0.01)
    assert flagged.mean() < 0.02, flagged.mean()
    # Each series' own dispersion alone would alarm far more often on over-dispersed counts.
    naive = alerts.upper_tail(counts[:, 0], expected, _own)
    if overdispersed:
        assert ((counts[:, 0] >= 3) & (naive < 0.01)).mean() > 2 * flagged.mean()


def test_a_doubling_is_found_most_of_the_time():
    rng = np.random.default_rng(3)
    baseline_counts = rng.poisson(10, (2000, 8))
    current = rng.poisson(25, 2000)
    expected, _own = alerts.baseline(baseline_counts)
    dispersion = alerts.dispersion_used(baseline_counts, ["area"] * 2000)
    p = alerts.upper_tail(current, expected, dispersion)
    assert ((p < 0.01) & (current >= 5)).mean() > 0.75
