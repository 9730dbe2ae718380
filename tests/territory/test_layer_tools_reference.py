"""The vectorised layer tools against straightforward reference implementations.

coverage.check_layer, check_beats and fuse are optimised for a city (issue 14: one index, one
overlay, array predicates, no per-feature loops). Here, on small seeded random layers — jittered
lattices sharing their edges, with random faults: grids left out, grown, duplicated or nested,
beats left out or moved — every finding and every output of the fusion is compared with what a
plain loop over the units computes, so an optimisation cannot silently change a result.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from onegrid.territory import coverage
from onegrid.territory.coverage import Unit, check_beats, check_layer, fuse

SEEDS = range(14)
LON0, LAT0, CELL = 117.30, 39.30, 0.004  # about 340 m × 450 m cells


def _lattice(rng, nx: int, ny: int, cx: float, cy: float, jitter: float) -> list[Polygon]:
    """Cells of a jittered (nx+1)×(ny+1) node lattice; each edge has one shared wobbling point."""
    xs, ys = np.meshgrid(np.arange(nx + 1) * cx, np.arange(ny + 1) * cy, indexing="ij")
    nodes = np.stack([xs, ys], axis=-1)
    nodes[1:-1, 1:-1] += rng.uniform(-jitter, jitter, (nx - 1, ny - 1, 2)) * [cx, cy]
    nodes += [LON0, LAT0]
    hmid = (nodes[:-1, :] + nodes[1:, :]) / 2  # horizontal edge (i, j)-(i+1, j)
    vmid = (nodes[:, :-1] + nodes[:, 1:]) / 2  # vertical edge (i, j)-(i, j+1)
    hmid[:, 1:-1, 1] += rng.uniform(-0.05, 0.05, (nx, ny - 1)) * cy
    vmid[1:-1, :, 0] += rng.uniform(-0.05, 0.05, (nx - 1, ny)) * cx
    cells = []
    for j in range(ny):
        for i in range(nx):
            ring = [
                nodes[i, j],
                hmid[i, j],
                nodes[i + 1, j],
                vmid[i + 1, j],
                nodes[i + 1, j + 1],
                hmid[i, j + 1],
                nodes[i, j + 1],
                vmid[i, j],
            ]
            cells.append(Polygon(ring))
    return cells


def _layers(seed: int):
    """(grids, beats, communities, outline) with this seed's faults."""
    rng = np.random.default_rng(seed)
    nx, ny = int(rng.integers(4, 8)), int(rng.integers(4, 7))
    cells = _lattice(rng, nx, ny, CELL, CELL, 0.2)
    outline = shapely.coverage_union_all(np.array(cells, dtype=object))
    half = nx // 2
    communities = []
    grids = []
    for c, cols in enumerate([range(half), range(half, nx)], 1):
        ccode = f"120199001{c:03d}"
        members = [j * nx + i for j in range(ny) for i in cols]
        communities.append(Unit(ccode, shapely.union_all([cells[k] for k in members]), ""))
        for s, k in enumerate(members, 1):
            pop = int(rng.integers(100, 900)) if rng.random() > 0.2 else None
            hh = pop // 3 if pop is not None else None
            grids.append(Unit(f"{ccode}{s:03d}", cells[k], ccode, pop, hh))
    # beats: a coarser lattice of their own over the same ground
    bx, by = max(2, nx // 2), max(2, ny // 2)
    bcells = _lattice(rng, bx, by, CELL * nx / bx, CELL * ny / by, 0.15)
    beats = [Unit(f"B{k:03d}", g) for k, g in enumerate(bcells, 1)]
    faults = rng.choice(
        ["drop", "grow", "duplicate", "nest", "drop_beat", "move_beat", "none"],
        size=int(rng.integers(1, 4)),
        replace=False,
    )
    for fault in faults:
        k = int(rng.integers(len(grids)))
        g = grids[k]
        if fault == "drop":
            grids.pop(k)
        elif fault == "grow":
            grids[k] = Unit(
                g.code,
                g.geometry.buffer(CELL * 0.1, join_style="mitre"),
                g.parent_code,
                g.population,
                g.households,
            )
        elif fault == "duplicate":
            grids.append(Unit(g.code[:-3] + "099", g.geometry, g.parent_code, 50, 20))
        elif fault == "nest":
            inner = shapely.affinity.scale(g.geometry, 0.3, 0.3)
            grids.append(Unit(g.code[:-3] + "098", inner, g.parent_code, None, None))
        elif fault == "drop_beat" and len(beats) > 2:
            beats.pop(int(rng.integers(len(beats))))
        elif fault == "move_beat":
            b = int(rng.integers(len(beats)))
            moved = shapely.affinity.translate(beats[b].geometry, CELL * 0.15, CELL * 0.05)
            beats[b] = Unit(beats[b].code, moved)
    return grids, beats, communities, outline


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-4)


