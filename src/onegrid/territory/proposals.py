"""A fusion proposal as a GeoJSON file: reviewed (in a GIS or on the console map), then applied.

One FeatureCollection holds both layers: grid features (`layer: "grid"`, their snapped boundary
and `beat`) and beat features (`layer: "beat"`, the union of their grids, with the change
figures), so the file alone is enough to apply the proposal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from shapely.geometry import mapping, shape

from .coverage import Fusion, Unit


def to_geojson(fusion: Fusion, made_on: tuple[int, int] | None = None) -> dict:
    """The proposal file; `made_on` (grid version, beat version) makes it apply only there."""
    changes = {c["code"]: c for c in fusion.changes}
    features = [
        {
            "type": "Feature",
            "properties": {"layer": "grid", "code": u.code, "beat": fusion.assignment[u.code]},
            "geometry": mapping(u.geometry),
        }
        for u in fusion.grids
    ]
    features += [
        {
            "type": "Feature",
            "properties": {
                "layer": "beat",
                "code": u.code,
                **jsonable_change(changes.get(u.code, {})),
            },
            "geometry": mapping(u.geometry),
        }
        for u in fusion.beats
    ]
    meta = {"kind": "fusion", "snapped_vertices": fusion.snapped_vertices}
    if made_on is not None:
        meta["made_on"] = {"grid_version": made_on[0], "beat_version": made_on[1]}
    return {"type": "FeatureCollection", "onegrid": meta, "features": features}


def made_on(data: dict) -> tuple[int, int] | None:
    """The (grid, beat) versions a proposal file was made on, when it says."""
    on = (data.get("onegrid") or {}).get("made_on")
    if not isinstance(on, dict):
        return None
    return int(on["grid_version"]), int(on["beat_version"])


def from_geojson(data: dict) -> Fusion:
    if data.get("onegrid", {}).get("kind") != "fusion":
        raise ValueError("not a fusion proposal written by `onegrid layers fuse`")
    grids, beats, assignment = [], [], {}
    for feature in data["features"]:
        props = feature["properties"]
        unit = Unit(str(props["code"]), shape(feature["geometry"]))
        if props["layer"] == "grid":
            grids.append(unit)
            assignment[unit.code] = str(props["beat"])
        else:
            beats.append(unit)
    return Fusion(
        grids=grids,
        assignment=assignment,
        beats=beats,
        changes=[],
        snapped_vertices=int(data["onegrid"].get("snapped_vertices", 0)),
    )


def jsonable_change(change: dict) -> dict:
    return {k: (sorted(v) if isinstance(v, set | frozenset) else v) for k, v in change.items()}


# --- the store: records made on the console (fusion proposals, coded grid files) wait here ---

KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A record is a working file, not history: applied layers live on as kept versions. Records
# older than this are removed whenever a new one is saved.
KEEP_FOR = dt.timedelta(days=30)
FUSION = "fusion"
CODES = "codes"


def _store() -> Path:
    path = Path(settings.VAR_DIR) / "proposals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(record: dict) -> str:
    """Keep a record (a fusion proposal or a coded grid file) for every process; its key."""
    key = record.get("key") or secrets.token_urlsafe(18)
    record["key"] = key
    record.setdefault("kind", FUSION)
    store = _store()
    path = store / f"{key}.json"
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # atomic: readers see the old record or the new one
    prune(store, keep=path)
    return key


def load(key: str, kind: str = FUSION) -> dict | None:
    """The record saved under `key` if it is of `kind`; None otherwise."""
    if not KEY_RE.fullmatch(key or ""):
        return None
    try:
        record = json.loads((_store() / f"{key}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return record if record.get("kind", FUSION) == kind else None


@contextlib.contextmanager
def applying(record: dict) -> Iterator[None]:
    """One transaction in which the caller applies `record` and marks it (record["applied"]
    = …, then `save`): if the transaction does not commit, the mark comes off again, so the
    record and the layers never disagree."""
    try:
        with transaction.atomic():
            yield
    except BaseException:
        if record.pop("applied", None) is not None:
            save(record)
        raise


def prune(store: Path | None = None, *, keep: Path | None = None) -> int:
    """Remove records (and half-written files) older than KEEP_FOR; how many went."""
    store = store or _store()
    cutoff = time.time() - KEEP_FOR.total_seconds()
    removed = 0
    for path in [*store.glob("*.json"), *store.glob("*.tmp")]:
        try:
            if path != keep and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process pruned it first
            continue
    return removed
