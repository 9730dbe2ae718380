"""Layer versions: import a layer, apply a fusion, keep every version — the one write path.

One use case per function, one transaction each. Grid and beat layers are versioned: a unit
that leaves the layer is retired (its row and code stay: cases keep the grid they were located
in, and no code is given out twice); each version stores a snapshot of every unit it holds, so
any version can be exported, checked or used for measures later. Applying a grid version bumps
the layer state, so every process's locator reloads. Street and community layers (the admin
units grids hang from) come in through the same `import_layer`: checked the same way, created
or updated by code, never retired (a street or community that leaves stays, as cases and roles
refer to it), and not versioned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from onegrid.core import clock, versions
from onegrid.core.errors import Conflict, InvalidInput

from . import geometry as geo
from . import layerio
from .addresses import relink_addresses
from .coverage import Unit, overlaps_between
from .district import current_district, is_city, outline_of, served_outline, serves
from .layerio import FeatureProblem, LayerFeature, LayerFile
from .models import AdminUnit, Beat, Grid, LayerState, LayerVersion, UnitSnapshot
from .selectors import current_version
from .services import GRID_LAYER, bump_layer_version

KIND_OF_LEVEL = {"grid": LayerVersion.Kind.GRIDS, "beat": LayerVersion.Kind.BEATS}
ADMIN_LEVELS = {"street": AdminUnit.Level.STREET, "community": AdminUnit.Level.COMMUNITY}
# The level each level's parent code names (a beat's street is optional).
PARENT_LEVEL = {
    "grid": AdminUnit.Level.COMMUNITY,
    "beat": AdminUnit.Level.STREET,
    "community": AdminUnit.Level.STREET,
    "street": AdminUnit.Level.DISTRICT,
}
# Problem words added here to layerio's.
RETIRED_CODE = "retired_code"
UNKNOWN_PARENT = "unknown_parent"
OVERLAPS_LIVE = "overlaps_live"


@dataclass
class ImportReport:
    level: str
    dry_run: bool
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    problems: list[FeatureProblem] = field(default_factory=list)
    refused: bool = False
    version: int | None = None  # the new grid or beat version
    written: bool = False  # something was written (streets and communities make no version)
    file_name: str = ""  # the file as uploaded, for the report's heading

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "dry_run": self.dry_run,
            "refused": self.refused,
            "version": self.version,
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "retired": len(self.retired),
            "problems": [p.__dict__ for p in self.problems],
        }


def _same(old_wkb, geom, tolerance=1e-7) -> bool:
    """The same boundary, whatever the ring's start vertex or direction."""
    if not old_wkb:
        return False
    old = shapely.normalize(shapely.from_wkb(bytes(old_wkb)))
    return bool(shapely.equals_exact(old, shapely.normalize(geom), tolerance))


def import_layer_file(
    *,
    file: str | Path | bytes,
    level: str,
    crs: str = geo.WGS84,
    filename=None,
    district: str = "",
    **options,
) -> ImportReport:
    """Read a layer file (a path, or its bytes named by `filename`) against its district's
    outline, and `import_layer` it with `options`.

    In a city's installation each district keeps its own layers: `district` (its 12-digit
    code) names the one the file belongs to; without it the district is the only one there
    is, or, in a city, the one the file's codes name (GB/T 2260: a unit's first 6 digits are
    its district's)."""
    city = layer_district_needed()
    unit = district_unit(district) if district else (None if city else current_district())

    def read(outline):
        return layerio.read_layer(file, level=level, crs=crs, filename=filename, outline=outline)

    if unit is None and city:
        # The district comes from the file's own codes; then it is read against its outline.
        unit = _district_of_codes(read(None))
    layer = read(outline_of(unit))
    named = unit.code if city and unit is not None else district
    return import_layer(layer=layer, district=named, **options)


def layer_district_needed() -> bool:
    """Whether this installation serves several districts (a city's): then every layer import
    works on one district's units only."""
    return is_city()


