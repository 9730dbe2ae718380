"""The console's code tool: give codes to an uploaded grid file, keep it, import it once.

The use cases behind the console's "codes for new grids" pages (`onegrid layers codes` writes a
file instead). The coded layer is kept under a random key (territory.proposals, kind "codes")
with the grid version it was coded on: once the layer moves on, its codes may be taken, so it
is refused. Its import marks the record inside the import's transaction (taken back if that
fails), so a repeated import answers with the version it made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from onegrid.core import clock
from onegrid.core.errors import Conflict, NotFound

from . import coding, layerio, layers, proposals, selectors
from .district import current_outline


def code_layer_file(
    *,
    file: str | Path | bytes,
    filename: str | None = None,
    crs: str,
    renumber: Iterable[str] = (),
    actor: str = "",
) -> tuple[coding.CodingResult, dict | None]:
    """Give codes to the new and split grids of a file; (result, the kept record or None when
    the file has problems). Raises InvalidInput for a bad `renumber` or `crs`."""
    layer = layerio.read_layer(
        file, level="grid", crs=crs, filename=filename, outline=current_outline(), codeless=True
    )
    result = coding.assign_codes(layer, renumber=renumber)
    if not result.ok:
        return result, None
    record = {
        "kind": proposals.CODES,
        "created_at": timezone.localtime(clock.now()).isoformat(timespec="seconds"),
        "created_by": actor,
        "source": filename or "",
        # The codes were chosen against this grid layer; once it changes they may be taken.
        "grid_version": selectors.current_version("grids"),
        "counts": result.counts(),
        "changes": [
            {
                "index": c.index,
                "old_code": c.old_code,
                "code": c.code,
                "community_code": c.community_code,
                "reason": c.reason,
            }
            for c in result.changes
        ],
        "layer": layerio.geojson_document(result.features, level="grid"),
    }
    proposals.save(record)
    return result, record


def load(key: str) -> dict:
    record = proposals.load(key, kind=proposals.CODES)
    if record is None:
        raise NotFound(_("No such coded layer."), field="key")
    return record


def is_stale(record: dict) -> bool:
    """The grid layer moved on since the codes were given, or one of them is now in use."""
    if record.get("grid_version", 0) != selectors.current_version("grids"):
        return True
    return selectors.grid_codes_in_use([c["code"] for c in record["changes"]])


def import_coded_layer(
    *, key: str, dry_run: bool = False, replace: bool = False, actor: str = "", note: str = ""
) -> tuple[dict, layers.ImportReport | None]:
    """Import the kept coded layer as a grid version (or report what that would do), once.

    The old codes of split and renumbered grids are retired; `replace` also retires every grid
    the file does not hold. After the import, a repeat answers (record, None).
    """
    record = load(key)
    if record.get("applied"):
        return record, None
    if is_stale(record):
        raise Conflict(
            _(
                "The grid layer has changed since these codes were given, so they may be taken: "
                "upload the file again."
            ),
            field="key",
        )
    layer = layerio.read_layer(
        json.dumps(record["layer"], ensure_ascii=False).encode(),
        level="grid",
        filename="coded.geojson",
        outline=current_outline(),
    )
    with proposals.applying(record):
        report = layers.import_layer(
            layer=layer,
            dry_run=dry_run,
            replace=replace,
            retire=[c["old_code"] for c in record["changes"] if c["old_code"]],
            actor=actor,
            source=record["source"],
            note=note or _("codes given on the console"),
        )
        if report.version:
            record["applied"] = {"version": report.version, "by": actor}
            proposals.save(record)
    return record, report
