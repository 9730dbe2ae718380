"""Spatial weights for local statistics on the grid layer (Getis–Ord Gi*, insight.hotspots).

Two neighbourhoods, both binary and symmetric, returned as scipy.sparse CSR matrices without the
diagonal (Gi* adds each unit to its own neighbourhood, `with_self`):

* **Queen contiguity** (the default): two grids are neighbours when their boundaries share at
  least one point — an edge or a corner. Found with one Shapely STRtree query over the grids
  projected to metres, predicate ``dwithin`` a small tolerance (1 m by default) rather than
  ``touches``: an imported layer whose neighbours' edges do not meet exactly (a gap or overlap
  of a few centimetres that the coverage check let through as below its sliver rule) still
  links them, and overlapping neighbours are neighbours too. The demo district's grids share
  snapped edges, so there the tolerance changes nothing.
* **Distance band**: two grids are neighbours when their centroids lie within ``band_m``
  metres; scipy's cKDTree finds the pairs. It does not depend on how the boundaries were
  drawn, but gives small urban grids many neighbours and large rural ones few or none.

Metres come from territory.geometry.LocalProjection centred on the layer, which keeps distances
within a fraction of a per mille across a district.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from onegrid.territory.geometry import LocalProjection

QUEEN = "queen"
DISTANCE_BAND = "band"
KINDS = (QUEEN, DISTANCE_BAND)
# Edges closer than this (metres) count as shared: absorbs rounding in imported layers.
QUEEN_TOLERANCE_M = 1.0


def projection_of(geoms: Sequence[BaseGeometry] | np.ndarray) -> LocalProjection:
    """A local metric projection centred on the bounding box of `geoms` (WGS-84)."""
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geoms, dtype=object))
    return LocalProjection((minx + maxx) / 2, (miny + maxy) / 2)


def _symmetric_binary(rows: np.ndarray, cols: np.ndarray, n: int) -> sparse.csr_matrix:
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    data = np.ones(rows.size * 2, dtype=float)
    matrix = sparse.coo_matrix(
        (data, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
    ).tocsr()
    matrix.data[:] = 1.0  # duplicate pairs summed to 2: binary again
    return matrix


def queen(geoms_m: Sequence[BaseGeometry] | np.ndarray, tolerance_m: float = QUEEN_TOLERANCE_M):
    """Queen contiguity of polygons in metres: neighbours share a boundary point (within
    `tolerance_m`)."""
    array = np.asarray(geoms_m, dtype=object)
    n = len(array)
    if n == 0:
        return sparse.csr_matrix((0, 0))
    tree = shapely.STRtree(array)
    pairs = tree.query(array, predicate="dwithin", distance=float(tolerance_m))
    return _symmetric_binary(pairs[0], pairs[1], n)


def distance_band(x: np.ndarray, y: np.ndarray, band_m: float):
    """Neighbours whose points (metres) lie within `band_m` of each other."""
    n = len(x)
    if n == 0:
        return sparse.csr_matrix((0, 0))
    tree = cKDTree(np.column_stack([x, y]))
    pairs = tree.query_pairs(float(band_m), output_type="ndarray")
    if pairs.size == 0:
        return sparse.csr_matrix((n, n))
    return _symmetric_binary(pairs[:, 0], pairs[:, 1], n)


def with_self(weights) -> sparse.csr_matrix:
    """The weights with each unit its own neighbour (weight 1): Gi*'s neighbourhood."""
    n = weights.shape[0]
    matrix = (sparse.csr_matrix(weights) + sparse.identity(n, format="csr")).tocsr()
    matrix.data[:] = np.minimum(matrix.data, 1.0)
    return matrix


def grid_weights(
    geoms: Sequence[BaseGeometry] | np.ndarray, *, kind: str = QUEEN, band_m: float | None = None
) -> sparse.csr_matrix:
    """Binary weights (no diagonal) of WGS-84 grid polygons by `kind` (QUEEN or DISTANCE_BAND,
    which needs `band_m`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown weights kind {kind!r}")
    array = np.asarray(geoms, dtype=object)
    if len(array) == 0:
        return sparse.csr_matrix((0, 0))
    projection = projection_of(array)
    metric = projection.to_metric(array)
    if kind == QUEEN:
        return queen(metric)
    if band_m is None or not band_m > 0:
        raise ValueError("a distance band needs band_m > 0")
    points = shapely.centroid(metric)
    return distance_band(shapely.get_x(points), shapely.get_y(points), band_m)