def district_unit(code: str) -> AdminUnit:
    """The district a layer operation names by its 6- or 12-digit code; a translated error
    naming the field when there is none."""
    code = str(code or "").strip()
    if len(code) == 6 and code.isascii() and code.isdigit():
        code += "000000"
    unit = (
        AdminUnit.objects.filter(code=code, level=AdminUnit.Level.DISTRICT).first()
        if len(code) == 12 and code.isascii() and code.isdigit() and serves(code)
        else None
    )
    if unit is None:
        raise InvalidInput(
            _("No district of this installation has the code %(code)s.") % {"code": code[:20]},
            field="district",
        )
    return unit


def district_reach(code: str = "") -> tuple[BaseGeometry | None, str]:
    """(outline, district code) a check or fusion of the live layers works on: the named
    district's (6 or 12 digits); unnamed, the home district's in one district, and in a city
    the whole city's against the union of its districts' outlines."""
    if code:
        unit = district_unit(code)
        return outline_of(unit), unit.code
    if is_city():
        return served_outline(), ""
    return outline_of(current_district()), ""


def _district_of_codes(layer: LayerFile) -> AdminUnit | None:
    """The one district a file's codes name, when they name exactly one (beats' codes are the
    police's own and name none: their streets do)."""
    prefixes = {
        (f.parent_code if layer.level == "beat" else f.code)[:6]
        for f in layer.features
        if (f.parent_code if layer.level == "beat" else f.code)
    }
    if len(prefixes) != 1:
        raise InvalidInput(
            _(
                "This installation holds several districts: name the district the file "
                "belongs to (its units' codes name %(count)d districts)."
            )
            % {"count": len(prefixes)},
            field="district",
        )
    return district_unit(next(iter(prefixes)))


def import_layer(
    *,
    layer: LayerFile,
    dry_run: bool = False,
    accept_valid_part: bool = False,
    replace: bool = False,
    retire: Iterable[str] = (),
    actor: str = "",
    source: str = "",
    note: str = "",
    district: str = "",
) -> ImportReport:
    """Import a grid, beat, street or community layer (or report what would change).

    `district` (a 12-digit code) confines the import to that district's units in a city's
    installation: the file's units must be that district's, and `replace` retires only its
    units; with one district it may be left empty.

    A file with any problem changes nothing unless `accept_valid_part`; then its valid features
    are imported and the problems listed. `replace` retires the units the file does not hold;
    `retire` names live units to retire besides (e.g. the grids a split replaced); streets and
    communities are never retired. Without `replace`, a new or changed unit that overlaps a
    live unit which stays (neither in the file nor retired) is a problem: the layer would hold
    both. A file that would change nothing makes no version (a repeated import is a no-op).
    """
    level = layer.level
    if level not in KIND_OF_LEVEL and level not in ADMIN_LEVELS:
        raise InvalidInput(
            _("level must be one of: %(levels)s.")
            % {"levels": ", ".join([*KIND_OF_LEVEL, *ADMIN_LEVELS])},
            field="level",
        )
    admin = level in ADMIN_LEVELS
    retire = list(retire)
    if admin and (replace or retire):
        raise InvalidInput(
            _("Streets and communities are never retired: import them without replacing."),
            field="replace",
        )
    unit = district_unit(district) if district else None
    if unit is None and layer_district_needed():
        unit = _district_of_codes(layer)
    report = ImportReport(level=level, dry_run=dry_run, problems=list(layer.problems))
    features = _with_known_parents(layer, report, unit)
    if not admin:
        _refuse_retired_codes(features, level, report)
    if unit is not None:
        _refuse_other_districts(features, level, unit, report)
    bad = {p.index for p in report.problems if p.index is not None}
    features = [f for f in features if f.index not in bad]
    live = {u.code: u for u in _live_rows(level, unit)}
    for f in features:
        if f.code not in live:
            report.added.append(f.code)
        elif _same(live[f.code].geometry_wkb, f.geometry) and live[f.code].name == (
            f.name or live[f.code].name
        ):
            report.unchanged.append(f.code)
        else:
            report.changed.append(f.code)
    wanted = {f.code for f in features}
    if replace:
        report.retired = sorted(code for code in live if code not in wanted)
    else:
        report.retired = sorted({c for c in retire if c in live and c not in wanted})
        stacked = _stacked_over_live(features, live, report, wanted)
        if stacked:
            features = [f for f in features if f.code not in stacked]
            report.added = [c for c in report.added if c not in stacked]
            report.changed = [c for c in report.changed if c not in stacked]
    report.problems.sort(key=lambda p: (p.index is not None, p.index or 0))
    if report.problems and not accept_valid_part:
        report.refused = True
        return report
    if dry_run or not (report.added or report.changed or report.retired):
        return report
    with transaction.atomic():
        if admin:
            _write_admin_units(features, live, level, unit)
        else:
            version = _new_version(KIND_OF_LEVEL[level], actor, source, note)
            if level == "grid":
                _write_grids(features, live, report, version)
            else:
                _write_beats(features, live, report, version)
            relink_addresses()  # addresses follow the new grids (and beats a retired beat left)
            version.summary = report.as_dict() | {"problems": len(report.problems)}
            version.save(update_fields=["summary"])
            report.version = version.number
        report.written = True
    return report


