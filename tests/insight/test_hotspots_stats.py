"""The statistics behind hotspots, without a database: Gi* against the textbook formula, the
false discovery rate, queen and distance-band neighbours, and the two behaviours that matter to
a reader: a planted cluster is found, a spatially random layout shows (almost) nothing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely import box

from onegrid.insight import spatial_weights
from onegrid.insight.hotspots import (
    benjamini_hochberg,
    confidence_bins,
    gi_star,
    two_sided_p,
)

# Lattice cells about 110 m × 85 m near Tianjin.
STEP = 0.001


def lattice(rows: int, cols: int, gap: float = 0.0):
    """rows × cols boxes, row by row from the south-west, `gap` degrees apart."""
    return [
        box(
            117.0 + c * STEP + gap * c,
            39.0 + r * STEP + gap * r,
            117.0 + (c + 1) * STEP + gap * c,
            39.0 + (r + 1) * STEP + gap * r,
        )
        for r in range(rows)
        for c in range(cols)
    ]


def textbook_gi_star(x, neighbours):
    """Ord & Getis (1995) Gi*, written out term by term with binary weights including i."""
    n = len(x)
    mean = sum(x) / n
    s = math.sqrt(sum(v * v for v in x) / n - mean * mean)
    z = []
    for i in range(n):
        js = set(neighbours[i]) | {i}
        w_sum = len(js)  # Σ_j w_ij
        w_sq = len(js)  # Σ_j w_ij² (binary)
        numerator = sum(x[j] for j in js) - mean * w_sum
        denominator = s * math.sqrt((n * w_sq - w_sum**2) / (n - 1))
        z.append(numerator / denominator)
    return z


def queen_by_hand(rows, cols):
    """Queen neighbours of a rows × cols lattice by index arithmetic."""
    found = []
    for r in range(rows):
        for c in range(cols):
            found.append(
                [
                    rr * cols + cc
                    for rr in range(r - 1, r + 2)
                    for cc in range(c - 1, c + 2)
                    if (rr, cc) != (r, c) and 0 <= rr < rows and 0 <= cc < cols
                ]
            )
    return found


# --- neighbours ------------------------------------------------------------------------------


def test_queen_contiguity_links_edges_and_corners():
    w = spatial_weights.grid_weights(lattice(5, 5))
    expected = queen_by_hand(5, 5)
    for i in range(25):
        assert sorted(w[i].indices.tolist()) == sorted(expected[i]), i
    degrees = np.asarray(w.sum(axis=1)).ravel()
    assert degrees[0] == 3  # a corner
    assert degrees[2] == 5  # an edge
    assert degrees[12] == 8  # the centre
    assert (w != w.T).nnz == 0  # symmetric
    assert w.diagonal().sum() == 0


def test_queen_tolerates_a_hair_line_gap_but_not_a_street():
    # ~0.5 m apart: still neighbours (an imported layer's rounding).
    close = spatial_weights.grid_weights(lattice(2, 2, gap=0.5 / 111_000))
    assert close.nnz == 12
    # ~10 m apart: not neighbours.
    apart = spatial_weights.grid_weights(lattice(2, 2, gap=10 / 111_000))
    assert apart.nnz == 0


def test_distance_band_links_centroids_within_the_band():
    cells = lattice(3, 3)
    # Cell centres are ~86 m apart east-west and ~111 m north-south here.
    near = spatial_weights.grid_weights(cells, kind="band", band_m=100)
    assert np.asarray(near.sum(axis=1)).ravel().tolist() == [1, 2, 1, 1, 2, 1, 1, 2, 1]
    wide = spatial_weights.grid_weights(cells, kind="band", band_m=150)
    assert wide[4].nnz == 8
    with pytest.raises(ValueError):
        spatial_weights.grid_weights(cells, kind="band", band_m=0)
    with pytest.raises(ValueError):
        spatial_weights.grid_weights(cells, kind="rook")


def test_with_self_adds_each_unit_once():
    w = spatial_weights.with_self(spatial_weights.grid_weights(lattice(3, 3)))
    assert w.diagonal().tolist() == [1.0] * 9
    assert set(w.data.tolist()) == {1.0}


# --- Gi* -------------------------------------------------------------------------------------


def test_gi_star_equals_the_textbook_formula_on_a_5x5_lattice():
    rng = np.random.default_rng(7)
    x = rng.poisson(6, 25).astype(float)
    x[[6, 7, 11, 12]] += 15  # something to find
    w = spatial_weights.with_self(spatial_weights.grid_weights(lattice(5, 5)))
    ours = gi_star(x, w)
    theirs = textbook_gi_star(x.tolist(), queen_by_hand(5, 5))
    assert np.allclose(ours, theirs, atol=1e-10)
    assert ours[np.argmax(ours)] > 2.5


def test_gi_star_of_a_flat_layer_is_zero():
    w = spatial_weights.with_self(spatial_weights.grid_weights(lattice(3, 3)))
    assert gi_star(np.full(9, 4.0), w).tolist() == [0.0] * 9
    assert gi_star(np.zeros(1), spatial_weights.with_self(np.zeros((1, 1)))).tolist() == [0.0]


def test_a_unit_neighbouring_the_whole_area_is_not_scored():
    # In a 2 × 2 lattice each cell's neighbourhood (with itself) is the whole area: Gi* has
    # nothing to compare with.
    w = spatial_weights.with_self(spatial_weights.grid_weights(lattice(2, 2)))
    assert gi_star(np.array([1.0, 9.0, 3.0, 5.0]), w).tolist() == [0.0] * 4


def test_two_sided_p_values():
    assert two_sided_p(np.array([0.0]))[0] == pytest.approx(1.0)
    assert two_sided_p(np.array([1.959964]))[0] == pytest.approx(0.05, abs=1e-6)
    assert two_sided_p(np.array([-2.575829]))[0] == pytest.approx(0.01, abs=1e-6)


def test_benjamini_hochberg_against_a_hand_computation():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005, 0.01, 0.03, 0.04 → × 4/rank 0.02, 0.02, 0.04, 0.04 (already monotone)
    assert benjamini_hochberg(p).tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # Monotone from the top: 0.02·3/2 = 0.03 > 0.025·3/3 = 0.025 takes the smaller.
    assert benjamini_hochberg(np.array([0.001, 0.02, 0.025])).tolist() == pytest.approx(
        [0.003, 0.025, 0.025]
    )
    assert benjamini_hochberg(np.array([0.9, 0.8])).tolist() == pytest.approx([0.9, 0.9])
    assert benjamini_hochberg(np.array([])).tolist() == []


def test_confidence_bins_follow_the_q_value_and_alpha():
    z = np.array([4.0, 2.5, 2.0, -3.0, 0.5])
    q = np.array([0.001, 0.03, 0.08, 0.004, 0.6])
    assert confidence_bins(z, q, alpha=0.10).tolist() == [3, 2, 1, -3, 0]
    # At α = 0.05 the 90 % class is not shown.
    assert confidence_bins(z, q, alpha=0.05).tolist() == [3, 2, 0, -3, 0]
    assert confidence_bins(z, q, alpha=0.01).tolist() == [3, 0, 0, -3, 0]


# --- what a reader relies on -----------------------------------------------------------------


def classify(x, w, alpha=0.05):
    z = gi_star(x, w)
    q = benjamini_hochberg(two_sided_p(z))
    return z, confidence_bins(z, q, alpha)


def test_a_planted_cluster_is_found_and_nothing_far_from_it():
    rows = cols = 20
    w = spatial_weights.with_self(spatial_weights.grid_weights(lattice(rows, cols)))
    rng = np.random.default_rng(2026)
    x = rng.poisson(5, rows * cols).astype(float)
    planted = [r * cols + c for r in range(12, 15) for c in range(4, 7)]
    x[planted] = rng.poisson(20, len(planted))
    z, bins = classify(x, w)
    hot = set(np.flatnonzero(bins > 0).tolist())
    assert 12 * cols + 4 + cols + 1 in hot  # the cluster's centre, at 99 %
    assert bins[13 * cols + 5] == 3
    assert len(hot & set(planted)) >= 7
    # Every hot grid is in the cluster or touches it.
    near = {
        rr * cols + cc
        for rr in range(11, 16)
        for cc in range(3, 8)
        if 0 <= rr < rows and 0 <= cc < cols
    }
    assert hot <= near
    assert not np.any(bins < -1)  # nothing cold at 95 % or more


def test_spatially_random_layouts_rarely_show_a_hotspot():
    # Under the null (counts independent of place) Benjamini–Hochberg bounds the chance of
    # any discovery at all by α: layouts with a hot or cold grid stay near 5 %.
    rows = cols = 15
    w = spatial_weights.with_self(spatial_weights.grid_weights(lattice(rows, cols)))
    rng = np.random.default_rng(11)
    trials = 300
    with_any = 0
    discoveries = 0
    for _ in range(trials):
        x = rng.poisson(12, rows * cols).astype(float)
        _z, bins = classify(x, w, alpha=0.05)
        found = int(np.count_nonzero(bins))
        discoveries += found
        with_any += found > 0
    assert with_any / trials <= 0.09, with_any
    assert discoveries / (trials * rows * cols) < 0.005
