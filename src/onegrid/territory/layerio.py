"""Reading and writing layer files (grids, beats, communities, streets), with per-feature checks.

Formats: GeoJSON, a zipped Shapefile, GeoPackage and XLSX (codes plus WKT). Nothing here writes to
the database: `read_layer` returns the valid features in WGS-84 and a list of problems that each
name the feature number and code; services decide what to import.

Coordinates: the caller declares whether the file's lon/lat are WGS-84 or GCJ-02. A file that
carries its own coordinate system (a Shapefile's .prj, a GeoPackage's SRS, a GeoJSON "crs"
member) in a projected or non-WGS-84 system is reprojected to WGS-84 with pyproj first; the
declared GCJ-02 shift, if any, is applied after that. Coordinates that still do not fall in China
(lon 73–136, lat 3–54), or a layer that misses the district entirely, are reported as
"crs_mismatch" rather than imported as nonsense.

Limits (core.limits, configured in settings.ONEGRID): a file larger than the upload limit, an
archive that unpacks to more than its limit (declared or real), more features than a layer may
have, or JSON or WKT nested deeper than allowed is refused as a whole before it is read on (one
file problem); a boundary with more points than allowed is refused as that feature's problem
before any geometry check. A code shared by several features is one problem, naming how many
and the first few, so a report grows with the file, not with its square.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
import sqlite3
import tempfile
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from onegrid.core import archives, jsonlimits
from onegrid.core.codes import shown
from onegrid.core.errors import InvalidInput
from onegrid.core.formula_text import keep_text
from onegrid.core.limits import (
    LimitExceeded,
    file_too_large,
    nested_too_deep,
    too_many_features,
    too_many_points,
    upload_limits,
)
from onegrid.core.spreadsheets import UnreadableWorkbook, iter_sheet_rows
from onegrid.territory import geometry as geo

LEVELS = ("grid", "beat", "community", "street")

# Problem words (FeatureProblem.problem).
UNREADABLE = "unreadable"
MISSING_CODE = "missing_code"
DUPLICATE_CODE = "duplicate_code"
BAD_CODE = "bad_code"
BAD_PARENT = "bad_parent"
BAD_NUMBER = "bad_number"
INVALID_GEOMETRY = "invalid_geometry"
SELF_INTERSECTION = "self_intersection"
NOT_POLYGON = "not_polygon"
OUTSIDE_DISTRICT = "outside_district"
CRS_MISMATCH = "crs_mismatch"
EMPTY = "empty"
TOO_MANY_VERTICES = "too_many_vertices"
# A file refused as a whole for a limit takes the limit's own word (core.limits), e.g.
# "inflated_too_large", "too_many_features", "nested_too_deep".

# China, generously: anything outside is not lon/lat of a Chinese district.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
# A feature may stick out of the district by this share of its area (and this many m²).
OUTSIDE_SHARE = 0.01
OUTSIDE_MIN_M2 = 10.0
# Excel's limit on the characters in one cell: a longer WKT goes on in the columns after it,
# named wkt_2, wkt_3, … (written so, and read back joined).
XLSX_CELL_LIMIT = 32767
# How many feature numbers a repeated code's problem lists.
LISTED_FEATURES = 5

# ASCII digits only, the whole text (\d takes any script's digits; $ lets a newline end it).
_CODE_RE = {
    "grid": re.compile(r"[0-9]{15}\Z"),
    "community": re.compile(r"[0-9]{12}\Z"),
    "street": re.compile(r"[0-9]{9}000\Z"),
}
_STREET_RE = _CODE_RE["street"]
_COMMUNITY_RE = _CODE_RE["community"]

# Attribute names tried, in order, case-insensitively. Shapefile names are cut to 10 characters,
# hence "parent_cod", "community_" and "street_cod".
_CODE_FIELDS = {
    "grid": ["code", "编码", "代码", "grid_code", "gridcode", "网格编码", "id"],
    "beat": ["code", "编码", "代码", "beat_code", "beatcode", "警格编码", "id"],
    "community": ["code", "编码", "代码", "community_code", "community_", "社区编码", "id"],
    "street": ["code", "编码", "代码", "street_code", "street_cod", "街道编码", "id"],
}
_NAME_FIELDS = ["name", "名称", "grid_name", "beat_name", "community_name", "street_name", "mc"]
_STREET_PARENT_FIELDS = [
    "parent_code",
    "parent_cod",
    "parent",
    "street_code",
    "street_cod",
    "street",
    "上级编码",
    "街道编码",
]
_PARENT_FIELDS = {
    "grid": [
        "parent_code",
        "parent_cod",
        "parent",
        "community_code",
        "community_",
        "community",
        "上级编码",
        "社区编码",
    ],
    # A community's parent and a beat's are both a street.
    "community": _STREET_PARENT_FIELDS,
    "beat": _STREET_PARENT_FIELDS,
    "street": ["parent_code", "parent_cod", "parent", "district_code", "上级编码"],
}
_POPULATION_FIELDS = ["population", "人口", "人口数", "pop"]
_HOUSEHOLD_FIELDS = ["households", "户数", "hh"]
_GEOMETRY_COLUMNS = ["wkt", "geometry", "geom", "几何", "空间范围"]

_WGS84_EPSG = {4326, 4490, 4979, 4480}  # WGS-84 and CGCS2000 (identical at map scale)


@dataclass(frozen=True)
class LayerFeature:
    index: int  # 1-based feature number in the file (row number for XLSX)
    code: str
    name: str
    parent_code: str  # grid → community; community → street; beat → street or ""
    geometry: BaseGeometry  # WGS-84 Polygon or MultiPolygon, valid
    population: int | None
    households: int | None
    properties: dict  # the other attributes, JSON-safe


@dataclass(frozen=True)
class FeatureProblem:
    index: int | None  # None for a problem with the whole file
    code: str  # "" when missing
    field: str  # "geometry" | "code" | "crs" | "file" | "parent_code" | ...
    problem: str  # machine word, see the constants above
    message: str  # translated; names the feature number and code


@dataclass
class LayerFile:
    level: str
    crs: str  # as declared: "wgs84" | "gcj02"
    features: list[LayerFeature] = field(default_factory=list)
    problems: list[FeatureProblem] = field(default_factory=list)
    # Every feature whose geometry was read as a valid polygon in China, refused or not (a bad
    # code, parent or number, a part outside the district): it still covers its ground, so the
    # coverage check judges its geometry while the problems name what else is wrong with it.
    covering: list[LayerFeature] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class _Unreadable(Exception):
    """The whole file cannot be read; the message is already translated."""


@dataclass
class _Raw:
    """One feature as read, before any check."""

    index: int
    props: dict
    geometry: BaseGeometry | None = None
    geometry_error: str | None = None  # translated, when the geometry could not be parsed
    geometry_problem: str = "invalid_geometry"  # the problem word for geometry_error


@dataclass
class _Source:
    records: list[_Raw]
    fields: list[str]
    file_crs: object | None = None  # whatever pyproj.CRS.from_user_input accepts
    geometry_column_missing: bool = False


def _validate_level(level: str) -> str:
    if level not in LEVELS:
        raise InvalidInput(
            _("level must be one of: %(levels)s.") % {"levels": ", ".join(LEVELS)},
            field="level",
            code="invalid_level",
        )
    return level


def read_layer(
    source: str | Path | bytes,
    *,
    level: str,
    crs: str = geo.WGS84,
    filename: str | None = None,
    outline: BaseGeometry | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    codeless: bool = False,
) -> LayerFile:
    """Read a layer file and check every feature; see the module docstring.

    `source` is a path or the file's bytes (then `filename` names the format; without it the
    content is sniffed). Raises InvalidInput only for a bad `level` or `crs`; everything wrong
    with the file itself comes back in `LayerFile.problems`.

    `codeless` (grids only) reads a layer that is about to be given codes
    (territory.coding): a grid may lack a code (its code is then "") or share one with other
    features, as the pieces of a split grid do.
    """
    level = _validate_level(level)
    if codeless and level != "grid":
        raise InvalidInput(
            _("Only grids are given codes from a file."), field="level", code="invalid_level"
        )
    crs = geo.validate_crs(crs)
    result = LayerFile(level=level, crs=crs)
    src = _open(source, filename)
    if isinstance(src, FeatureProblem):
        result.problems.append(src)
        return result
    overrides = (code_field, name_field, parent_field)
    _check(src, result, outline=outline, overrides=overrides, codeless=codeless)
    return result


def read_outline(
    source: str | Path | bytes, *, crs: str = geo.WGS84, filename: str | None = None
) -> tuple[BaseGeometry | None, list[FeatureProblem]]:
    """A district outline: the union of every polygon of a file (no codes needed), in WGS-84.

    Returns (outline, []) or (None, the problems, each naming its feature), read and checked
    like a layer's features (format, the file's own CRS, the declared GCJ-02 shift, validity,
    lon/lat in China).
    """
    crs = geo.validate_crs(crs)
    problems: list[FeatureProblem] = []
    src = _open(source, filename)
    if isinstance(src, FeatureProblem):
        return None, [src]
    to_lonlat, crs_problem = _file_transform(src.file_crs)
    if crs_problem:
        return None, [FeatureProblem(None, "", "crs", CRS_MISMATCH, crs_problem)]
    parts = []
    for raw in src.records:
        geom, problem, text = _clean_geometry(raw, to_lonlat, crs)
        if problem is None and not _in_china(geom):
            problem, text = CRS_MISMATCH, _crs_guess_message(geom, feature=True)
        if problem:
            label = feature_label(raw.index, "")
            problems.append(FeatureProblem(raw.index, "", "geometry", problem, f"{label}: {text}"))
        else:
            parts.append(geom)
    if not parts and not problems:
        problems.append(FeatureProblem(None, "", "file", EMPTY, _("The file holds no features.")))
    if problems:
        return None, problems
    return orient_ccw(shapely.union_all(parts)), []


def _open(source: str | Path | bytes, filename: str | None) -> _Source | FeatureProblem:
    """The file's features as read, within the upload bounds (size, unpacked size, features,
    nesting, points); or the one problem with the whole file."""

    def whole_file(problem: str, message) -> FeatureProblem:
        return FeatureProblem(None, "", "file", problem, str(message))

    try:
        data, filename = file_bytes(source, filename)
        src = _READERS[_detect_format(data, filename)](data)
        _check_points(src, upload_limits().max_points)
    except _Unreadable as exc:
        return whole_file(UNREADABLE, exc)
    except LimitExceeded as exc:
        return whole_file(exc.code, exc.message)
    except InvalidInput as exc:  # an archive or workbook that cannot be opened
        return whole_file(UNREADABLE, exc.message)
    except OSError as exc:
        return whole_file(UNREADABLE, _("The file could not be read: %(reason)s") % {"reason": exc})
    return src


def file_bytes(source: str | Path | bytes, filename: str | None) -> tuple[bytes, str | None]:
    """A file's bytes and name (a path's own name unless one is given), refused as
    LimitExceeded over the upload size limit before it is read. OSError when a path cannot be
    read."""
    limit = upload_limits().max_bytes
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        path = Path(source)
        filename = filename or path.name
        if path.stat().st_size > limit:
            raise file_too_large(limit)
        data = path.read_bytes()
    if len(data) > limit:
        raise file_too_large(limit)
    return data, filename


def _check_points(src: _Source, limit: int) -> None:
    """Refuse a file whose boundaries have more points together than a layer may have (the
    checks that follow, coverage and fusion, grow faster than the points)."""
    geoms = [r.geometry for r in src.records if r.geometry is not None]
    if geoms and int(shapely.get_num_coordinates(geoms).sum()) > limit:
        raise too_many_points(limit)


def _detect_format(data: bytes, filename: str | None) -> str:
    ext = Path(filename).suffix.lower() if filename else ""
    if ext in (".geojson", ".json"):
        return "geojson"
    if ext == ".gpkg":
        return "gpkg"
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    if ext == ".zip":
        return "xlsx" if _is_xlsx(data) else "zip"
    if ext == ".shp":
        raise _Unreadable(
            _("A Shapefile needs its .dbf, .shx and .prj: upload them together as one .zip.")
        )
    # No or unknown extension: look at the content.
    if data[:16] == b"SQLite format 3\x00":
        return "gpkg"
    if data[:2] == b"PK":
        return "xlsx" if _is_xlsx(data) else "zip"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "geojson"
    raise _Unreadable(
        _("The file format is not recognised; use GeoJSON, a zipped Shapefile, GeoPackage or XLSX.")
    )


def _is_xlsx(data: bytes) -> bool:
    try:
        archive = archives.open_zip(data, max_inflated=upload_limits().max_inflated_bytes)
    except archives.NotAZip:
        return False
    with archive:
        return "xl/workbook.xml" in archive.namelist()


# GeoJSON ------------------------------------------------------------------------------------


def bounded_geojson(data: bytes | str) -> Any:
    """A GeoJSON document parsed within a layer file's bounds (nesting, points, values);
    LimitExceeded or jsonlimits.MalformedJSON (both InvalidInput, field "file") otherwise."""
    # Parsed JSON takes 10 to 25 times its text in memory: the points are counted before.
    limits = upload_limits()
    data = jsonlimits.text_bytes(data)
    # A position is 3 values (its array and 2 numbers); a feature's other values are few
    # (its object, geometry, rings, properties: 20 is generous).
    max_values = 3 * limits.max_points + 20 * limits.max_features
    measured = jsonlimits.measure(data)
    jsonlimits.refuse_deep(measured, field="file")
    if measured.flat_arrays > limits.max_points:
        raise too_many_points(limits.max_points)
    jsonlimits.refuse_large(measured, field="file", max_values=max_values)
    return jsonlimits.parse(data, field="file")


def _read_geojson(data: bytes) -> _Source:
    try:
        doc = bounded_geojson(data)
    except jsonlimits.MalformedJSON as exc:
        raise _Unreadable(str(exc.message)) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise _Unreadable(_("The FeatureCollection has no list of features."))
    else:
        raise _Unreadable(_("The file must be a GeoJSON FeatureCollection."))
    limits = upload_limits()
    if len(features) > limits.max_features:
        raise too_many_features(limits.max_features)
    records, fields = [], {}
    for i, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            records.append(_Raw(i, {}, geometry_error=_("it is not a GeoJSON Feature.")))
            continue
        props = feature.get("properties")
        props = props if isinstance(props, dict) else {}
        for key in props:
            fields.setdefault(key, None)
        raw = _Raw(i, props)
        geometry = feature.pop("geometry", None)  # its lists are freed once shaped
        points = _positions(geometry)
        if points > limits.max_vertices:
            raw.geometry_error = _too_many_vertices(points)
            raw.geometry_problem = TOO_MANY_VERTICES
        elif geometry is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    raw.geometry = shape(geometry)
            except Exception as exc:  # shapely raises several types for malformed GeoJSON
                raw.geometry_error = _("the geometry is not valid GeoJSON (%(reason)s).") % {
                    "reason": exc
                }
        records.append(raw)
    return _Source(records, list(fields), file_crs=_geojson_crs(doc))


def _positions(geometry) -> int:
    """How many positions a GeoJSON geometry's coordinates hold (0 when it is malformed)."""
    if not isinstance(geometry, dict):
        return 0
    if isinstance(geometry.get("geometries"), list):
        return sum(_positions(g) for g in geometry["geometries"])
    coordinates = geometry.get("coordinates")
    count, stack = 0, [coordinates]
    while stack:
        item = stack.pop()
        if not isinstance(item, list) or not item:
            continue
        if not isinstance(item[0], list):
            count += 1  # a position
        elif item[0] and not isinstance(item[0][0], list):
            count += len(item)  # a ring of positions
        else:
            stack.extend(item)
    return count