def _live_rows(level: str, district: AdminUnit | None = None) -> QuerySet[Any]:
    """The live units of `level`; only `district`'s when one is named (a city's installation:
    a grid's or beat's district is its street's parent, a community's its street's)."""
    if level in KIND_OF_LEVEL:
        units: QuerySet[Any] = (Grid if level == "grid" else Beat).objects.all()
        return units.filter(street__parent=district) if district is not None else units
    admin_units = AdminUnit.objects.filter(level=ADMIN_LEVELS[level])
    if district is None:
        return admin_units
    if level == "street":
        return admin_units.filter(parent=district)
    return admin_units.filter(parent__parent=district)


def _refuse_other_districts(features, level: str, district: AdminUnit, report) -> None:
    """In a city, a district's file holds that district's units only (by their codes; a beat by
    its street's), so one district's import never touches another's layer."""
    for f in features:
        code = f.parent_code if level == "beat" else f.code
        if level == "beat" and not code:
            problem = _(
                "Feature %(index)s (%(code)s): in a city's installation a beat names its street, "
                "so that it belongs to one district."
            )
            field_name = "parent_code"
        elif code[:6] != district.code[:6]:
            problem = _(
                "Feature %(index)s (%(code)s): belongs to another district than %(district)s; "
                "import it with that district's layer."
            )
            field_name = "parent_code" if level == "beat" else "code"
        else:
            continue
        report.problems.append(
            FeatureProblem(
                f.index,
                f.code,
                field_name,
                UNKNOWN_PARENT,
                problem % {"index": f.index, "code": f.code, "district": district.name},
            )
        )


def _refuse_retired_codes(features, level: str, report: ImportReport) -> None:
    model = Grid if level == "grid" else Beat
    retired = set(
        model.all_objects.filter(
            retired_in__isnull=False, code__in=[f.code for f in features]
        ).values_list("code", flat=True)
    )
    for f in features:
        if f.code in retired:
            report.problems.append(
                FeatureProblem(
                    f.index,
                    f.code,
                    "code",
                    RETIRED_CODE,
                    _("Feature %(index)s (%(code)s): this code was retired and is never reused.")
                    % {"index": f.index, "code": f.code},
                )
            )


def _stacked_over_live(features, live: dict, report: ImportReport, wanted: set) -> set[str]:
    """Codes of new or changed features that would overlap a live unit that stays; each named
    as a problem (the dry run says so before anything is written)."""
    moving = set(report.added) | set(report.changed)
    staying = [
        unit
        for code, unit in live.items()
        if code not in wanted and code not in report.retired and unit.geometry_wkb
    ]
    candidates = [f for f in features if f.code in moving]
    if not staying or not candidates:
        return set()
    found = overlaps_between(
        [Unit(f.code, f.geometry) for f in candidates],
        [Unit(u.code, shapely.from_wkb(bytes(u.geometry_wkb))) for u in staying],
    )
    stacked = set()
    for i, j, area in found:
        f, unit = candidates[i], staying[j]
        stacked.add(f.code)
        report.problems.append(
            FeatureProblem(
                f.index,
                f.code,
                "geometry",
                OVERLAPS_LIVE,
                _(
                    "Feature %(index)s (%(code)s): overlaps %(other)s of the current layer by "
                    "%(area)s m², and %(other)s is not in the file, so both would stay. Put "
                    "%(other)s in the file, retire it, or replace the whole layer."
                )
                % {
                    "index": f.index,
                    "code": f.code,
                    "other": unit.code,
                    "area": f"{area:,.0f}",
                },
            )
        )
    return stacked


