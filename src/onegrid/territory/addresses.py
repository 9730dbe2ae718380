"""Standard addresses (标准地址): read a CSV/XLSX, import as one transaction, follow the layer.

"人进户、户进房、房进格、格进图": an address is a point with a code, located to the grid that
covers it and to that grid's police beat. The point never changes when the layer does; the
links do: `relink_addresses` re-locates every active address and is called by every grid layer
change (territory.layers) inside its transaction.

Reading never raises for the file's content: every problem names its row (the spreadsheet row
number, the header being row 1) and code, as a `layerio.FeatureProblem`. Coordinates are
stored in WGS-84; a GCJ-02 file is converted on reading. A file beyond the upload limits
(core.limits: size, unpacked size, rows) is one file problem, found before it is read on.

An address code follows core.codes' rule (ASCII letters and digits, then also - _ .): it is
part of URLs, spreadsheets and other systems' records, so a code with a slash, a line break,
a NUL, a bidirectional or zero-width mark is refused at import, naming the character.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.db import transaction
from django.utils.translation import gettext as _

from onegrid.core.codes import code_problem, shown
from onegrid.core.errors import InvalidInput
from onegrid.core.limits import LimitExceeded, too_many_rows, upload_limits
from onegrid.core.spreadsheets import (
    UnreadableWorkbook,
    check_csv_rows,
    csv_lines,
    iter_sheet_rows,
)
from onegrid.core.textfiles import decode_text

from . import geometry as geo
from . import locator
from .layerio import (
    BAD_CODE,
    BAD_NUMBER,
    DUPLICATE_CODE,
    MISSING_CODE,
    OUTSIDE_DISTRICT,
    UNREADABLE,
    FeatureProblem,
    _find_column,
    _text,
    _Unreadable,
    file_bytes,
    sheet_records,
)
from .models import Address, Beat, Grid, LayerState
from .selectors import GRID_LAYER

MISSING_NAME = "missing_name"
MISSING_COLUMN = "missing_column"
TOO_LONG = "too_long"
CODE_MAX = 40

COLUMNS = {
    "code": ["code", "编码", "地址编码", "标准地址编码", "address_code"],
    "name": ["name", "名称", "地址名称", "标准地址", "address"],
    "building": ["building", "楼栋", "楼号"],
    "unit": ["unit", "单元"],
    "room": ["room", "房间", "房号", "户室"],
    "lon": ["lon", "lng", "longitude", "经度", "x"],
    "lat": ["lat", "latitude", "纬度", "y"],
}
_LIMITS = {"name": 200, "building": 40, "unit": 20, "room": 20}
_FIELDS = ("name", "building", "unit", "room", "lon", "lat")


@dataclass
class AddressRow:
    index: int  # the row in the file (header = 1)
    code: str
    name: str
    building: str
    unit: str
    room: str
    lon: float  # WGS-84
    lat: float


@dataclass
class AddressImportReport:
    dry_run: bool
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[FeatureProblem] = field(default_factory=list)
    refused: bool = False
    by_grid: dict[str, int] = field(default_factory=dict)  # grid code → addresses in the file
    file_name: str = ""  # the file as uploaded, for the report's heading

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "refused": self.refused,
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "by_grid": dict(self.by_grid),
            "problems": [p.__dict__ for p in self.problems],
        }


# --- reading --------------------------------------------------------------------------------


def read_addresses(
    source: str | Path | bytes, *, crs: str = geo.WGS84, filename: str | None = None
) -> tuple[list[AddressRow], list[FeatureProblem]]:
    """Read a CSV (UTF-8, with or without BOM, or GB18030) or an XLSX of standard addresses.

    Raises InvalidInput only for a bad `crs`. Each row with a problem is left out of `rows`.
    """
    crs = geo.validate_crs(crs)
    problems: list[FeatureProblem] = []
    try:
        data, filename = file_bytes(source, filename)
        records, fields = _records(data, filename)
    except _Unreadable as exc:
        return [], [FeatureProblem(None, "", "file", UNREADABLE, str(exc))]
    except LimitExceeded as exc:
        return [], [FeatureProblem(None, "", "file", exc.code, str(exc.message))]
    except OSError as exc:
        reason = _("The file could not be read: %(reason)s") % {"reason": exc}
        return [], [FeatureProblem(None, "", "file", UNREADABLE, reason)]
    columns = {key: _find_column(fields, names) for key, names in COLUMNS.items()}
    missing = [key for key in ("code", "name", "lon", "lat") if columns[key] is None]
    if missing:
        message = _("The file has no column %(columns)s (headers found: %(found)s).") % {
            "columns": ", ".join(missing),
            "found": ", ".join(f for f in fields if f) or "—",
        }
        return [], [FeatureProblem(None, "", missing[0], MISSING_COLUMN, message)]

    def add(index, code, field_name, problem, text):
        who = (
            _("Row %(index)s (%(code)s)") % {"index": index, "code": shown(code)}
            if code
            else _("Row %(index)s (no code)") % {"index": index}
        )
        problems.append(FeatureProblem(index, code, field_name, problem, f"{who}: {text}"))

    rows: list[AddressRow] = []
    seen: dict[str, int] = {}
    for index, props in records:
        values = {key: _text(props.get(col)) if col else "" for key, col in columns.items()}
        code = values["code"]
        if not code:
            add(index, code, "code", MISSING_CODE, _("the address code is missing."))
            continue
        if bad := code_problem(code, max_length=CODE_MAX):
            add(index, code, "code", BAD_CODE, bad)
            continue
        if code in seen:
            add(
                index,
                code,
                "code",
                DUPLICATE_CODE,
                _("the code is already used by row %(row)s.") % {"row": seen[code]},
            )
            continue
        seen[code] = index
        if not values["name"]:
            add(index, code, "name", MISSING_NAME, _("the address name is missing."))
            continue
        too_long = [key for key, limit in _LIMITS.items() if len(values[key]) > limit]
        if too_long:
            key = too_long[0]
            add(
                index,
                code,
                key,
                TOO_LONG,
                _("%(field)s has more than %(limit)s characters.")
                % {"field": key, "limit": _LIMITS[key]},
            )
            continue
        try:
            if not values["lon"] or not values["lat"]:
                missing_field = "lon" if not values["lon"] else "lat"
                raise InvalidInput(
                    _("%(field)s is missing.") % {"field": missing_field}, field=missing_field
                )
            lon, lat = geo.to_wgs84(values["lon"], values["lat"], crs)
        except InvalidInput as exc:
            add(index, code, exc.field or "lon", BAD_NUMBER, str(exc))
            continue
        if locator.locate(lon, lat) is None:
            add(
                index,
                code,
                "lon",
                OUTSIDE_DISTRICT,
                _("the point (%(lon).6f, %(lat).6f) lies in no grid of %(district)s.")
                % {"lon": lon, "lat": lat, "district": locator.district_name()},
            )
            continue
        rows.append(
            AddressRow(
                index,
                code,
                values["name"],
                values["building"],
                values["unit"],
                values["room"],
                lon,
                lat,
            )
        )
    if not records:
        problems.append(FeatureProblem(None, "", "file", "empty", _("The file holds no rows.")))
    return rows, problems


def _records(data: bytes, filename: str | None) -> tuple[list[tuple[int, dict]], list[str]]:
    """(row number, {header: value}) of each non-blank row, and the headers; at most the
    UPLOAD_MAX_ROWS setting's rows, counted as they are read."""
    max_rows = upload_limits().max_rows
    ext = Path(filename).suffix.lower() if filename else ""
    if ext in (".xlsx", ".xlsm") or (ext != ".csv" and data[:2] == b"PK"):
        try:
            fields, rows = sheet_records(iter_sheet_rows(data, max_rows=max_rows))
            return list(rows), [f for f in fields if f]
        except UnreadableWorkbook as exc:
            raise _Unreadable(str(exc.message)) from None
    text = decode_text(data)
    if text is None:
        raise _Unreadable(_("The file is neither UTF-8 nor GB18030 text."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(csv_lines(text), dialect)
    try:
        check_csv_rows(text, max_rows=max_rows, dialect=dialect)
        header = next(reader, None)
        if header is None:
            return [], []
        fields = [h.strip() for h in header]
        records = []
        for number, row in enumerate(reader, start=2):
            if number > max_rows + 1:
                raise too_many_rows(max_rows)
            if not any(v.strip() for v in row):
                continue
            values = {name: row[j] for j, name in enumerate(fields) if j < len(row)}
            records.append((number, values))
    except csv.Error as exc:  # e.g. a field longer than csv's limit (131,072 characters)
        raise _Unreadable(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
    return records, fields


# --- services -------------------------------------------------------------------------------


def _links(snap, lons, lats) -> list[tuple[int | None, int | None]]:
    """(grid id, beat id) for each point, against a snapshot.

    The beat is the grid's beat; while grids are not yet fused with the beat layer (a grid with
    no beat), it is the beat whose own polygon holds the point.
    """
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    idx = snap.indices(lons, lats)
    beats = dict(Grid.objects.values_list("id", "beat_id"))
    out = []
    for i in idx.tolist():
        grid_id = snap.located[i].grid_id if i >= 0 else None
        out.append((grid_id, beats.get(grid_id)))
    unfused = [n for n, (grid_id, beat_id) in enumerate(out) if grid_id and beat_id is None]
    if unfused:
        for n, beat_id in zip(unfused, _beats_holding(lons[unfused], lats[unfused]), strict=True):
            out[n] = (out[n][0], beat_id)
    return out


def _beats_holding(lons, lats) -> list[int | None]:
    """The live beat whose polygon holds each point (None where none does)."""
    rows = list(Beat.objects.values_list("id", "geometry_wkb"))
    found: list[int | None] = [None] * len(lons)
    if not rows:
        return found
    tree = shapely.STRtree([shapely.from_wkb(bytes(wkb)) for _id, wkb in rows])
    points, beats = tree.query(shapely.points(lons, lats), predicate="within")
    for point, beat in zip(points.tolist(), beats.tolist(), strict=True):
        found[point] = found[point] or rows[beat][0]
    return found


def _lock_layer() -> None:
    """Serialise with layer changes (they bump this row): whichever commits second sees the
    other's rows, so no address keeps a link to a layer that has since changed."""
    LayerState.objects.get_or_create(name=GRID_LAYER)
    list(LayerState.objects.select_for_update().filter(name=GRID_LAYER))


def import_addresses(
    *,
    rows: list[AddressRow],
    problems: list[FeatureProblem],
    dry_run: bool = False,
    accept_valid_part: bool = False,
) -> AddressImportReport:
    """Create or update addresses by code, each linked to its grid and beat.

    Any problem changes nothing unless `accept_valid_part`; then the valid rows are imported and
    the problems listed. An imported address is active again if it had been deactivated.
    """
    report = AddressImportReport(dry_run=dry_run, problems=list(problems))
    if report.problems and not accept_valid_part:
        report.refused = True
        return report
    with transaction.atomic():
        if not dry_run:
            _lock_layer()
        snap = locator.private_snapshot()
        links = _links(snap, [r.lon for r in rows], [r.lat for r in rows])
        grid_codes = dict(Grid.objects.values_list("id", "code"))
        existing = {a.code: a for a in Address.objects.filter(code__in=[r.code for r in rows])}
        create, update = [], []
        for row, (grid_id, beat_id) in zip(rows, links, strict=True):
            if grid_id is None:  # the layer changed since reading
                report.problems.append(
                    FeatureProblem(
                        row.index,
                        row.code,
                        "lon",
                        OUTSIDE_DISTRICT,
                        _("Row %(index)s (%(code)s): the point lies in no grid.")
                        % {"index": row.index, "code": row.code},
                    )
                )
                continue
            code = grid_codes[grid_id]
            report.by_grid[code] = report.by_grid.get(code, 0) + 1
            values = {
                "name": row.name,
                "building": row.building,
                "unit": row.unit,
                "room": row.room,
                "lon": row.lon,
                "lat": row.lat,
                "grid_id": grid_id,
                "beat_id": beat_id,
                "active": True,
            }
            old = existing.get(row.code)
            if old is None:
                report.added.append(row.code)
                create.append(Address(code=row.code, **values))
            elif all(getattr(old, k) == v for k, v in values.items()):
                report.unchanged.append(row.code)
            else:
                report.changed.append(row.code)
                for key, value in values.items():
                    setattr(old, key, value)
                update.append(old)
        if report.problems and not accept_valid_part:
            report.refused = True
            report.added, report.changed, report.unchanged = [], [], []
            return report
        if not dry_run:
            Address.objects.bulk_create(create, batch_size=500)
            if update:
                fields = [*_FIELDS, "grid", "beat", "active"]
                Address.objects.bulk_update(update, fields, batch_size=500)
    return report


def relink_addresses() -> int:
    """Re-locate every active address against the current grid layer; return how many links
    (grid or beat) changed. Call it inside the transaction that changed the layer."""
    with transaction.atomic():
        addresses = list(Address.objects.filter(active=True).only("lon", "lat", "grid", "beat"))
        if not addresses:
            return 0
        snap = locator.private_snapshot()
        links = _links(snap, [a.lon for a in addresses], [a.lat for a in addresses])
        changed = []
        for address, (grid_id, beat_id) in zip(addresses, links, strict=True):
            if (address.grid_id, address.beat_id) != (grid_id, beat_id):
                address.grid_id, address.beat_id = grid_id, beat_id
                changed.append(address)
        Address.objects.bulk_update(changed, ["grid", "beat"], batch_size=500)
        return len(changed)


def get_address(code) -> Address:
    """An active address by its code, or InvalidInput(field="address_code")."""
    text = str(code or "").strip()
    address = (
        Address.objects.select_related("grid", "beat").filter(code=text).first() if text else None
    )
    if address is None or not address.active:
        raise InvalidInput(
            _("No standard address has the code %(code)s.") % {"code": text or "—"},
            field="address_code",
            code="unknown_address",
        )
    return address
