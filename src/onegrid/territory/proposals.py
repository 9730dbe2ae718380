"""A fusion proposal as a GeoJSON file: reviewed (in a GIS or on the console map), then applied.

One FeatureCollection holds both layers: grid features (`layer: "grid"`, their snapped boundary
and `beat`) and beat features (`layer: "beat"`, the union of their grids, with the change
figures), so the file alone is enough to apply the proposal.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from django.conf import settings
from shapely.geometry import mapping, shape

from .coverage import Fusion, Unit


def to_geojson(fusion: Fusion) -> dict:
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
    return {
        "type": "FeatureCollection",
        "onegrid": {"kind": "fusion", "snapped_vertices": fusion.snapped_vertices},
        "features": features,
    }


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


# --- the store: proposals made on the console wait here until applied ---

KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _store() -> Path:
    path = Path(settings.VAR_DIR) / "proposals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(record: dict) -> str:
    """Keep a proposal record (with its GeoJSON under "proposal") for every process; its key."""
    key = record.get("key") or secrets.token_urlsafe(18)
    record["key"] = key
    path = _store() / f"{key}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # atomic: readers see the old record or the new one
    return key


def load(key: str) -> dict | None:
    if not KEY_RE.fullmatch(key or ""):
        return None
    try:
        return json.loads((_store() / f"{key}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