def _with_known_parents(
    layer: LayerFile, report: ImportReport, unit: AdminUnit | None = None
) -> list[LayerFeature]:
    """Each unit's parent must exist: a grid's community (required), a beat's street (when
    given), a community's street, a street's district (the one imported into, else this
    installation's). Street and community codes follow DOMAIN.md §2 besides: a street's begins
    with its district's 6 digits and its street/town part is not 000; a community's community
    part is not 000."""
    level = layer.level
    parent_level = PARENT_LEVEL[level]
    district = (unit or current_district()) if level == "street" else None
    if level == "street" and district is None:
        report.problems.append(
            FeatureProblem(
                None,
                "",
                "file",
                UNKNOWN_PARENT,
                _("There is no district yet: run onegrid district init first."),
            )
        )
        return []
    wanted = {f.parent_code for f in layer.features if f.parent_code}
    if level == "street":
        wanted.add(district.code)
    known = set(
        AdminUnit.objects.filter(code__in=wanted, level=parent_level).values_list("code", flat=True)
    )
    kept = []
    for f in layer.features:
        parent = district.code if level == "street" and not f.parent_code else f.parent_code
        values = {"index": f.index, "code": f.code}
        problem = None
        if level == "street" and (f.code[:6] != district.code[:6] or f.code[6:9] == "000"):
            problem = (
                "code",
                layerio.BAD_CODE,
                _(
                    "Feature %(index)s (%(code)s): a street or town code is the district's 6 "
                    "digits (%(district)s), then a street/town part from 001, then 000."
                )
                % (values | {"district": district.code[:6]}),
            )
        elif level == "community" and f.code[9:] == "000":
            problem = (
                "code",
                layerio.BAD_CODE,
                _(
                    "Feature %(index)s (%(code)s): a community code does not end in 000 (that is a "
                    "street's code)."
                )
                % values,
            )
        elif (level != "beat" and not parent) or (parent and parent not in known):
            problem = (
                "parent_code",
                UNKNOWN_PARENT,
                _("Feature %(index)s (%(code)s): no %(level)s has the code %(parent)s.")
                % (
                    values | {"level": AdminUnit.Level(parent_level).label, "parent": parent or "—"}
                ),
            )
        if problem:
            report.problems.append(FeatureProblem(f.index, f.code, *problem))
            continue
        kept.append(f)
    return kept


def _new_version(kind: str, actor: str, source: str, note: str) -> LayerVersion:
    number = current_version(kind) + 1
    return LayerVersion.objects.create(
        kind=kind,
        number=number,
        created_at=clock.now(),
        created_by=actor[:150],
        source=source[:255],
        note=note,
    )


def _grid_fields(f: LayerFeature, communities: dict) -> dict:
    community = communities[f.parent_code]
    label = f.geometry.representative_point()
    return {
        "name": f.name or f.code,
        "community": community,
        "street_id": community.parent_id,
        "geometry_wkb": shapely.to_wkb(f.geometry),
        "area_m2": geo.area_m2(f.geometry),
        "label_lon": label.x,
        "label_lat": label.y,
        "population": f.population,
        "households": f.households,
    }


