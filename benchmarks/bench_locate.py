"""Point → grid: the locator against a raw Shapely STRtree query on the same grids, same run.

Sets up a throw-away SQLite database, builds the Beichen demo district (~1,300 grids), then:
- bulk: points/s through locator.locate_many vs STRtree.query(points, predicate="intersects")
  (the boundary-inclusive test the locator implements; "within" is also printed), printed as a
  ratio;
- single: locate() latency p50/p99 in µs over random points in the district's bounding box,
  with a raw single-point STRtree query for comparison.
Both answers are checked to agree before anything is timed.
"""

from __future__ import annotations

import os
import time

import numpy as np

from _setup import django_with_district, percentile

POINTS = int(os.environ.get("BENCH_POINTS", 200_000))
SINGLE = int(os.environ.get("BENCH_SINGLE", 20_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))


def best_rate(fn, n: int) -> float:
    best = float("inf")
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return n / best


def main() -> None:
    started = time.perf_counter()
    django_with_district()
    print(f"setup (migrate + build Beichen): {time.perf_counter() - started:.1f} s")

    import shapely

    from onegrid.territory import locator
    from onegrid.territory.models import Grid

    rows = list(Grid.objects.order_by("code").values_list("code", "geometry_wkb"))
    codes = [code for code, _ in rows]
    polys = shapely.from_wkb([bytes(wkb) for _, wkb in rows])
    started = time.perf_counter()
    locator.invalidate()
    snap = locator.locator.snapshot()
    print(
        f"grids: {len(codes)}; locator load: {(time.perf_counter() - started) * 1e3:.0f} ms "
        f"(raster {snap.nx}×{snap.ny})"
    )

    tree = shapely.STRtree(polys)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    rng = np.random.default_rng(20261128)
    xs = rng.uniform(minx, maxx, POINTS)
    ys = rng.uniform(miny, maxy, POINTS)
    points = shapely.points(xs, ys)

    # Same answers first (smallest code on a shared edge, None outside).
    found = locator.locate_many(xs, ys)
    pts, idx = tree.query(points, predicate="intersects")
    best = np.full(POINTS, len(codes))
    np.minimum.at(best, pts, idx)
    assert [f.grid_code if f else None for f in found] == [
        codes[i] if i < len(codes) else None for i in best.tolist()
    ], "answers differ"
    inside = float(np.mean(best < len(codes)))
    print(f"points: {POINTS:,} uniform in the district's bbox, {inside:.0%} inside a grid")

    rate_locator = best_rate(lambda: locator.locate_many(xs, ys), POINTS)
    rate_raw = best_rate(lambda: tree.query(points, predicate="intersects"), POINTS)
    rate_raw_xy = best_rate(
        lambda: tree.query(shapely.points(xs, ys), predicate="intersects"), POINTS
    )
    rate_within = best_rate(lambda: tree.query(points, predicate="within"), POINTS)
    print(f"bulk locator.locate_many(lons, lats): {rate_locator:,.0f} points/s")
    print(
        f"bulk raw STRtree.query(points, 'intersects'), points prebuilt: {rate_raw:,.0f} points/s"
    )
    print(
        f"bulk raw STRtree.query(shapely.points(lons, lats), 'intersects'): "
        f"{rate_raw_xy:,.0f} points/s"
    )
    print(f"bulk raw STRtree.query(points, 'within'), points prebuilt: {rate_within:,.0f} points/s")
    print(
        f"ratio locate_many / raw STRtree 'intersects' (prebuilt points): "
        f"{rate_locator / rate_raw:.2f}x"
    )

    sx = rng.uniform(minx, maxx, SINGLE).tolist()
    sy = rng.uniform(miny, maxy, SINGLE).tolist()
    for x, y in zip(sx[:1000], sy[:1000], strict=True):  # warm
        locator.locate(x, y)
    timer = time.perf_counter_ns
    ours, raw = [], []
    for x, y in zip(sx, sy, strict=True):
        t0 = timer()
        locator.locate(x, y)
        ours.append((timer() - t0) / 1e3)
    for x, y in zip(sx, sy, strict=True):
        t0 = timer()
        tree.query(shapely.Point(x, y), predicate="intersects")
        raw.append((timer() - t0) / 1e3)
    print(
        f"single locate(): p50 {percentile(ours, 50):.1f} µs, p99 {percentile(ours, 99):.1f} µs "
        f"over {SINGLE:,} points"
    )
    print(
        f"single raw STRtree.query(Point, 'intersects'): p50 {percentile(raw, 50):.1f} µs, "
        f"p99 {percentile(raw, 99):.1f} µs"
    )
    print(f"ratio single raw p50 / locate() p50: {percentile(raw, 50) / percentile(ours, 50):.1f}x")


if __name__ == "__main__":
    main()
