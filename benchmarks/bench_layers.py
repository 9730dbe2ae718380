"""Layer check and fusion at city scale, against a plain Shapely overlay of the same layers.

Synthesises, deterministically, a Tianjin-sized layer (~12,000 km²): 20,000 grids (a jittered
lattice whose shared edges carry extra wobbling vertices, so neighbours share every vertex),
coded in reading order inside 1,000 communities, and 4,000 police beats drawn on their own
coarser lattice (every 2 grid columns × 2.5 grid rows, 4 m of noise): about half the beat
edges run within metres of grid edges, the others cut through grids. A few deliberate faults
give every check something to find: grids left out (gaps), grids grown by 40 m (overlaps,
crossing their community), a duplicated grid code, a beat left out (grids in no beat) and a
beat moved 60 m (beats overlapping).

Times, best of BENCH_REPEAT runs, wall clock and process CPU (all threads):
- check: coverage.check_layer(grids, outline, parents=communities) + coverage.check_beats
  (grids, beats) — the grid layer's checks and the beat layer's check against the grids;
- fuse: coverage.fuse(grids, beats, outline) — snap, assign, union, changes per beat;
- baseline "plain overlay" of the same layers: project both layers to metres
  (LocalProjection.to_metric), build a shapely.STRtree of the beats, query it with every grid
  (predicate "intersects"), shapely.intersection of every pair found and shapely.area of the
  results — one thread, as a plain Shapely user writes it;
- baseline "plain self-overlay" of the grids (every intersecting grid pair intersected), what a
  naive overlap check costs, for reference.
Ratios are ours / plain overlay (at or under 1: no slower than the plain overlay). The layer
tools split their largest overlay (shapely.intersection over ~50,000 pairs) over up to four
threads (Shapely releases the GIL); the CPU ratio, which counts every thread's time, is
printed beside the wall-clock one so that what threads buy shows. No timed assertions.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
COLS = int(os.environ.get("BENCH_COLS", 160))
ROWS = int(os.environ.get("BENCH_ROWS", 125))
CELL_M = 775.0
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))
SEED = 20261128


def setup_django() -> None:
    var = Path(tempfile.mkdtemp(prefix="onegrid-bench-"))
    (var / "static").mkdir()
    os.environ["ONEGRID_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.config.settings")
    sys.path.insert(0, str(HERE))
    import django

    django.setup()


def lattice_polygons(nodes: np.ndarray, wobble: float, rng, dense: int = 3) -> np.ndarray:
    """Cells of a (nx+1, ny+1, 2) node lattice, each edge with `dense` shared wobbling points."""
    import shapely

    nx, ny = nodes.shape[0] - 1, nodes.shape[1] - 1
    t = (np.arange(1, dense + 1) / (dense + 1))[None, None, :, None]

    def edge_points(a, b, border):
        d = b - a
        normal = np.stack([-d[..., 1], d[..., 0]], axis=-1)
        normal /= np.maximum(np.linalg.norm(normal, axis=-1, keepdims=True), 1e-9)
        off = rng.uniform(-wobble, wobble, a.shape[:2] + (dense,))
        off[border] = 0.0
        return a[:, :, None, :] + t * d[:, :, None, :] + off[..., None] * normal[:, :, None, :]

    # horizontal edges (i, j) → (i+1, j); vertical edges (i, j) → (i, j+1)
    h_border = np.zeros((nx, ny + 1), dtype=bool)
    h_border[:, [0, -1]] = True
    v_border = np.zeros((nx + 1, ny), dtype=bool)
    v_border[[0, -1], :] = True
    hp = edge_points(nodes[:-1, :], nodes[1:, :], h_border)
    vp = edge_points(nodes[:, :-1], nodes[:, 1:], v_border)
    ring = [
        nodes[:-1, :-1, None],
        hp[:, :-1],
        nodes[1:, :-1, None],
        vp[1:, :],
        nodes[1:, 1:, None],
        hp[:, 1:, ::-1],
        nodes[:-1, 1:, None],
        vp[:-1, :, ::-1],
        nodes[:-1, :-1, None],
    ]
    coords = np.concatenate(ring, axis=2)  # (nx, ny, 4 * dense + 5, 2)
    # cell index = j * nx + i (row-major from the south-west)
    return shapely.polygons(coords.transpose(1, 0, 2, 3).reshape(nx * ny, -1, 2))


def synthesise():
    import shapely

    from onegrid.territory.coverage import Unit, expected_order
    from onegrid.territory.geometry import LocalProjection

    rng = np.random.default_rng(SEED)
    proj = LocalProjection(117.3, 39.3)
    gx, gy = np.meshgrid(np.arange(COLS + 1) * CELL_M, np.arange(ROWS + 1) * CELL_M, indexing="ij")
    nodes = np.stack([gx, gy], axis=-1)
    nodes[1:-1, 1:-1] += rng.uniform(-0.2, 0.2, (COLS - 1, ROWS - 1, 2)) * CELL_M
    grid_m = lattice_polygons(nodes, 6.0, rng)

    # beats: bilinear points of the grid lattice at (2a, 2.5b), plus 4 m noise
    bx, by = COLS // 2, int(ROWS / 2.5)
    fi = np.arange(bx + 1) * 2.0
    fj = np.minimum(np.arange(by + 1) * 2.5, ROWS)
    i0 = np.minimum(np.floor(fi).astype(int), COLS - 1)
    j0 = np.minimum(np.floor(fj).astype(int), ROWS - 1)
    ti, tj = (fi - i0)[:, None, None], (fj - j0)[None, :, None]
    bn = (
        nodes[i0][:, j0] * (1 - ti) * (1 - tj)
        + nodes[i0 + 1][:, j0] * ti * (1 - tj)
        + nodes[i0][:, j0 + 1] * (1 - ti) * tj
        + nodes[i0 + 1][:, j0 + 1] * ti * tj
    )
    bn[1:-1, 1:-1] += rng.uniform(-4, 4, (bx - 1, by - 1, 2))
    beat_m = lattice_polygons(bn, 4.0, rng)

    grid_ll = proj.to_lonlat(grid_m)
    beat_ll = proj.to_lonlat(beat_m)
    outline = shapely.coverage_union_all(grid_ll)

    # communities: 4 × 5 blocks of grids; streets: 5 × 5 blocks of communities
    col = np.arange(COLS * ROWS) % COLS
    row = np.arange(COLS * ROWS) // COLS
    comm_of = (row // 5) * (COLS // 4) + col // 4
    grids, communities = [], []
    ccols = COLS // 4
    for c in range(int(comm_of.max()) + 1):
        members = np.flatnonzero(comm_of == c)
        ccol, crow = c % ccols, c // ccols
        street = (crow // 5) * (ccols // 5 + 1) + ccol // 5 + 1
        serial = (crow % 5) * 5 + ccol % 5
        ccode = f"120199{street:03d}{serial + 1:03d}"
        communities.append(Unit(ccode, shapely.coverage_union_all(grid_ll[members]), ""))
        for s, k in enumerate(expected_order(list(grid_ll[members])), 1):
            g = members[k]
            pop = int(rng.integers(300, 3000))
            grids.append(Unit(f"{ccode}{s:03d}", grid_ll[g], ccode, pop, pop // 3))
    beats = [Unit(f"B{k:05d}", g) for k, g in enumerate(beat_ll, 1)]
    return *faults(grids, beats, proj), communities, outline, proj


def faults(grids, beats, proj):
    """A few deliberate faults, so that every check has findings (see the docstring)."""
    from dataclasses import replace

    n, m = len(grids), len(beats)
    gone = {n // 3, n // 2 + 7, 2 * n // 3 + 3}  # gaps
    grown = {n // 4: 40.0, n // 5 + 11: 40.0}  # overlaps with neighbours, crossing parents
    out = []
    for k, g in enumerate(grids):
        if k in gone:
            continue
        if k in grown:
            metric = proj.to_metric(g.geometry).buffer(grown[k], join_style="mitre")
            g = replace(g, geometry=proj.to_lonlat(metric))
        out.append(g)
    out[n // 7] = replace(out[n // 7], code=out[n // 7 + 1].code)  # a duplicated code
    moved = m // 3
    beat_out = []
    for k, b in enumerate(beats):
        if k == m // 2:  # a beat left out: its grids lie in no beat
            continue
        if k == moved:
            import shapely

            metric = shapely.transform(proj.to_metric(b.geometry), lambda c: c + [60.0, 0.0])
            b = replace(b, geometry=proj.to_lonlat(metric))
        beat_out.append(b)
    return out, beat_out


def best(fn):
    """(best wall-clock seconds, best process CPU seconds, result) over REPEAT runs."""
    walls, cpus, result = [], [], None
    for _ in range(REPEAT):
        cpu, started = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def main() -> None:
    setup_django()
    import shapely

    from onegrid.territory import coverage

    started = time.perf_counter()
    grids, beats, communities, outline, proj = synthesise()
    print(
        f"synthesised {len(grids):,} grids in {len(communities):,} communities and "
        f"{len(beats):,} beats over {proj.area_m2(outline) / 1e6:,.0f} km² "
        f"in {time.perf_counter() - started:.1f} s (REPEAT={REPEAT}, "
        f"{os.cpu_count()} CPUs, GEOS {shapely.geos_version_string})"
    )

    def check():
        issues = coverage.check_layer(grids, outline=outline, parents=communities)
        return issues, coverage.check_beats(grids, beats)

    t_check, c_check, (layer_issues, beat_issues) = best(check)
    t_fuse, c_fuse, fusion = best(lambda: coverage.fuse(grids, beats, snap_m=5.0, outline=outline))

    g_ll = np.array([g.geometry for g in grids])
    b_ll = np.array([b.geometry for b in beats])

    def overlay():
        g_m, b_m = proj.to_metric(g_ll), proj.to_metric(b_ll)
        gi, bi = shapely.STRtree(b_m).query(g_m, predicate="intersects")
        return gi, shapely.area(shapely.intersection(g_m[gi], b_m[bi]))

    def self_overlay():
        g_m = proj.to_metric(g_ll)
        a, b = shapely.STRtree(g_m).query(g_m, predicate="intersects")
        keep = a < b
        return shapely.area(shapely.intersection(g_m[a[keep]], g_m[b[keep]]))

    t_overlay, c_overlay, (pairs, _areas) = best(overlay)
    t_self, _c_self, _self_areas = best(self_overlay)

    kinds: dict[str, int] = {}
    for issue in layer_issues + beat_issues:
        kinds[issue.kind] = kinds.get(issue.kind, 0) + 1
    moved = sum(c["area_moved_m2"] for c in fusion.changes) / 1e6
    people = sum(c["population_affected"] or 0 for c in fusion.changes)
    fused_ok = not coverage.check_beats(fusion.grids, fusion.beats)
    print(f"check issues: {kinds or 'none'}")
    print(
        f"fuse: {fusion.snapped_vertices:,} vertices snapped, {len(fusion.beats):,} beats, "
        f"{moved:,.1f} km² moved (Σ per beat), ~{people:,} residents affected (Σ per beat); "
        f"every beat a union of whole grids: {fused_ok}"
    )
    print(f"check_layer + check_beats: {t_check:.2f} s wall, {c_check:.2f} s CPU")
    print(f"fuse (snap, assign, union): {t_fuse:.2f} s wall, {c_fuse:.2f} s CPU")
    print(
        f"baseline: plain overlay grids × beats ({len(pairs):,} intersecting pairs): "
        f"{t_overlay:.2f} s wall, {c_overlay:.2f} s CPU"
    )
    print(f"baseline: plain self-overlay of the grids (overlap check): {t_self:.2f} s")
    print(
        f"ratio check / plain overlay: {t_check / t_overlay:.2f}x wall, "
        f"{c_check / c_overlay:.2f}x CPU"
    )
    print(f"ratio check / (plain overlay + self-overlay): {t_check / (t_overlay + t_self):.2f}x")
    print(
        f"ratio fuse / plain overlay: {t_fuse / t_overlay:.2f}x wall, {c_fuse / c_overlay:.2f}x CPU"
    )


if __name__ == "__main__":
    main()