def _write_grids(features, live, report: ImportReport, version: LayerVersion) -> None:
    communities = {
        u.code: u
        for u in AdminUnit.objects.filter(
            code__in={f.parent_code for f in features}, level=AdminUnit.Level.COMMUNITY
        )
    }
    _upsert(Grid, live, {f.code: _grid_fields(f, communities) for f in features})
    if report.retired:
        Grid.objects.filter(code__in=report.retired).update(retired_in=version.number)
    snapshot(version)
    bump_layer_version()


def _upsert(model, live: dict, rows: dict[str, dict]) -> None:
    """Update the live units named in `rows` and create the others, in bulk."""
    create, update = [], []
    for code, fields in rows.items():
        unit = live.get(code)
        if unit is None:
            create.append(model(code=code, **fields))
            continue
        for key, value in fields.items():
            setattr(unit, key, value)
        update.append(unit)
    model.objects.bulk_create(create, batch_size=500)
    if update:
        model.objects.bulk_update(update, list(next(iter(rows.values()))), batch_size=500)


def _write_beats(features, live, report: ImportReport, version: LayerVersion) -> None:
    streets = {
        u.code: u
        for u in AdminUnit.objects.filter(
            code__in={f.parent_code for f in features if f.parent_code},
            level=AdminUnit.Level.STREET,
        )
    }
    rows = {
        f.code: {
            "name": f.name,
            "street": streets.get(f.parent_code),
            "geometry_wkb": shapely.to_wkb(f.geometry),
            "area_m2": geo.area_m2(f.geometry),
        }
        for f in features
    }
    _upsert(Beat, live, rows)
    if report.retired:
        Beat.objects.filter(code__in=report.retired).update(retired_in=version.number)
        Grid.objects.filter(beat__code__in=report.retired).update(beat=None)
    snapshot(version)


def _write_admin_units(features, live, level: str, unit: AdminUnit | None = None) -> None:
    """Create or update streets or communities by code; their parents exist (checked)."""
    parents = {
        u.code: u
        for u in AdminUnit.objects.filter(
            code__in={f.parent_code for f in features if f.parent_code},
            level=PARENT_LEVEL[level],
        )
    }
    district = unit or current_district()  # a street's parent when the file names none
    rows = {
        f.code: {
            "name": (f.name or getattr(live.get(f.code), "name", "") or f.code)[:100],
            "level": ADMIN_LEVELS[level],
            "parent": parents.get(f.parent_code) or district,
            "geometry_wkb": shapely.to_wkb(f.geometry),
        }
        for f in features
    }
    _upsert(AdminUnit, live, rows)
    bump_layer_version()  # the grid GeoJSON carries street and community names
    # Bulk writes send no post_save: the caches of units (cases.intake_cache, the people's
    # bindings in org.access_cache) are told by the "access" counter.
    versions.bump(versions.ACCESS)


def snapshot(version: LayerVersion) -> int:
    """Store every live unit of the version's kind as it stands now."""
    if version.kind == LayerVersion.Kind.GRIDS:
        rows = Grid.objects.values_list("code", "beat__code", "geometry_wkb", "area_m2")
    else:
        rows = Beat.objects.values_list("code", "street__code", "geometry_wkb", "area_m2")
    UnitSnapshot.objects.bulk_create(
        [
            UnitSnapshot(
                version=version,
                code=code,
                parent_code=parent or "",
                geometry_wkb=bytes(wkb),
                area_m2=area,
            )
            for code, parent, wkb, area in rows
        ],
        batch_size=1000,
    )
    return len(rows)