def _geojson_crs(doc) -> str | None:
    crs = doc.get("crs") if isinstance(doc, dict) else None
    if not isinstance(crs, dict) or crs.get("type") != "name":
        return None
    name = (crs.get("properties") or {}).get("name")
    return name if isinstance(name, str) and name.strip() else None


# Shapefile / GeoPackage (via pyogrio) -------------------------------------------------------


def _read_zip(data: bytes) -> _Source:
    """A zipped Shapefile (or a GeoPackage or GeoJSON in a zip), unpacked within the limits:
    the members read are copied out with the real unpacked bytes counted."""
    limits = upload_limits()
    try:
        archive = archives.open_zip(data, max_inflated=limits.max_inflated_bytes)
    except archives.NotAZip:
        raise _Unreadable(_("The file is not a valid .zip archive.")) from None
    with archive:
        names = [
            n
            for n in archive.namelist()
            if not n.startswith("__MACOSX/") and not Path(n).name.startswith("._")
        ]
        lower = {n.lower(): n for n in names}
        shps = sorted(n for n in names if n.lower().endswith(".shp"))
        if shps:
            inner = shps[0]
            stem = inner[:-4].lower()
            parts = [lower[stem + ext] for ext in _SHAPEFILE_PARTS if stem + ext in lower]
            with tempfile.TemporaryDirectory(prefix="onegrid-layer-") as tmp:
                paths = archives.extract_members(
                    archive, parts, Path(tmp), limit=limits.max_inflated_bytes
                )
                has_cpg = stem + ".cpg" in lower
                return _read_ogr(paths[inner], shapefile=True, has_cpg=has_cpg)
        for ext in (".gpkg", ".geojson", ".json"):
            inside = sorted(n for n in names if n.lower().endswith(ext))
            if inside:
                # A GeoJSON is parsed in memory: no larger unpacked than it may be uploaded.
                limit = limits.max_inflated_bytes if ext == ".gpkg" else limits.max_bytes
                content = archives.read_member(archive, inside[0], limit=limit)
                return _READERS["gpkg" if ext == ".gpkg" else "geojson"](content)
    raise _Unreadable(_("The .zip holds no Shapefile (.shp), GeoPackage or GeoJSON."))