# --------------------------------------------------------------------------- references


def _ref_invalid_coverage(geoms: np.ndarray) -> np.ndarray:
    """The GEOS coverage validator over the whole layer, nothing skipped."""
    flags = np.zeros(len(geoms), dtype=bool)
    present = np.flatnonzero(~shapely.is_empty(geoms))
    if len(present) > 1:
        flags[present] = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms[present]))
    return flags


def _ref_check_beats(grids, beats, min_share=0.001):
    """{(kind, codes): area} by a loop over every grid and every beat."""
    g_ll = [coverage._repair(coverage._array([g.geometry]))[0][0] for g in grids]
    b_ll = [coverage._repair(coverage._array([b.geometry]))[0][0] for b in beats]
    proj = coverage._projection(coverage._array(g_ll), coverage._array(b_ll))
    found = {}
    b_m = [proj.to_metric(b) for b in b_ll]
    for g, geom in zip(grids, g_ll, strict=True):
        gm = proj.to_metric(geom)
        area = gm.area
        parts = []
        for b, bm in zip(beats, b_m, strict=True):
            a = gm.intersection(bm).area
            if a > 0:
                parts.append((a, b.code))
        parts.sort(key=lambda p: -p[0])
        minor = sum(a for a, _c in parts[1:])
        if len(parts) >= 2 and minor > min_share * area:
            found["splits_grid", (g.code, *[c for _a, c in parts])] = minor
        inside = sum(a for a, _c in parts)
        if area - inside > max(min_share * area, 1e-6):
            rest = gm.difference(shapely.union_all(b_m)) if b_m else gm
            if rest.area > min_share * area:
                found["gap", (g.code,)] = rest.area
    return found


def _ref_changes(grids, beats, fusion, outline, sliver_m2=100.0):
    """Each beat's change and people, from the fusion's assignment, by plain loops."""
    proj = coverage._projection(
        coverage._array([g.geometry for g in grids]),
        coverage._array([b.geometry for b in beats]),
        outline,
    )
    g_m = {g.code: proj.to_metric(g.geometry) for g in fusion.grids}
    out = []
    for beat in beats:
        bm = proj.to_metric(beat.geometry)
        mine = [g for g in fusion.grids if fusion.assignment.get(g.code) == beat.code]
        after = sum(g_m[g.code].area for g in mine)
        ov = {g.code: g_m[g.code].intersection(bm).area for g in fusion.grids}
        kept = sum(ov[g.code] for g in mine)
        gained = [g for g in mine if g_m[g.code].area - ov[g.code] >= sliver_m2]
        lost = [
            g
            for g in fusion.grids
            if fusion.assignment.get(g.code) != beat.code and ov[g.code] >= sliver_m2
        ]
        shares = [(g, 1 - ov[g.code] / g_m[g.code].area) for g in gained]
        shares += [(g, ov[g.code] / g_m[g.code].area) for g in lost]

        def people(field, shares=shares):
            known = [getattr(g, field) * s for g, s in shares if getattr(g, field) is not None]
            if not shares:
                return 0
            return round(sum(known)) if known else None

        out.append(
            {
                "code": beat.code,
                "area_before_m2": bm.area,
                "area_after_m2": after,
                "area_moved_m2": max(0.0, (bm.area + after) / 2 - kept),
                "grids_gained": sorted(g.code for g in gained),
                "grids_lost": sorted(g.code for g in lost),
                "population_affected": people("population"),
                "households_affected": people("households"),
            }
        )
    return out


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("seed", SEEDS)
def test_coverage_flags_are_the_validators(seed):
    grids, beats, _communities, _outline = _layers(seed)
    for units in (grids, beats):
        geoms = coverage._repair(coverage._array([u.geometry for u in units]))[0]
        assert coverage._invalid_coverage(geoms).tolist() == _ref_invalid_coverage(geoms).tolist()