def apply_fusion(
    *,
    fusion,
    actor: str = "",
    source: str = "",
    note: str = "",
    made_on: tuple[int, int] | None = None,
) -> dict:
    """Apply a fusion proposal (territory.coverage.Fusion) as a new grid and a new beat version.

    Grids keep their codes and take their snapped boundaries and their beat; each beat becomes
    the union of its grids; beats left with no grid are retired. `made_on` is the (grid, beat)
    version pair the proposal was computed on: if either layer moved since (another import or
    this very proposal applied already), it is refused, so a proposal applies once and only to
    the layers it was made from.
    """
    with transaction.atomic():
        if made_on is not None:
            # Serialise appliers on the layer-state row, then compare versions.
            LayerState.objects.select_for_update().get_or_create(name=GRID_LAYER)
            now_on = (current_version("grids"), current_version("beats"))
            if tuple(made_on) != now_on:
                raise Conflict(
                    _(
                        "The layers have changed since this proposal was made "
                        "(grid and beat versions %(then)s, now %(now)s): run the fusion again."
                    )
                    % {"then": "/".join(map(str, made_on)), "now": "/".join(map(str, now_on))},
                    field="proposal",
                )
        grids = {g.code: g for g in Grid.objects.select_related("street")}
        unknown = [u.code for u in fusion.grids if u.code not in grids]
        if unknown:
            raise InvalidInput(
                _("The proposal holds grids that are not in the layer: %(codes)s")
                % {"codes": ", ".join(unknown[:10])},
                field="proposal",
            )
        beat_version = _new_version(LayerVersion.Kind.BEATS, actor, source, note)
        live_beats = {
            b.code: b for b in Beat.all_objects.filter(code__in=[b.code for b in fusion.beats])
        }
        fused = [u.code for u in fusion.grids]
        street_of_beat = _street_of_new_beats(fusion, grids) if is_city() else {}
        create = []
        for unit in fusion.beats:
            fields = {
                "geometry_wkb": shapely.to_wkb(unit.geometry),
                "area_m2": geo.area_m2(unit.geometry),
                "retired_in": None,
            }
            if unit.code in live_beats:
                beat = live_beats[unit.code]
                for key, value in fields.items():
                    setattr(beat, key, value)
                beat.save(update_fields=list(fields))
            else:
                create.append(
                    Beat(
                        code=unit.code,
                        name=unit.code,
                        street_id=street_of_beat.get(unit.code),
                        **fields,
                    )
                )
        Beat.objects.bulk_create(create)
        kept = {b.code for b in fusion.beats}
        stale = Beat.objects.exclude(code__in=kept)
        if is_city():
            # A district's proposal holds that district's beats only: another district's beats
            # stay. Those of the fused grids' districts, or that held a fused grid, may go.
            fused_districts = {grids[c].street.parent_id for c in fused}
            stale = stale.filter(
                Q(street__parent_id__in=fused_districts) | Q(grids__code__in=fused)
            ).distinct()
        retired = list(stale.values_list("code", flat=True))
        Beat.objects.filter(code__in=retired).update(retired_in=beat_version.number)
        beats = {b.code: b for b in Beat.objects.all()}
        grid_version = _new_version(LayerVersion.Kind.GRIDS, actor, source, note)
        changed = []
        for unit in fusion.grids:
            grid = grids[unit.code]
            grid.geometry_wkb = shapely.to_wkb(unit.geometry)
            grid.area_m2 = geo.area_m2(unit.geometry)
            grid.beat = beats.get(fusion.assignment.get(unit.code))
            changed.append(grid)
        Grid.objects.bulk_update(changed, ["geometry_wkb", "area_m2", "beat"], 500)
        snapshot(beat_version)
        snapshot(grid_version)
        summary = {"grids": len(changed), "beats": len(fusion.beats), "beats_retired": retired}
        for version in (beat_version, grid_version):
            version.summary = summary
            version.save(update_fields=["summary"])
        bump_layer_version()
        relink_addresses()  # after the bump: serialised with address imports (see addresses)
    return summary | {"grid_version": grid_version.number, "beat_version": beat_version.number}


def _street_of_new_beats(fusion, grids: dict) -> dict[str, int]:
    """A street for each beat a fusion makes, in a city: the street of most of its grids, so
    the beat belongs to that street's district (a beat's district is its street's)."""
    counts: dict[str, dict[int, int]] = {}
    for grid_code, beat_code in fusion.assignment.items():
        grid = grids.get(grid_code)
        if grid is not None and beat_code:
            per_street = counts.setdefault(beat_code, {})
            per_street[grid.street_id] = per_street.get(grid.street_id, 0) + 1
    return {
        beat: max(sorted(streets), key=lambda street: streets[street])
        for beat, streets in counts.items()
    }
