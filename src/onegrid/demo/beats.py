"""The demo's police beats: drawn by another office, on other lines than the grids.

In the district the model comes from, the police beats and the governance grids were drawn
separately and then fused (DOMAIN.md §1, 一网覆盖). The demo starts from that "before": a beat
layer of its own whose edges cut through grids, so the layer tools have real work to show
(`onegrid layers check --level beat`, `fuse`, the console's layer pages).
"""

from __future__ import annotations

import numpy as np
import shapely
from django.utils.translation import gettext as _

from onegrid.territory import layers, selectors
from onegrid.territory.coverage import Unit
from onegrid.territory.geometry import projection_for
from onegrid.territory.layerio import LayerFeature, LayerFile
from onegrid.territory.models import Beat


def misaligned_beats(grids: list[Unit], outline, seed: int = 7) -> list[Unit]:
    """Beats of ~5 grids (consecutive serials of one community), drawn coarser and off the grids.

    The beat layer stays a coverage of its own (every shared vertex moves the same way), but its
    edges are simplified by 5 m, every vertex moves 10–30 m in a random direction and one vertex
    in ten a further 40–80 m, so that many beat edges cut through grids. Each beat's parent is
    the street of its grids.
    """
    by_community: dict[str, list[Unit]] = {}
    for g in grids:
        by_community.setdefault(g.parent_code, []).append(g)
    groups = []
    for members in by_community.values():
        members.sort(key=lambda u: u.code)
        chunks = [members[k : k + 5] for k in range(0, len(members), 5)]
        if len(chunks) > 1 and len(chunks[-1]) < 3:
            chunks[-2].extend(chunks.pop())
        groups.extend(chunks)
    proj = projection_for(outline)
    metric = proj.to_metric(
        np.array([shapely.coverage_union_all([u.geometry for u in c]) for c in groups])
    )
    metric = shapely.coverage_simplify(metric, 5.0)
    coords = shapely.get_coordinates(metric)
    uniq, inv = np.unique(coords, axis=0, return_inverse=True)
    rng = np.random.default_rng(seed)
    radius = rng.uniform(10, 30, len(uniq))
    radius += np.where(rng.random(len(uniq)) < 0.1, rng.uniform(40, 80, len(uniq)), 0.0)
    angle = rng.uniform(0, 2 * np.pi, len(uniq))
    moved = uniq + np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    metric = shapely.set_coordinates(metric.copy(), moved[inv.ravel()])
    # Moving corners this far can fold a small beat over itself; a surveyor's layer would be
    # repaired before import, so keep each beat's polygonal part of its valid form.
    beats = [_polygonal(g) for g in proj.to_lonlat(shapely.make_valid(metric))]
    return [
        Unit(f"B{k:04d}", geom, group[0].parent_code[:9] + "000")
        for k, (geom, group) in enumerate(zip(beats, groups, strict=True), 1)
    ]


def _polygonal(geom):
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if len(parts) != 1 else parts[0]


def load_demo_beats(outline, seed: int = 7) -> int:
    """Import the demo's beat layer as beat version 1, unless the district has beats already."""
    if Beat.all_objects.exists():
        return 0
    beats = misaligned_beats(selectors.live_units("grid"), outline, seed)
    features = [
        LayerFeature(
            i, b.code, _("Beat %(n)s") % {"n": b.code}, b.parent_code, b.geometry, None, None, {}
        )
        for i, b in enumerate(beats, 1)
    ]
    layers.import_layer(
        layer=LayerFile(level="beat", crs="wgs84", features=features, problems=[]),
        actor="onegrid demo",
        source="demo police beats",
        note=_("Police beats as drawn before fusion with the grids."),
    )
    return len(beats)
