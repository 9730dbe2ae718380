"""One network: propose the fusion of the grid layer with a beat layer, and apply it once.

The use cases behind `onegrid layers fuse|apply` and the console's fuse and proposal pages. A
proposal records the grid and beat versions it was made on (`made_on`), so it applies only to
those layers, hence once. A proposal kept on the console (territory.proposals) is marked
applied inside the transaction that applies it: if the transaction fails, the mark is taken
back, so the record and the layers never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound

from . import checks, coverage, proposals, selectors
from .checks import CURRENT as _CURRENT
from .district import current_outline
from .layers import apply_fusion

DEFAULT_SNAP_M = 5.0
DEFAULT_SLIVER_M2 = 100.0


def propose(
    *,
    beats: Sequence[coverage.Unit] | None = None,
    snap_m: float = DEFAULT_SNAP_M,
    sliver_m2: float = DEFAULT_SLIVER_M2,
    actor: str = "",
    keep: bool = False,
    outline: BaseGeometry | None | object = _CURRENT,
    district_code: str = "",
) -> dict:
    """Fuse the live grids with `beats` (default: the live beat layer); the proposal record.

    The record holds the proposal file (`proposal`, GeoJSON), the change per beat, the beats
    left with no grid and the versions it was made on; with `keep` it is stored for every
    process (territory.proposals) and its `key` set. `outline` (a snap target) is that of the
    district the layers belong to, by default the home district's; in a city, `district_code`
    narrows the live layers to that district's grids and beats (checks.check_layer's rule).
    """
    if outline is _CURRENT:
        outline = current_outline()
    if outline is not None and not isinstance(outline, BaseGeometry):
        raise TypeError("outline must be a Shapely geometry or None")
    grids = checks.of_district(selectors.live_units("grid"), "grid", district_code)
    if beats is not None:
        beat_units = list(beats)
    else:
        beat_units = checks.of_district(selectors.live_units("beat"), "beat", district_code)
    if not grids or not beat_units:
        raise InvalidInput(_("Fusing needs a grid layer and a beat layer."), field="layers")
    fusion = coverage.fuse(grids, beat_units, snap_m=snap_m, sliver_m2=sliver_m2, outline=outline)
    made_on = (selectors.current_version("grids"), selectors.current_version("beats"))
    record = {
        "kind": proposals.FUSION,
        "created_at": timezone.localtime(clock.now()).isoformat(timespec="seconds"),
        "created_by": actor,
        "snap_m": snap_m,
        "sliver_m2": sliver_m2,
        "grid_version": made_on[0],
        "beat_version": made_on[1],
        "grids": len(fusion.grids),
        "beats": len(fusion.beats),
        "snapped_vertices": fusion.snapped_vertices,
        "changes": [proposals.jsonable_change(c) for c in fusion.changes],
        "unassigned_beats": fusion.unassigned_beats,
        "proposal": proposals.to_geojson(fusion, made_on=made_on),
    }
    if keep:
        proposals.save(record)
    return record


def is_stale(record: dict) -> bool:
    """The grid or beat layer moved on since the proposal was made: applying it is refused."""
    made_on = (record["grid_version"], record["beat_version"])
    return made_on != (selectors.current_version("grids"), selectors.current_version("beats"))


def apply_proposal_file(
    *,
    data: dict,
    actor: str = "",
    source: str = "",
    note: str = "",
    made_on: tuple[int, int] | None = None,
) -> dict:
    """Apply a proposal file written by `propose` (e.g. reviewed in a GIS) as new versions,
    only to the versions it was made on (`made_on`, else the ones the file names)."""
    try:
        fusion = proposals.from_geojson(data)
        made_on = made_on or proposals.made_on(data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise InvalidInput(
            _("This is not a fusion proposal: %(reason)s") % {"reason": error}, field="proposal"
        ) from None
    return apply_fusion(fusion=fusion, actor=actor, source=source, note=note, made_on=made_on)


def apply_kept_proposal(*, key: str, actor: str = "", note: str = "") -> dict:
    """Apply the proposal kept under `key` once; refused (Conflict) when it was applied, or
    when the layers moved on since it was made."""
    record = proposals.load(key)
    if record is None:
        raise NotFound(_("No such proposal."), field="proposal")
    if record.get("applied"):
        raise Conflict(_("This proposal has already been applied."), field="proposal")
    try:
        with proposals.applying(record):
            result = apply_proposal_file(
                data=record["proposal"],
                actor=actor,
                source=f"proposal {key[:8]}",
                note=note,
                made_on=(record["grid_version"], record["beat_version"]),
            )
            record["applied"] = result | {"by": actor}
            proposals.save(record)
    except Conflict:
        fresh = proposals.load(key) or {}
        if fresh.get("applied"):  # another request applied it first
            raise Conflict(_("This proposal has already been applied."), field="proposal") from None
        raise
    return result