def test_coverage_flags_catch_each_kind_of_fault():
    """The numpy pre-pass hands every doubtful unit to GEOS: a layer of clean squares, then one
    duplicated, one nested, one overlapping by a sliver, one with a vertex its neighbour lacks."""
    squares = [shapely.box(x, y, x + 1, y + 1) for x in range(4) for y in range(3)]
    clean = coverage._array(squares)
    assert not coverage._invalid_coverage(clean).any()
    faults = [
        squares + [squares[5]],
        squares + [shapely.box(1.2, 1.2, 1.5, 1.5)],
        squares[:-1] + [shapely.box(3, 2, 4.001, 3)],
        [Polygon([(1, 1), (1.5, 1), (2, 1), (2, 2), (1, 2)])] + squares[:4] + squares[5:],
    ]
    for layer in faults:
        geoms = coverage._array(layer)
        flags = coverage._invalid_coverage(geoms)
        assert flags.any()
        assert flags.tolist() == _ref_invalid_coverage(geoms).tolist()


@pytest.mark.parametrize("seed", SEEDS)
def test_check_beats_matches_a_loop_over_every_pair(seed):
    grids, beats, _communities, _outline = _layers(seed)
    issues = check_beats(grids, beats)
    got = {(i.kind, i.codes): i.area_m2 for i in issues}
    want = _ref_check_beats(grids, beats)
    assert got.keys() == want.keys()
    for key, area in want.items():
        assert _close(got[key], area), key


@pytest.mark.parametrize("seed", SEEDS)
def test_check_layer_matches_the_plain_union_and_validator(seed, monkeypatch):
    """The same findings as with the validator over every unit and one full union."""
    grids, _beats, communities, outline = _layers(seed)
    fast = check_layer(grids, outline=outline, parents=communities)
    monkeypatch.setattr(coverage, "_invalid_coverage", _ref_invalid_coverage)
    monkeypatch.setattr(
        coverage, "_layer_union", lambda g, flagged: coverage._union(g, not flagged.any())
    )
    plain = check_layer(grids, outline=outline, parents=communities)
    assert [(i.kind, i.codes, i.message) for i in fast] == [
        (i.kind, i.codes, i.message) for i in plain
    ]
    for a, b in zip(fast, plain, strict=True):
        assert _close(a.area_m2, b.area_m2)
        if a.geometry is not None:
            assert shapely.hausdorff_distance(a.geometry, b.geometry) < 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_fusion_matches_plain_loops(seed):
    grids, beats, _communities, outline = _layers(seed)
    fusion = fuse(grids, beats, outline=outline)
    codes = {g.code for g in grids}
    # every grid once, in its order, and in the beat it overlaps most where it overlaps one
    assert [g.code for g in fusion.grids] == [g.code for g in grids]
    assert set(fusion.assignment) == codes
    beat_codes = [b.code for b in beats]
    assert set(fusion.assignment.values()) <= set(beat_codes)
    proj = coverage._projection(
        coverage._array([g.geometry for g in grids]),
        coverage._array([b.geometry for b in beats]),
        outline,
    )
    for g in fusion.grids:
        gm = proj.to_metric(g.geometry)
        overlaps = {b.code: gm.intersection(proj.to_metric(b.geometry)).area for b in beats}
        best = max(overlaps.values())
        if best >= 100.0 or best >= 0.5 * gm.area:
            assert _close(overlaps[fusion.assignment[g.code]], best), g.code
    # each new beat: the union of its grids, their people summed
    by_code = {b.code: b for b in fusion.beats}
    assert [b.code for b in fusion.beats] == [c for c in beat_codes if c in by_code]
    assert fusion.unassigned_beats == [c for c in beat_codes if c not in by_code]
    for code, beat in by_code.items():
        mine = [g for g in fusion.grids if fusion.assignment[g.code] == code]
        union = shapely.union_all([g.geometry for g in mine])
        assert (
            shapely.symmetric_difference(union, beat.geometry).area
            <= 1e-12 * max(union.area, 1e-12) + 1e-14
        ), code
        pops = [g.population for g in mine if g.population is not None]
        assert beat.population == (sum(pops) if pops else None)
    # every change, field by field
    want = _ref_changes(grids, beats, fusion, outline)
    assert [c["code"] for c in fusion.changes] == [c["code"] for c in want]
    for got, ref in zip(fusion.changes, want, strict=True):
        for key, value in ref.items():
            if isinstance(value, float):
                assert _close(got[key], value), (ref["code"], key)
            else:
                assert got[key] == value, (ref["code"], key)