# The parts of a Shapefile that GDAL reads; anything else in the zip stays packed.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj")


def _read_gpkg(data: bytes) -> _Source:
    with tempfile.TemporaryDirectory(prefix="onegrid-layer-") as tmp:
        file = Path(tmp) / "upload.gpkg"
        file.write_bytes(data)
        return _read_ogr(file)


def _views(file: Path) -> list[str]:
    """The GeoPackage's layers that are views, read with SQLite itself (read-only), before
    GDAL opens the file: GDAL runs a query on each layer as it opens it."""
    try:
        uri = f"{file.as_uri()}?mode=ro&immutable=1"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            rows = db.execute(
                "SELECT c.table_name FROM gpkg_contents c JOIN sqlite_master m "
                "ON m.name = c.table_name WHERE m.type = 'view' ORDER BY c.table_name"
            ).fetchall()
    except sqlite3.Error:  # not a GeoPackage: GDAL says so below
        return []
    return [name for (name,) in rows]


def _read_ogr(file: Path, *, shapefile=False, has_cpg=True) -> _Source:
    import pyogrio
    import pyogrio.raw

    limit = upload_limits().max_features
    path = str(file)
    try:
        layer = None
        if not shapefile:
            # A view is a query, and a query can be made to run for ever: only tables are read.
            if views := _views(file):
                raise _Unreadable(
                    _("The GeoPackage layer %(layer)s is a view; save it as a table.")
                    % {"layer": views[0]}
                )
            layers = pyogrio.list_layers(path)
            if len(layers) == 0:
                raise _Unreadable(_("The GeoPackage has no layers."))
            polygonal = [n for n, t in layers if t and "polygon" in str(t).lower()]
            layer = polygonal[0] if polygonal else layers[0][0]
        kwargs = {}
        if shapefile and not has_cpg:
            # No .cpg: Chinese Shapefiles are UTF-8 or GBK; decode ourselves below.
            kwargs["encoding"] = "latin1"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, _fids, wkbs, field_data = pyogrio.raw.read(
                path, layer=layer, max_features=limit + 1, **kwargs
            )
    except _Unreadable:
        raise
    except Exception as exc:  # GDAL errors come in several types
        raise _Unreadable(_("The file could not be read: %(reason)s") % {"reason": exc}) from None
    fields = [str(f) for f in meta["fields"]]
    columns = [_redecode(list(col)) if "encoding" in kwargs else list(col) for col in field_data]
    if "encoding" in kwargs:
        fields = _redecode(fields)
    records = []
    n = len(wkbs) if wkbs is not None else (len(columns[0]) if columns else 0)
    if n > limit:
        raise too_many_features(limit)
    max_vertices = upload_limits().max_vertices
    for i in range(n):
        props = {name: columns[j][i] for j, name in enumerate(fields)}
        raw = _Raw(i + 1, props)
        wkb = wkbs[i] if wkbs is not None else None
        if wkb is not None and len(wkb) > _MAX_WKB_BYTES_PER_POINT * max_vertices + 1024:
            # Surely over the limit (a point takes at most 32 bytes): not even decoded.
            raw.geometry_error = _too_many_vertices(len(wkb) // _MAX_WKB_BYTES_PER_POINT)
            raw.geometry_problem = TOO_MANY_VERTICES
        elif wkb is not None:
            try:
                raw.geometry = shapely.from_wkb(wkb)
            except Exception as exc:  # GEOS errors
                raw.geometry_error = _("the geometry cannot be decoded (%(reason)s).") % {
                    "reason": exc
                }
        records.append(raw)
    return _Source(records, fields, file_crs=meta.get("crs"))


_MAX_WKB_BYTES_PER_POINT = 32  # x, y, z, m as doubles


def _too_many_vertices(count: int) -> str:
    return _("the boundary has %(count)s points; at most %(limit)s are accepted.") % {
        "count": f"{count:,}",
        "limit": f"{upload_limits().max_vertices:,}",
    }


def _redecode(values: list) -> list:
    """Strings read as Latin-1 from a Shapefile without .cpg: really UTF-8, else GBK."""
    strings = [v for v in values if isinstance(v, str)]
    try:
        blob = "".join(strings).encode("latin1")
    except UnicodeEncodeError:
        return values
    try:
        blob.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    return [
        v.encode("latin1").decode(encoding, errors="replace") if isinstance(v, str) else v
        for v in values
    ]


# XLSX ---------------------------------------------------------------------------------------


def sheet_records(
    rows: Iterator[tuple[int, tuple[object, ...]]],
) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """A sheet's headers (its first row with a value; "" for a blank one) and its other
    non-blank rows, as they stream: (row number, {header: value})."""
    header = next((values for _n, values in rows if any(v not in (None, "") for v in values)), None)
    if header is None:
        return [], iter(())
    fields = [str(v).strip() if v is not None else "" for v in header]

    def records() -> Iterator[tuple[int, dict]]:
        for number, values in rows:
            if any(v not in (None, "") for v in values):
                yield number, {n: values[j] for j, n in enumerate(fields) if n and j < len(values)}

    return fields, records()


def _read_xlsx(data: bytes) -> _Source:
    limit = upload_limits().max_features
    try:
        # A row is a feature: no more than `limit` rows are read (too_many_rows, below).
        fields, rows = sheet_records(iter_sheet_rows(data, max_rows=limit))
        geom_col = _find_column(fields, _GEOMETRY_COLUMNS)
        more = _continuation_columns(fields, geom_col)
        records: list[_Raw] = []
        for row_number, props in rows:
            raw = _Raw(row_number, props)
            if geom_col is not None:
                text = props.pop(geom_col, None)
                if more:
                    pieces = [props.pop(name, None) for name in more]
                    text = "".join(str(t) for t in (text, *pieces) if t is not None)
                _parse_text_geometry(raw, text)
            records.append(raw)
    except UnreadableWorkbook as exc:
        raise _Unreadable(str(exc.message)) from None
    except LimitExceeded as exc:
        if exc.code == "too_many_rows":  # a row is a feature here
            raise too_many_features(limit) from None
        raise
    fields = [f for f in fields if f and f != geom_col and f not in more]
    return _Source(records, fields, geometry_column_missing=geom_col is None)


def _continuation_columns(fields: list[str], geom_col: str | None) -> list[str]:
    """The columns a long WKT goes on in: "<geometry column>_2", "_3", … as far as they run."""
    if geom_col is None:
        return []
    by_lower = {f.strip().lower(): f for f in fields if f}
    more: list[str] = []
    while (name := f"{geom_col.strip().lower()}_{len(more) + 2}") in by_lower:
        more.append(by_lower[name])
    return more


def _wkt_depth(text: str) -> int:
    """How deeply a WKT's parentheses nest (GEOS recurses once per level, and crashes the
    process somewhere past ten thousand)."""
    marks = np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8)
    steps = (marks == ord("(")).astype(np.int8) - (marks == ord(")")).astype(np.int8)
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def _parse_text_geometry(raw: _Raw, text) -> None:
    """Parse a sheet's WKT (or GeoJSON) text into `raw`, within the nesting and point limits."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return
    text = str(text).strip()
    limits = upload_limits()
    try:
        if text.startswith("{"):
            raw.geometry = shape(jsonlimits.loads(text, field="geometry"))
            return
        if text.upper().startswith("SRID="):
            text = text.split(";", 1)[1]
        if _wkt_depth(text) > limits.max_nesting:
            raw.geometry_error = str(nested_too_deep(limits.max_nesting, "WKT").message)
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw.geometry = shapely.from_wkt(text)
    except LimitExceeded as exc:
        raw.geometry_error = str(exc.message)
    except Exception as exc:  # shapely and json raise several types
        raw.geometry_error = _("the WKT cannot be parsed (%(reason)s).") % {"reason": exc}


_READERS = {
    "geojson": _read_geojson,
    "zip": _read_zip,
    "gpkg": _read_gpkg,
    "xlsx": _read_xlsx,
}


# Checks -------------------------------------------------------------------------------------


def _find_column(fields: Sequence[str], candidates: Sequence[str]) -> str | None:
    by_lower = {}
    for f in fields:
        by_lower.setdefault(f.strip().lower(), f)
    for c in candidates:
        if c.lower() in by_lower:
            return by_lower[c.lower()]
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if isinstance(value, (np.integer,)):
        return str(int(value))
    if isinstance(value, np.floating):
        return _text(float(value))
    return str(value).strip()


def _json_safe(value):
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time, np.datetime64)):
        return str(value) if isinstance(value, np.datetime64) else value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return str(value)


def feature_label(index: int | None, code: str) -> str:
    if index is None:
        return _("The file")
    if code:
        return _("Feature %(index)s (%(code)s)") % {"index": index, "code": shown(code)}
    return _("Feature %(index)s (no code)") % {"index": index}


def _check(src: _Source, result: LayerFile, *, outline, overrides, codeless: bool) -> None:
    level = result.level
    problems = result.problems

    def add(index, code, field_name, problem, text):
        message = text if index is None else f"{feature_label(index, code)}: {text}"
        problems.append(FeatureProblem(index, code, field_name, problem, message))

    if not src.records:
        add(None, "", "file", EMPTY, _("The file holds no features."))
        return
    if src.geometry_column_missing:
        add(
            None,
            "",
            "geometry",
            UNREADABLE,
            _("The sheet has no WKT column (headers tried: %(names)s).")
            % {"names": ", ".join(_GEOMETRY_COLUMNS)},
        )
        return

    # Which attribute is which.
    code_override, name_override, parent_override = overrides
    columns = {}
    for key, override, candidates in (
        ("code", code_override, _CODE_FIELDS[level]),
        ("name", name_override, _NAME_FIELDS),
        ("parent_code", parent_override, _PARENT_FIELDS[level]),
        ("population", None, _POPULATION_FIELDS),
        ("households", None, _HOUSEHOLD_FIELDS),
    ):
        if override:
            found = _find_column(src.fields, [override])
            if found is None:
                add(
                    None,
                    "",
                    key,
                    MISSING_CODE if key == "code" else UNREADABLE,
                    _("The file has no attribute %(name)s (it has: %(fields)s).")
                    % {"name": override, "fields": ", ".join(src.fields) or "-"},
                )
                return
            columns[key] = found
        else:
            columns[key] = _find_column(src.fields, candidates)
    if columns["code"] is None and not codeless:
        add(
            None,
            "",
            "code",
            MISSING_CODE,
            _("The file has no code attribute (names tried: %(names)s; it has: %(fields)s).")
            % {
                "names": ", ".join(_CODE_FIELDS[level]),
                "fields": ", ".join(src.fields) or "-",
            },
        )
        return
    used = {c for c in columns.values() if c}

    # The file's own coordinate system, to WGS-84 lon/lat.
    to_lonlat, crs_problem = _file_transform(src.file_crs)
    if crs_problem:
        add(None, "", "crs", CRS_MISMATCH, crs_problem)
        return

    # Codes: missing, malformed, duplicated.
    codes = {}
    for raw in src.records:
        codes[raw.index] = _text(raw.props.get(columns["code"])) if columns["code"] else ""
    by_code = defaultdict(list)
    for raw in src.records:
        if codes[raw.index]:
            by_code[codes[raw.index]].append(raw.index)

    bad: set[int] = set()
    geoms: dict[int, BaseGeometry] = {}
    for raw in src.records:
        index, code = raw.index, codes[raw.index]
        if not code:
            if not codeless:
                add(index, code, "code", MISSING_CODE, _("the code is missing."))
                bad.add(index)
        elif not _code_ok(level, code):
            add(index, code, "code", BAD_CODE, _code_rule(level))
            bad.add(index)
        elif len(by_code[code]) > 1 and not codeless:
            # Named once, at its first feature: listing every other feature at each of them
            # grows with the square of the features (ten codes over 100,000 rows: 10^9 numbers).
            if index == by_code[code][0]:
                add(index, code, "code", DUPLICATE_CODE, _shared_code_text(by_code[code]))
            bad.add(index)

        geom, problem, text = _clean_geometry(raw, to_lonlat, result.crs)
        if problem:
            add(index, code, "geometry", problem, text)
            bad.add(index)
        else:
            geoms[index] = geom

    # Coordinates that are not lon/lat in China: the file's coordinate system is wrong.
    outside_china = [i for i, g in geoms.items() if not _in_china(g)]
    if geoms and len(outside_china) == len(geoms):
        add(None, "", "crs", CRS_MISMATCH, _crs_guess_message(next(iter(geoms.values()))))
        result.features.clear()
        return
    for index in outside_china:
        add(
            index,
            codes[index],
            "geometry",
            CRS_MISMATCH,
            _crs_guess_message(geoms.pop(index), feature=True),
        )
        bad.add(index)

    # Inside the district.
    if outline is not None and not outline.is_empty and geoms:
        shapely.prepare(outline)  # speeds up contains/intersects; harmless to the caller
        missing_entirely = True
        for index, geom in list(geoms.items()):
            if outline.intersects(geom):
                missing_entirely = False
            if outline.contains(geom):
                continue
            total = geo.area_m2(geom)
            outside = geo.area_m2(geom.difference(outline))
            if outside > OUTSIDE_MIN_M2 and outside > OUTSIDE_SHARE * total:
                add(
                    index,
                    codes[index],
                    "geometry",
                    OUTSIDE_DISTRICT,
                    _("%(share)s%% of its area (%(area)s m²) lies outside the district.")
                    % {"share": f"{100 * outside / total:.1f}", "area": f"{outside:,.0f}"},
                )
                bad.add(index)
        if missing_entirely:
            add(
                None,
                "",
                "crs",
                CRS_MISMATCH,
                _(
                    "No feature lies in the district; the coordinate system is probably wrong "
                    "(declared: %(crs)s)."
                )
                % {"crs": result.crs},
            )

    # Parent codes and numbers; build the valid features.
    for raw in src.records:
        index, code = raw.index, codes[raw.index]
        parent = _text(raw.props.get(columns["parent_code"])) if columns["parent_code"] else ""
        parent_problem = None
        if index not in bad:
            parent, parent_problem = _check_parent(level, code, parent)
        if parent_problem:
            add(index, code, "parent_code", BAD_PARENT, parent_problem)
            bad.add(index)
        numbers = {}
        for key in ("population", "households"):
            column = columns[key]
            value = raw.props.get(column) if column else None
            number, ok = _count(value)
            if not ok:
                add(
                    index,
                    code,
                    key,
                    BAD_NUMBER,
                    _("%(field)s must be a whole number of 0 or more, not %(value)s.")
                    % {"field": key, "value": _text(value)},
                )
                bad.add(index)
            numbers[key] = number
        if index not in geoms:
            continue
        name = _text(raw.props.get(columns["name"])) if columns["name"] else ""
        properties = {
            str(k): _json_safe(v) for k, v in raw.props.items() if k not in used and str(k)
        }
        feature = LayerFeature(
            index=index,
            code=code,
            name=name,
            parent_code=parent,
            geometry=geoms[index],
            population=numbers["population"],
            households=numbers["households"],
            properties=properties,
        )
        result.covering.append(feature)
        if index not in bad:
            result.features.append(feature)
    result.problems.sort(key=lambda p: (p.index is not None, p.index or 0))


def _shared_code_text(indexes: list[int]) -> str:
    listed = ", ".join(str(i) for i in indexes[:LISTED_FEATURES])
    rest = len(indexes) - LISTED_FEATURES
    if rest > 0:
        listed = _("%(listed)s and %(rest)s more") % {"listed": listed, "rest": f"{rest:,}"}
    return _("the code is used by %(count)s features: %(listed)s.") % {
        "count": f"{len(indexes):,}",
        "listed": listed,
    }


def _code_ok(level: str, code: str) -> bool:
    if level == "beat":
        # Printable: no line breaks, control, bidirectional or zero-width characters. Beats
        # may be named in Chinese ("北辰-警格 01"); they are never part of a URL.
        return 1 <= len(code) <= 40 and code.isprintable()
    return bool(_CODE_RE[level].match(code))


def _code_rule(level: str) -> str:
    return {
        "grid": _("a grid code has exactly 15 digits."),
        "community": _("a community code has exactly 12 digits."),
        "street": _("a street code has exactly 12 digits and ends in 000."),
        "beat": _("a beat code has 1 to 40 printable characters."),
    }[level]


def _check_parent(level: str, code: str, parent: str) -> tuple[str, str | None]:
    """Return (parent code, problem or None); derive the parent from the code where it can."""
    if not code:  # a grid still to be given a code: its community, when named, must be one
        if parent and not _COMMUNITY_RE.match(parent):
            return parent, _("the community code %(parent)s must have 12 digits.") % {
                "parent": parent
            }
        return parent, None
    if level == "grid":
        if not parent:
            return code[:12], None
        if not _COMMUNITY_RE.match(parent):
            return parent, _("the community code %(parent)s must have 12 digits.") % {
                "parent": parent
            }
        if parent != code[:12]:
            return parent, _("the code does not start with its community code %(parent)s.") % {
                "parent": parent
            }
    elif level == "community":
        if not parent:
            return code[:9] + "000", None
        if not _STREET_RE.match(parent):
            return parent, _("the street code %(parent)s must have 12 digits and end in 000.") % {
                "parent": parent
            }
        if parent[:9] != code[:9]:
            return parent, _("the code does not start with its street code %(parent)s.") % {
                "parent": parent[:9]
            }
    elif level == "beat" and parent and not _STREET_RE.match(parent):
        return parent, _("the street code %(parent)s must have 12 digits and end in 000.") % {
            "parent": parent
        }
    return parent, None


def _count(value) -> tuple[int | None, bool]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return None, True  # a null in a numeric Shapefile column
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        return None, False
    if not number.is_integer() or number < 0:
        return None, False
    return int(number), True


def _file_transform(file_crs):
    """Return (function geometry → WGS-84 lon/lat or None, problem or None)."""
    if file_crs is None or file_crs == "":
        return None, None
    text = str(file_crs).strip()
    if text.replace(" ", "").lower() in (
        "epsg:4326",
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "ogc:crs84",
        "crs84",
        "urn:ogc:def:crs:epsg::4326",
        "epsg:4490",
        "urn:ogc:def:crs:epsg::4490",
    ):
        return None, None
    try:
        import pyproj

        source = pyproj.CRS.from_user_input(text)
    except Exception:  # pyproj raises CRSError and others
        return None, _(
            "The file's coordinate system is not understood (%(crs)s); export the layer in "
            "WGS-84 (EPSG:4326) or GCJ-02 lon/lat."
        ) % {"crs": text[:80]}
    epsg = source.to_epsg(min_confidence=70)
    if epsg in _WGS84_EPSG or (source.is_geographic and _is_wgs84_like(source)):
        return None, None
    try:
        transformer = pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    except Exception:  # no transformation known
        return None, _("The file's coordinate system (%(crs)s) cannot be converted to WGS-84.") % {
            "crs": source.name
        }

    def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
        def xy(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geom, xy)

    return to_lonlat, None


def _is_wgs84_like(crs) -> bool:
    try:
        ellipsoid = crs.ellipsoid
        return (
            ellipsoid is not None
            and abs(ellipsoid.semi_major_metre - 6378137.0) < 0.5
            and (abs(ellipsoid.inverse_flattening - 298.257) < 0.01)
        )
    except Exception:  # a CRS without an ellipsoid
        return False


_REASON_AT = re.compile(r"^(?P<what>[^\[]*)\[(?P<x>[-\d.eE+]+) (?P<y>[-\d.eE+]+)\]")


def _clean_geometry(raw: _Raw, to_lonlat, crs: str):
    """Return (geometry, None, None) in WGS-84, or (None, problem word, translated text)."""
    if raw.geometry_error:
        return None, raw.geometry_problem, raw.geometry_error
    geom = raw.geometry
    if geom is None:
        return None, EMPTY, _("the geometry is missing.")
    # Before any other check: validity and overlay cost more than linear time in the points.
    points = int(shapely.get_num_coordinates(geom))
    if points > upload_limits().max_vertices:
        return None, TOO_MANY_VERTICES, _too_many_vertices(points)
    if geom.is_empty:
        return None, EMPTY, _("the geometry is empty.")
    if geom.has_z:
        geom = shapely.force_2d(geom)
    if not isinstance(geom, (Polygon, MultiPolygon)):
        return (
            None,
            NOT_POLYGON,
            _("the geometry is a %(type)s, not a polygon.") % {"type": geom.geom_type},
        )
    if isinstance(geom, MultiPolygon) and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return None, INVALID_GEOMETRY, _("a coordinate is not a finite number.")
    if to_lonlat is not None:
        geom = to_lonlat(geom)
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            return None, CRS_MISMATCH, _("its coordinates cannot be converted to WGS-84.")
    coords = shapely.get_coordinates(geom)
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        # Not lon/lat at all: leave it to the China check, which names the likely cause.
        return geom, None, None
    if crs == geo.GCJ02 and _in_china(geom):
        geom = geo.geometry_to_wgs84(geom, crs)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        return (None, *_explain_invalid(reason))
    if geom.area <= 0:
        return None, INVALID_GEOMETRY, _("the polygon has no area.")
    # One orientation whatever the format (Shapefiles store outer rings clockwise): RFC 7946's.
    return orient_ccw(geom), None, None


def orient_ccw(geom: BaseGeometry) -> BaseGeometry:
    """Outer rings counter-clockwise, holes clockwise (RFC 7946); works on Shapely 2.0 too."""
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    return orient(geom, sign=1.0)


def _explain_invalid(reason: str) -> tuple[str, str]:
    match = _REASON_AT.match(reason or "")
    what = (match.group("what") if match else reason or "").strip().lower()
    where = {}
    if match:
        where = {"lon": f"{float(match.group('x')):.6f}", "lat": f"{float(match.group('y')):.6f}"}
    if what == "self-intersection" and where:
        return SELF_INTERSECTION, _("the boundary crosses itself near %(lon)s, %(lat)s.") % where
    if what == "ring self-intersection" and where:
        return SELF_INTERSECTION, _("a ring touches itself near %(lon)s, %(lat)s.") % where
    if where:
        texts = {
            "hole lies outside shell": _(
                "a hole lies outside its outer ring near %(lon)s, %(lat)s."
            ),
            "nested holes": _("one hole lies inside another near %(lon)s, %(lat)s."),
            "interior is disconnected": _("holes cut the polygon in pieces near %(lon)s, %(lat)s."),
            "nested shells": _("parts of the multipolygon overlap near %(lon)s, %(lat)s."),
            "duplicate rings": _("a ring appears twice near %(lon)s, %(lat)s."),
            "too few points in geometry component": _(
                "a ring has too few points near %(lon)s, %(lat)s."
            ),
        }
        if what in texts:
            return INVALID_GEOMETRY, texts[what] % where
    return INVALID_GEOMETRY, _("the polygon is invalid: %(reason)s.") % {"reason": reason}


def _in_china(geom: BaseGeometry) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    x0, y0, x1, y1 = CHINA_BOUNDS
    return x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1


def _crs_guess_message(geom: BaseGeometry, *, feature: bool = False) -> str:
    x, y = shapely.get_coordinates(geom)[0]
    values = {"x": f"{x:.6g}", "y": f"{y:.6g}"}
    x0, y0, x1, y1 = CHINA_BOUNDS
    if x0 <= y <= x1 and y0 <= x <= y1:
        text = _(
            "the coordinates (%(x)s, %(y)s) look like latitude, longitude; "
            "they must be longitude first."
        )
    elif abs(x) > 180 or abs(y) > 90:
        text = _(
            "the coordinates (%(x)s, %(y)s) are not longitude/latitude but look projected "
            "(metres); the file does not say which coordinate system it uses. Export it in "
            "WGS-84 (EPSG:4326) or include the .prj."
        )
    else:
        text = _(
            "the coordinates (%(x)s, %(y)s) are not in China; the coordinate system is "
            "probably wrong."
        )
    text = text % values
    if feature:
        return text
    return _("The file: %(problem)s") % {"problem": text}


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


_COLUMNS = ("code", "name", "parent_code", "population", "households")


def write_layer(features: Sequence[LayerFeature], path: str | Path, *, level: str) -> None:
    """Write features (WGS-84) to .geojson, .gpkg, .zip (a zipped Shapefile) or .xlsx."""
    level = _validate_level(level)
    path = Path(path)
    ext = path.suffix.lower()
    if ext in (".geojson", ".json"):
        _write_geojson(features, path, level)
    elif ext == ".gpkg":
        _write_ogr(features, path, level, driver="GPKG")
    elif ext == ".zip":
        _write_shapefile_zip(features, path, level)
    elif ext == ".xlsx":
        _write_xlsx(features, path, level)
    else:
        raise InvalidInput(
            _("Export to .geojson, .gpkg, .zip (Shapefile) or .xlsx, not %(ext)s.")
            % {"ext": ext or "-"},
            field="format",
            code="invalid_format",
        )


def _write_geojson(features, path: Path, level: str) -> None:
    doc = geojson_document(features, level=level)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def geojson_document(features: Sequence[LayerFeature], *, level: str) -> dict:
    """Features as the GeoJSON FeatureCollection `write_layer` writes (and `read_layer` reads)."""
    out = []
    for f in features:
        props = {k: v for k, v in (f.properties or {}).items() if k not in _COLUMNS}
        props.update(
            code=f.code,
            name=f.name,
            parent_code=f.parent_code,
            population=f.population,
            households=f.households,
        )
        out.append({"type": "Feature", "properties": props, "geometry": mapping(f.geometry)})
    return {"type": "FeatureCollection", "name": level, "features": out}


def _ogr_fields(features, *, short: bool):
    names = ["code", "name", "parent" if short else "parent_code", "population", "households"]
    data = [
        np.array([f.code for f in features], dtype=object),
        np.array([f.name for f in features], dtype=object),
        np.array([f.parent_code for f in features], dtype=object),
        np.array([f.population or 0 for f in features], dtype=np.int64),
        np.array([f.households or 0 for f in features], dtype=np.int64),
    ]
    masks = [
        None,
        None,
        None,
        np.array([f.population is None for f in features]),
        np.array([f.households is None for f in features]),
    ]
    return names, data, masks


def _write_ogr(features, path: Path, level: str, *, driver: str) -> None:
    import pyogrio.raw

    if path.exists():
        path.unlink()
    names, data, masks = _ogr_fields(features, short=driver == "ESRI Shapefile")
    geometry = np.array([shapely.to_wkb(f.geometry) for f in features], dtype=object)
    types = {f.geometry.geom_type for f in features}
    geometry_type = "MultiPolygon" if "MultiPolygon" in types else "Polygon"
    kwargs = {"encoding": "UTF-8"} if driver == "ESRI Shapefile" else {}
    pyogrio.raw.write(
        str(path),
        geometry,
        data,
        names,
        field_mask=masks,
        layer=level,
        driver=driver,
        geometry_type=geometry_type,
        crs="EPSG:4326",
        **kwargs,
    )


def _write_shapefile_zip(features, path: Path, level: str) -> None:
    with tempfile.TemporaryDirectory(prefix="onegrid-export-") as tmp:
        shp = Path(tmp) / f"{level}.shp"
        _write_ogr(features, shp, level, driver="ESRI Shapefile")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(Path(tmp).iterdir()):
                zf.write(part, part.name)


def _write_xlsx(features, path: Path, level: str) -> None:
    """Codes and WKT at full precision; a WKT longer than a cell holds goes on in wkt_2, wkt_3,
    … (as many as the longest needs), which `read_layer` joins again."""
    import openpyxl

    wkts = [shapely.to_wkt(f.geometry, rounding_precision=-1) for f in features]
    pieces = max((-(-len(w) // XLSX_CELL_LIMIT) for w in wkts), default=1)
    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]
    ws.title = level
    ws.append([*_COLUMNS, "wkt", *(f"wkt_{k}" for k in range(2, pieces + 1))])
    for f, wkt in zip(features, wkts, strict=True):
        parts = [wkt[i : i + XLSX_CELL_LIMIT] for i in range(0, len(wkt), XLSX_CELL_LIMIT)]
        ws.append([f.code, f.name, f.parent_code, f.population, f.households, *parts])
        row = ws[ws.max_row]
        for cell in row[:3]:
            cell.number_format = "@"  # codes are text, not numbers
        for cell in row:
            keep_text(cell)  # a name like "=HYPERLINK(…)" or "@x" stays text, never a formula
    wb.save(path)
