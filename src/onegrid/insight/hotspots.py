"""Hotspots (智治): where problems concentrate, tested for significance; the heat map; places
where the same problem keeps coming back.

Every figure counts cases straight from `cases.Case` (``reported_at`` is indexed), grouped in
SQL, within the **area** the reader may see (org.policies.scope_for through
territory.selectors.places_in_scope: a street desk's figures use its street's cases only)
narrowed by an optional street or community. Merged reports (a duplicate of a problem already
counted) and rejected ones (not a problem the district handles) are not counted.

**Getis–Ord Gi\\*** (Getis & Ord 1992, Ord & Getis 1995) on the current grid layer: for grid i
with binary weights w_ij that include i itself (spatial_weights.with_self),

    Gi* = (Σ_j w_ij x_j − x̄ Σ_j w_ij) / (S · sqrt((n Σ_j w_ij² − (Σ_j w_ij)²) / (n − 1)))

where x̄ and S are the mean and (population) standard deviation of the n grids' counts (or
rates). Gi* is a z-score; its two-sided p-value comes from the normal approximation. The p-values
of all grids of the area are adjusted together by Benjamini–Hochberg (the false discovery rate,
since ~1,300 grids are tested at once), and a grid is classed hot (Gi* > 0) or cold (< 0) at
99, 95 or 90 % confidence when its adjusted p (its q-value) is at most 0.01, 0.05 or 0.10 —
only the levels no looser than the FDR level α (settings HOTSPOT_FDR_ALPHA, 0.05 by default:
classes 99 and 95 %); a grid below them is not significant. The normal approximation is rough
when counts are sparse (under SPARSE_MEAN cases a grid): the result then says so.

**Heat map**: the cases of the period counted in SQL on a raster of cells (HEAT_CELL_M, 100 m by
default, coarsened so the raster has at most HEAT_MAX_SIDE cells a side), smoothed with a
Gaussian kernel (HEAT_BANDWIDTH_M, 300 m), returned as one byte per cell (0–255 of the highest
density), never a case's point.

**Repeat-problem places**: cases of one minor class reported at least K times within R metres
in the last N days (REPEAT_MIN_COUNT 3, REPEAT_RADIUS_M 50, REPEAT_DAYS 90), clustered with
DBSCAN (scikit-learn; eps = R, min_samples = K) on metres: a place is a cluster, its core
reports each having K reports of the class within R.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, FloatField, IntegerField, Q, QuerySet
from django.db.models.functions import Cast, Floor
from django.utils.translation import gettext_lazy as _
from scipy import ndimage, sparse, special

from onegrid.cases.models import Case, CaseClass, MajorClass
from onegrid.cases.states import OPEN_STATES, State
from onegrid.core import clock
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory import locator
from onegrid.territory.geometry import LocalProjection
from onegrid.territory.models import AdminUnit, Grid
from onegrid.territory.selectors import places_in_scope

from . import periods, spatial_weights
from .periods import Period

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TZ = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")

# Not counted: a merged report duplicates a problem already counted; a rejected one is not a
# problem the district handles.
NOT_COUNTED = (State.MERGED, State.REJECTED)
# Confidence levels of the hot/cold classes: (bin, largest adjusted p).
LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
CONFIDENCE = {3: 99, 2: 95, 1: 90}
PER_RESIDENTS = 10_000
# The period a view shows when none is chosen: the last four weeks, today included.
DEFAULT_DAYS = 28
# Under this many cases a grid on average, Gi*'s normal approximation is rough: on spatially
# random Poisson counts it flagged some grid in 6 % of layouts at a mean of 2 and in 17 % at
# 0.5, against 3 % at 12 (tests/insight/test_hotspots_stats.py; docs/architecture.md).
SPARSE_MEAN = 2.0
BASES = ("count", "rate")
# Bounds on what a request may ask for.
MAX_PERIOD_DAYS = 3 * 366
MAX_CLASS_PREFIX = 20
_CLASS_PREFIX = re.compile(r"[A-Za-z0-9]{1,20}")
_ADMIN_CODE = re.compile(r"[0-9]{12}")


def options() -> Mapping[str, Any]:
    """The hotspot settings (config/settings.py ONEGRID["HOTSPOTS"], env ONEGRID_HOTSPOT_*,
    ONEGRID_HEAT_*, ONEGRID_REPEAT_*, ONEGRID_ALERT_*)."""
    return settings.ONEGRID["HOTSPOTS"]


# --- statistics (pure) -----------------------------------------------------------------------


def gi_star(values: np.ndarray, weights: sparse.spmatrix) -> np.ndarray:
    """Getis–Ord Gi* z-scores of `values` under `weights` (n × n, each unit its own neighbour).

    A unit whose neighbourhood is the whole area, or an area whose values are all equal, has
    z = 0 (nothing stands out)."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 2:
        return np.zeros(n)
    w = sparse.csr_matrix(weights, dtype=float)
    mean = float(x.mean())
    s = float(x.std())
    wi = np.asarray(w.sum(axis=1)).ravel()
    s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    lag = w @ x
    spread = np.maximum(n * s1 - wi * wi, 0.0) / (n - 1)
    denominator = s * np.sqrt(spread)
    z = np.zeros(n)
    ok = denominator > 1e-12 * max(1.0, abs(mean))
    z[ok] = (lag[ok] - mean * wi[ok]) / denominator[ok]
    return z


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """Two-sided p-values of z-scores under the standard normal."""
    return special.erfc(np.abs(np.asarray(z, dtype=float)) / math.sqrt(2.0))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values): a unit is a discovery at FDR level α
    when its q ≤ α."""
    p = np.asarray(p, dtype=float)
    n = p.size
    if n == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    q = np.empty(n)
    q[order] = adjusted
    return q


def confidence_bins(z: np.ndarray, q: np.ndarray, alpha: float) -> np.ndarray:
    """+3/+2/+1 hot at 99/95/90 %, −3/−2/−1 cold, 0 not significant: the strictest level of
    LEVELS whose bound the q-value meets, among the levels no looser than `alpha`."""
    z = np.asarray(z, dtype=float)
    q = np.asarray(q, dtype=float)
    bins = np.zeros(z.size, dtype=int)
    for level, bound in sorted(LEVELS, key=lambda item: item[1], reverse=True):
        if bound <= alpha + 1e-12:
            bins[q <= bound] = level
    return bins * np.sign(z).astype(int)


def bin_label(value: int) -> StrOrPromise:
    # The level as a placeholder: a literal "99% c" would read to gettext as a %c directive.
    if value > 0:
        return _("Hot spot, %(level)s%% confidence") % {"level": CONFIDENCE[value]}
    if value < 0:
        return _("Cold spot, %(level)s%% confidence") % {"level": CONFIDENCE[-value]}
    return _("Not significant")


# --- what one page reads once ----------------------------------------------------------------

# Inside one_reading(): what was read once, by (kind, key).
_reading: ContextVar[dict[tuple[str, object], Any] | None] = ContextVar(
    "onegrid_hotspots_reading", default=None
)


@contextmanager
def one_reading() -> Iterator[None]:
    """Within it, the reader's area, the class filter and the cache's version (the newest case,
    the layer version) are each read once: a page or feed showing several figures costs one
    set of queries for them, not one a figure."""
    token = _reading.set({})
    try:
        yield
    finally:
        _reading.reset(token)


def _once(kind: str, key: object, make: Callable[[], T]) -> T:
    """`make()`, made once per (kind, key) inside one_reading(); every time outside it. What
    raises is not kept."""
    held = _reading.get()
    if held is None:
        return make()
    if (kind, key) not in held:
        held[(kind, key)] = make()
    return held[(kind, key)]


# --- the area a reader analyses --------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """The grids (and so the cases) an analysis covers: the reader's territorial scope,
    narrowed by an optional street or community."""

    district_wide: bool
    street_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    grid_ids: frozenset[int] = frozenset()
    street: AdminUnit | None = None
    community: AdminUnit | None = None
    scope_name: str = ""  # the one street or community the scope holds, when it holds one

    def _where(self, *, street: str, community: str, grid: str) -> Q | None:
        """The rows of the area (None: nothing)."""
        if self.district_wide:
            where = Q()
        else:
            where = places_in_scope(self, street=street, community=community, grid=grid)
            if not where:
                return None
        if self.street is not None:
            where &= Q(**{street: self.street.pk})
        if self.community is not None:
            where &= Q(**{community: self.community.pk})
        return where

    def cases(self) -> QuerySet[Case]:
        """The counted cases of the area (every period)."""
        where = self._where(street="street_id", community="community_id", grid="grid_id")
        if where is None:
            return Case.objects.none()
        return Case.objects.filter(where).exclude(state__in=NOT_COUNTED)

    def grids(self) -> QuerySet[Grid]:
        """The live grids of the area."""
        where = self._where(street="street_id", community="community_id", grid="pk")
        if where is None:
            return Grid.objects.none()
        return Grid.objects.filter(where)

    @property
    def key(self) -> str:
        """What the area is, for cache keys."""
        parts = [
            "d" if self.district_wide else "",
            ",".join(map(str, sorted(self.street_ids))),
            ",".join(map(str, sorted(self.community_ids))),
            ",".join(map(str, sorted(self.grid_ids))),
            str(self.street.pk if self.street else ""),
            str(self.community.pk if self.community else ""),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]

    @property
    def label(self) -> str:
        if self.community is not None:
            return self.community.name
        if self.street is not None:
            return self.street.name
        if self.district_wide:
            return str(_("the whole district"))
        return self.scope_name or str(_("your area"))


def may_view(actor: User) -> bool:
    return policies.may_view_hotspots(actor)


def _admin_code(value: str, field_name: str) -> str:
    code = str(value or "").strip()
    if not _ADMIN_CODE.fullmatch(code):
        raise InvalidInput(_("An admin code has exactly 12 digits."), field=field_name)
    return code


def area_for(actor: User, *, street: str = "", community: str = "") -> Area:
    """The area `actor` may analyse, narrowed to one street or community of it. A code that
    names no street or community holding a grid of the reader's scope is refused at its field,
    the same whether it does not exist or lies outside the scope."""
    return _once(
        "area",
        (actor.pk, street, community),
        lambda: _area_for(actor, street=street, community=community),
    )


def _area_for(actor: User, *, street: str, community: str) -> Area:
    if not may_view(actor):
        raise PermissionDenied(_("You may not see hotspots and alerts."))
    scope = policies.scope_for(actor)
    area = Area(
        district_wide=scope.district_wide,
        street_ids=frozenset(scope.street_ids),
        community_ids=frozenset(scope.community_ids),
        grid_ids=frozenset(scope.grid_ids),
    )
    chosen_street = chosen_community = None
    if street:
        code = _admin_code(street, "street")
        chosen_street = AdminUnit.objects.filter(code=code, level=AdminUnit.Level.STREET).first()
        if chosen_street is None or not area.grids().filter(street=chosen_street).exists():
            raise NotFound(_("No street %(code)s in your area.") % {"code": code}, field="street")
    if community:
        code = _admin_code(community, "community")
        chosen_community = AdminUnit.objects.filter(
            code=code, level=AdminUnit.Level.COMMUNITY
        ).first()
        grids = (
            area.grids().filter(community=chosen_community)
            if chosen_community is not None
            else Grid.objects.none()
        )
        if chosen_street is not None:
            grids = grids.filter(street=chosen_street)
        if not grids.exists():
            raise NotFound(
                _("No community %(code)s in your area.") % {"code": code}, field="community"
            )
    units = area.street_ids | area.community_ids
    single = "" if area.district_wide or area.grid_ids or len(units) != 1 else next(iter(units))
    return Area(
        district_wide=area.district_wide,
        street_ids=area.street_ids,
        community_ids=area.community_ids,
        grid_ids=area.grid_ids,
        street=chosen_street,
        community=chosen_community,
        scope_name=(
            AdminUnit.objects.filter(pk=single).values_list("name", flat=True).first() or ""
            if single
            else ""
        ),
    )


# --- inputs ----------------------------------------------------------------------------------


def clean_class_prefix(value: str | None) -> str:
    """A class code or its beginning (A: a major class; A01; A0102), or "" for every class."""
    return _once("class", value, lambda: _clean_class_prefix(value))


def _clean_class_prefix(value: str | None) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if not _CLASS_PREFIX.fullmatch(text):
        raise InvalidInput(
            _("A class is given by its code or the code's beginning: letters and digits only."),
            field="class",
        )
    if not CaseClass.objects.filter(code__startswith=text).exists():
        raise InvalidInput(_("No class code begins with %(code)s.") % {"code": text}, field="class")
    return text


def clean_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """A period of days [start, end), at least one day and at most MAX_PERIOD_DAYS."""
    if end <= start:
        raise InvalidInput(_("The period ends before it starts."), field="end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput(
            _("A period spans at most %(days)s days.") % {"days": MAX_PERIOD_DAYS}, field="start"
        )
    if start.year < 2000 or end.year > 2100:
        raise InvalidInput(_("The period must lie between 2000 and 2100."), field="start")
    return start, end


def bounded(value: float, *, low: float, high: float, field_name: str) -> float:
    """`value` when it lies in [low, high], else InvalidInput naming the field."""
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput(
            _("%(field)s must lie between %(low)s and %(high)s.")
            % {"field": field_name, "low": _number(low), "high": _number(high)},
            field=field_name,
        )
    return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_NUMBER = re.compile(r"[+-]?[0-9]{1,9}(\.[0-9]{1,9})?", re.ASCII)


def parse_number(
    raw: object, field_name: str, *, low: float, high: float, integer: bool = False
) -> float | None:
    """A query parameter as a number in [low, high] (None when empty), written with ASCII
    digits (a full-width digit, a space inside, an exponent or a huge number is refused at its
    field)."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if not _NUMBER.fullmatch(text) or (integer and "." in text):
        raise InvalidInput(
            (
                _("%(field)s must be a whole number.")
                if integer
                else _("%(field)s must be a number.")
            )
            % {"field": field_name},
            field=field_name,
        )
    return bounded(float(text), low=low, high=high, field_name=field_name)


@dataclass(frozen=True)
class Setting:
    """A method setting a reader may change: its query parameter, its bounds and the
    options() key of its default. One declaration serves the service (`pick`) and the API
    and page that read it from a query (`parse`), so the bounds are written once."""

    name: str
    low: float
    high: float
    default_key: str
    integer: bool = False

    def parse(self, query: Mapping[str, object]) -> float | None:
        """The setting from a query (None when not given), refused at its field when bad."""
        return parse_number(
            query.get(self.name), self.name, low=self.low, high=self.high, integer=self.integer
        )

    def parse_whole(self, query: Mapping[str, object]) -> int | None:
        found = self.parse(query)
        return None if found is None else int(found)

    def pick(self, value: float | None, defaults: Mapping[str, Any]) -> float:
        """`value`, or the configured default when None, within the bounds."""
        chosen = float(defaults[self.default_key] if value is None else value)
        return bounded(chosen, low=self.low, high=self.high, field_name=self.name)


BAND_M = Setting("band_m", 50, 20_000, "BAND_M")
ALPHA = Setting("alpha", 0.001, 0.2, "FDR_ALPHA")
BANDWIDTH_M = Setting("bandwidth_m", 50, 5_000, "HEAT_BANDWIDTH_M")
REPEAT_DAYS = Setting("days", 1, 730, "REPEAT_DAYS", integer=True)
REPEAT_RADIUS_M = Setting("radius_m", 5, 2_000, "REPEAT_RADIUS_M")
REPEAT_MIN_COUNT = Setting("min_count", 2, 1_000, "REPEAT_MIN_COUNT", integer=True)


class PlaceFilters(TypedDict):
    class_prefix: str
    street: str
    community: str


@dataclass(frozen=True)
class Filters:
    """The filters every hotspot view shares: a period, a class, a street or community."""

    period: Period
    class_prefix: str = ""
    street: str = ""
    community: str = ""

    @property
    def start(self) -> dt.date:
        return self.period.first

    @property
    def end(self) -> dt.date:
        """The day after the period (excluded)."""
        return self.period.last + dt.timedelta(days=1)

    def place(self) -> PlaceFilters:
        """The class, street and community, as the selectors' keyword arguments."""
        return {
            "class_prefix": self.class_prefix,
            "street": self.street,
            "community": self.community,
        }

    def query(self) -> dict[str, str]:
        """The query parameters that choose these filters again (for links and downloads)."""
        found = dict(self.period.query())
        for name, value in (
            ("class", self.class_prefix),
            ("street", self.street),
            ("community", self.community),
        ):
            if value:
                found[name] = value
        return found


def default_period() -> Period:
    """The last DEFAULT_DAYS days, today included."""
    last = periods.today()
    return periods.custom(last - dt.timedelta(days=DEFAULT_DAYS - 1), last)


def parse_filters(params: Mapping[str, object]) -> Filters:
    """The shared filters from query parameters (the API's and the page's): a period as
    insight.periods reads it (default: the last 28 days), `class`, `street`, `community`.
    Text is only checked for its form here; the area and class are checked when used."""
    text = {k: (None if params.get(k) is None else str(params.get(k))) for k in periods.PARAMS}
    text["end"] = None if params.get("end") is None else str(params.get("end"))
    period = periods.parse_period(text, default=default_period())
    return Filters(
        period=period,
        class_prefix=_text(params.get("class"), "class", MAX_CLASS_PREFIX),
        street=_text(params.get("street"), "street", 12),
        community=_text(params.get("community"), "community", 12),
    )


def _text(raw: object, field_name: str, longest: int) -> str:
    text = "" if raw is None else str(raw).strip()
    if len(text) > longest or any(not ch.isprintable() for ch in text):
        raise InvalidInput(_("%(field)s is not valid.") % {"field": field_name}, field=field_name)
    return text


def moment(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time(), tzinfo=TZ)


def period_cases(
    area: Area,
    since: dt.datetime | None,
    until: dt.datetime | None,
    class_prefix: str = "",
) -> QuerySet[Case]:
    """The counted cases of the area reported in [since, until) (an open end where None), of
    the classes whose code begins with `class_prefix`."""
    cases = area.cases()
    if since is not None:
        cases = cases.filter(reported_at__gte=since)
    if until is not None:
        cases = cases.filter(reported_at__lt=until)
    if class_prefix:
        cases = cases.filter(case_class__code__startswith=class_prefix)
    return cases


# --- the grid layer, in memory ---------------------------------------------------------------


class _Layer:
    """The current grid layer's ids and polygons (from the locator's snapshot) and its weight
    matrices, made once per layer version and process."""

    def __init__(self, token: object, ids: np.ndarray, polys: np.ndarray) -> None:
        self.token = token
        self.ids = ids
        self.polys = polys
        self.position = {int(g): i for i, g in enumerate(ids.tolist())}
        self._weights: dict[tuple[str, float], sparse.csr_matrix] = {}
        self._lock = threading.Lock()

    def weights(self, kind: str, band_m: float) -> sparse.csr_matrix:
        key = (kind, band_m if kind == spatial_weights.DISTANCE_BAND else 0.0)
        with self._lock:
            found = self._weights.get(key)
        if found is None:
            found = spatial_weights.grid_weights(self.polys, kind=kind, band_m=band_m)
            with self._lock:
                self._weights[key] = found
        return found


_layer_lock = threading.Lock()
_layer_cache: list[_Layer] = []


def current_layer() -> _Layer:
    snap = locator.locator.snapshot()
    with _layer_lock:
        if _layer_cache and _layer_cache[0].token == snap.token:
            return _layer_cache[0]
    ids = np.array([g.grid_id for g in snap.located], dtype=np.int64)
    layer = _Layer(snap.token, ids, np.asarray(snap.polys, dtype=object))
    with _layer_lock:
        _layer_cache[:] = [layer]
    return layer


def _grid_counts(
    area: Area, start: dt.datetime, end: dt.datetime, class_prefix: str, layer: _Layer
) -> Counter[int]:
    """Counted cases of the period per live grid id. Cases filed in a grid the layer has since
    retired are placed by their point in the current layer."""
    cases = period_cases(area, start, end, class_prefix)
    counts: Counter[int] = Counter()
    retired: list[int] = []
    for grid_id, n in cases.values_list("grid_id").annotate(n=Count("pk")).order_by():
        if grid_id in layer.position:
            counts[grid_id] += n
        else:
            retired.append(grid_id)
    if retired:
        points = np.array(
            list(cases.filter(grid_id__in=retired).values_list("lon", "lat")), dtype=float
        ).reshape(-1, 2)
        found, located = locator.locator.locate_many_indices(points[:, 0], points[:, 1])
        for i in found[found >= 0].tolist():
            counts[located[i].grid_id] += 1
    return counts


# --- Gi* hotspots ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GridHotspot:
    code: str
    name: str
    community: str
    street: str
    count: int
    population: int | None
    rate: float | None  # per 10,000 residents, when the grid's population is known
    z: float
    p: float
    q: float  # Benjamini–Hochberg adjusted p
    bin: int  # +3..−3 (hot 99/95/90 %, cold), 0 not significant

    @property
    def label(self) -> str:
        return str(bin_label(self.bin))

    @property
    def confidence(self) -> int | None:
        return CONFIDENCE.get(abs(self.bin))

    @property
    def kind(self) -> str:
        return "hot" if self.bin > 0 else "cold" if self.bin < 0 else "none"


@dataclass(frozen=True)
class HotspotResult:
    start: dt.date
    end: dt.date  # exclusive
    class_prefix: str
    area_label: str
    basis: str  # "count" or "rate"
    weights: str  # "queen" or "band"
    band_m: float | None
    alpha: float
    total: int  # counted cases of the period in the area
    grids: list[GridHotspot]  # every grid of the area, highest z first
    isolated: int  # grids with no neighbour in the area
    sparse: bool  # under SPARSE_MEAN cases a grid: the normal approximation is rough
    computed_at: dt.datetime

    @property
    def hot(self) -> list[GridHotspot]:
        return [g for g in self.grids if g.bin > 0]

    @property
    def cold(self) -> list[GridHotspot]:
        return [g for g in self.grids if g.bin < 0]

    @property
    def significant(self) -> list[GridHotspot]:
        return [g for g in self.grids if g.bin != 0]


def _cache_version() -> tuple[object, object]:
    return _once("version", None, _read_cache_version)


def _read_cache_version() -> tuple[object, object]:
    newest = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    return str(newest), locator.locator.snapshot().token


def cached(kind: str, key: Sequence[object], compute: Callable[[], T]) -> T:
    """`compute()`, kept HOTSPOT_CACHE_SECONDS under a key that also holds the newest case and
    the layer version (so a new report or a new layer is seen at once; one_reading reads them
    once for several figures)."""
    seconds = options()["CACHE_SECONDS"]
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(repr((tuple(key), *_cache_version())).encode()).hexdigest()[:32]
    name = f"onegrid:hotspots:{kind}:{digest}"
    found = cache.get(name)
    if found is None:
        found = compute()
        cache.set(name, found, seconds)
    return found


def hotspot_grids(
    actor: User,
    *,
    start: dt.date,
    end: dt.date,
    class_prefix: str = "",
    street: str = "",
    community: str = "",
    basis: str = "count",
    weights: str | None = None,
    band_m: float | None = None,
    alpha: float | None = None,
) -> HotspotResult:
    """Gi* hotspots of the period [start, end) over the grids of the reader's area."""
    area = area_for(actor, street=street, community=community)
    start, end = clean_period(start, end)
    class_prefix = clean_class_prefix(class_prefix)
    defaults = options()
    if basis not in BASES:
        raise InvalidInput(_("The basis is “count” or “rate”."), field="basis")
    kind = weights or defaults["WEIGHTS"]
    if kind not in spatial_weights.KINDS:
        raise InvalidInput(_("Neighbours are “queen” or “band”."), field="weights")
    band = BAND_M.pick(band_m, defaults)
    level = ALPHA.pick(alpha, defaults)
    key = (area.key, start, end, class_prefix, basis, kind, band, level)
    return cached(
        "gi",
        key,
        lambda: _compute_hotspots(area, start, end, class_prefix, basis, kind, band, level),
    )


def _compute_hotspots(
    area: Area,
    start: dt.date,
    end: dt.date,
    class_prefix: str,
    basis: str,
    kind: str,
    band_m: float,
    alpha: float,
) -> HotspotResult:
    layer = current_layer()
    rows = list(
        area.grids()
        .order_by("code")
        .values_list("pk", "code", "name", "community__name", "street__name", "population")
    )
    rows = [r for r in rows if r[0] in layer.position]
    counts = _grid_counts(area, moment(start), moment(end), class_prefix, layer)
    x = np.array([counts.get(r[0], 0) for r in rows], dtype=float)
    population = [r[5] for r in rows]
    rates: list[float | None] = [
        (count * PER_RESIDENTS / pop) if pop else None
        for count, pop in zip(x.tolist(), population, strict=True)
    ]
    if basis == "rate":
        missing = sum(1 for pop in population if not pop)
        if missing:
            raise InvalidInput(
                _(
                    "Rates need every grid's population: %(n)s grids of this area have none. "
                    "Use counts instead."
                )
                % {"n": missing},
                field="basis",
            )
        values = np.array(rates, dtype=float)
    else:
        values = x
    positions = np.array([layer.position[r[0]] for r in rows], dtype=np.int64)
    if positions.size:
        whole = layer.weights(kind, band_m)
        local = whole[positions][:, positions]
        isolated = int(np.count_nonzero(np.asarray(local.sum(axis=1)).ravel() == 0))
        z = gi_star(values, spatial_weights.with_self(local))
    else:
        isolated = 0
        z = np.zeros(0)
    p = two_sided_p(z)
    q = benjamini_hochberg(p)
    bins = confidence_bins(z, q, alpha)
    grids = [
        GridHotspot(
            code=r[1],
            name=r[2],
            community=r[3],
            street=r[4],
            count=int(x[i]),
            population=r[5],
            rate=_rounded(rates[i]),
            z=round(float(z[i]), 4),
            p=float(p[i]),
            q=float(q[i]),
            bin=int(bins[i]),
        )
        for i, r in enumerate(rows)
    ]
    grids.sort(key=lambda g: (-g.z, g.code))
    total = int(x.sum())
    return HotspotResult(
        start=start,
        end=end,
        class_prefix=class_prefix,
        area_label=area.label,
        basis=basis,
        weights=kind,
        band_m=band_m if kind == spatial_weights.DISTANCE_BAND else None,
        alpha=alpha,
        total=total,
        grids=grids,
        isolated=isolated,
        sparse=total < SPARSE_MEAN * len(rows),
        computed_at=clock.now(),
    )


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 3)


# --- heat map --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heat:
    """A smoothed density raster over the area's bounding box, one byte a cell.

    `levels` is base64 of rows × cols bytes, row by row from the north-west corner; a cell's
    level is its density ÷ the highest density × 255 (0: nothing near). The raster's cells are
    equal steps of longitude and latitude (`cell_lon`, `cell_lat` degrees)."""

    west: float
    south: float
    east: float
    north: float
    cols: int
    rows: int
    cell_m: float
    cell_lon: float
    cell_lat: float
    bandwidth_m: float
    levels: str
    peak_per_km2: float  # the density level 255 stands for, cases per km²
    total: int
    start: dt.date
    end: dt.date
    class_prefix: str
    computed_at: dt.datetime = field(default_factory=clock.now)


def heat(
    actor: User,
    *,
    start: dt.date,
    end: dt.date,
    class_prefix: str = "",
    street: str = "",
    community: str = "",
    bandwidth_m: float | None = None,
) -> Heat:
    area = area_for(actor, street=street, community=community)
    start, end = clean_period(start, end)
    class_prefix = clean_class_prefix(class_prefix)
    defaults = options()
    bandwidth = BANDWIDTH_M.pick(bandwidth_m, defaults)
    key = (area.key, start, end, class_prefix, bandwidth)
    return cached(
        "heat", key, lambda: _compute_heat(area, start, end, class_prefix, bandwidth, defaults)
    )


def _compute_heat(
    area: Area,
    start: dt.date,
    end: dt.date,
    class_prefix: str,
    bandwidth_m: float,
    defaults: Mapping[str, Any],
) -> Heat:
    layer = current_layer()
    ids = [g for g in area.grids().values_list("pk", flat=True) if g in layer.position]
    if ids:
        polys = layer.polys[[layer.position[g] for g in ids]]
        west, south, east, north = (float(v) for v in shapely.total_bounds(polys))
    else:
        west = south = east = north = 0.0
    projection = LocalProjection((west + east) / 2, (south + north) / 2)
    lon0, lat0 = projection.lon0, projection.lat0
    width_m = float(projection.forward(east, lat0)[0] - projection.forward(west, lat0)[0])
    height_m = float(projection.forward(lon0, north)[1] - projection.forward(lon0, south)[1])
    side = max(int(defaults["HEAT_MAX_SIDE"]), 8)
    cell_m = max(float(defaults["HEAT_CELL_M"]), width_m / side, height_m / side, 1.0)
    while True:
        # Degrees per cell at the centre: equal steps of longitude and latitude.
        cell_lon = float(projection.inverse(cell_m, 0.0)[0]) - lon0
        cell_lat = float(projection.inverse(0.0, cell_m)[1]) - lat0
        cols = max(1, math.ceil((east - west) / cell_lon)) if ids else 0
        rows = max(1, math.ceil((north - south) / cell_lat)) if ids else 0
        if max(rows, cols) <= side:
            break
        cell_m *= 1.01  # the degrees at the centre are not the edges' metres: a little wider
    raster = np.zeros((rows, cols), dtype=float)
    total = 0
    if ids:
        cases = period_cases(area, moment(start), moment(end), class_prefix)
        cells = (
            cases.annotate(
                cx=Cast(Floor((F("lon") - west) / cell_lon), IntegerField()),
                cy=Cast(Floor((F("lat") - south) / cell_lat), IntegerField()),
            )
            .values_list("cx", "cy")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for cx, cy, n in cells:
            total += n
            if 0 <= cx < cols and 0 <= cy < rows:
                raster[rows - 1 - cy, cx] += n
    if total:
        sigma = bandwidth_m / cell_m
        smooth = ndimage.gaussian_filter(raster, sigma=sigma, mode="constant", truncate=3.0)
        peak = float(smooth.max())
    else:
        smooth = raster
        peak = 0.0
    if peak > 0:
        levels = np.clip(np.rint(smooth / peak * 255.0), 0, 255).astype(np.uint8)
    else:
        levels = np.zeros((rows, cols), dtype=np.uint8)
    cell_km2 = (cell_m / 1000.0) ** 2
    return Heat(
        west=west,
        south=south,
        east=west + cols * cell_lon,
        north=south + rows * cell_lat,
        cols=cols,
        rows=rows,
        cell_m=round(cell_m, 1),
        cell_lon=cell_lon,
        cell_lat=cell_lat,
        bandwidth_m=bandwidth_m,
        levels=base64.b64encode(levels.tobytes()).decode("ascii"),
        peak_per_km2=round(peak / cell_km2, 2) if peak else 0.0,
        total=total,
        start=start,
        end=end,
        class_prefix=class_prefix,
    )


# --- repeat-problem places -------------------------------------------------------------------

MAX_NUMBERS = 50  # case numbers listed per place (the newest)
# Metres between classes in the one clustering of all classes (far beyond any radius).
CLASS_APART = 1e7


@dataclass(frozen=True)
class RepeatPlace:
    class_code: str
    class_name: str
    count: int
    open: int  # of them still open
    lon: float  # the place's centre (mean of its reports), WGS-84
    lat: float
    radius_m: float  # farthest report from the centre
    first: dt.datetime
    last: dt.datetime
    grid_code: str  # the grid most of its reports lie in
    grid_name: str
    street: str
    numbers: list[str]  # case numbers, newest first (at most MAX_NUMBERS)


@dataclass(frozen=True)
class RepeatResult:
    places: list[RepeatPlace]  # most reports first
    days: int
    radius_m: float
    min_count: int
    since: dt.datetime
    until: dt.datetime
    class_prefix: str
    area_label: str
    computed_at: dt.datetime


def repeat_places(
    actor: User,
    *,
    class_prefix: str = "",
    street: str = "",
    community: str = "",
    days: int | None = None,
    radius_m: float | None = None,
    min_count: int | None = None,
) -> RepeatResult:
    """Places where one minor class was reported at least `min_count` times within
    `radius_m` metres in the last `days` days (defaults: REPEAT_*)."""
    area = area_for(actor, street=street, community=community)
    class_prefix = clean_class_prefix(class_prefix)
    defaults = options()
    n_days = int(REPEAT_DAYS.pick(days, defaults))
    radius = REPEAT_RADIUS_M.pick(radius_m, defaults)
    least = int(REPEAT_MIN_COUNT.pick(min_count, defaults))
    key = (area.key, class_prefix, n_days, radius, least)
    return cached(
        "repeat", key, lambda: _compute_repeats(area, class_prefix, n_days, radius, least)
    )


def _compute_repeats(
    area: Area, class_prefix: str, days: int, radius_m: float, min_count: int
) -> RepeatResult:
    from sklearn.cluster import DBSCAN

    until = clock.now()
    since = until - dt.timedelta(days=days)
    cases = period_cases(area, since, until, class_prefix)
    rows = list(
        cases.values_list(
            "number", "case_class_id", "lon", "lat", "reported_at", "grid_id", "state"
        ).order_by()
    )
    found: list[tuple[int, list[tuple]]] = []
    if len(rows) >= min_count:
        # One DBSCAN for every class at once: each class is moved CLASS_APART metres east of
        # the one before, so reports of two classes are never neighbours (one fit instead of
        # one per class: sklearn's fixed cost per fit is ~25 ms).
        lon = np.array([m[2] for m in rows], dtype=float)
        lat = np.array([m[3] for m in rows], dtype=float)
        projection = LocalProjection(float(lon.mean()), float(lat.mean()))
        x, y = projection.forward(lon, lat)
        _ids, kind = np.unique(np.array([m[1] for m in rows]), return_inverse=True)
        x = x + kind * CLASS_APART
        labels = DBSCAN(eps=radius_m, min_samples=min_count).fit_predict(np.column_stack([x, y]))
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        for part in np.split(order, bounds):
            if part.size < min_count or labels[part[0]] == -1:
                continue
            cluster = [rows[i] for i in part.tolist()]
            found.append((cluster[0][1], cluster))
    labels_of = {
        pk: (code, name)
        for pk, code, name in CaseClass.objects.filter(pk__in={c for c, _m in found}).values_list(
            "pk", "code", "name"
        )
    }
    grid_ids = {m[5] for _c, cluster in found for m in cluster}
    grids = {
        g[0]: g[1:]
        for g in Grid.all_objects.filter(pk__in=grid_ids).values_list(
            "pk", "code", "name", "street__name"
        )
    }
    places = []
    for class_id, cluster in found:
        lon = np.array([m[2] for m in cluster], dtype=float)
        lat = np.array([m[3] for m in cluster], dtype=float)
        centre_lon, centre_lat = float(lon.mean()), float(lat.mean())
        projection = LocalProjection(centre_lon, centre_lat)
        x, y = projection.forward(lon, lat)
        main_grid = Counter(m[5] for m in cluster).most_common(1)[0][0]
        grid = grids.get(main_grid, ("", "", ""))
        times = [m[4] for m in cluster]
        places.append(
            RepeatPlace(
                class_code=labels_of.get(class_id, ("", ""))[0],
                class_name=labels_of.get(class_id, ("", ""))[1],
                count=len(cluster),
                open=sum(1 for m in cluster if m[6] in OPEN_STATES),
                lon=round(centre_lon, 6),
                lat=round(centre_lat, 6),
                radius_m=round(float(np.hypot(x, y).max()), 1),
                first=min(times),
                last=max(times),
                grid_code=grid[0],
                grid_name=grid[1],
                street=grid[2],
                numbers=[m[0] for m in sorted(cluster, key=lambda m: m[4], reverse=True)][
                    :MAX_NUMBERS
                ],
            )
        )
    places.sort(key=lambda p: (-p.count, -p.last.timestamp(), p.class_code))
    return RepeatResult(
        places=places,
        days=days,
        radius_m=radius_m,
        min_count=min_count,
        since=since,
        until=until,
        class_prefix=class_prefix,
        area_label=area.label,
        computed_at=until,
    )


def class_choices() -> list[tuple[str, str]]:
    """The class filter's choices: each major class, then its active minor classes."""
    choices: list[tuple[str, str]] = []
    minors: dict[int, list[tuple[str, str]]] = {}
    for code, name, major_id in CaseClass.objects.filter(active=True).values_list(
        "code", "name", "major_id"
    ):
        minors.setdefault(major_id, []).append((code, f"{code} {name}"))
    for pk, code, name in MajorClass.objects.values_list("pk", "code", "name"):
        choices.append((code, f"{code} {name}"))
        choices.extend(minors.get(pk, []))
    return choices


_GRID_CODE = re.compile(r"[0-9]{15}")


def cases_behind(
    actor: User,
    *,
    grid: str = "",
    street: str = "",
    community: str = "",
    class_prefix: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Case]:
    """The counted cases of the reader's area behind a figure: one grid's (filed in it), a
    street's or community's, of a class, reported in [since, until); newest first. A grid
    outside the area is refused at its field like one that does not exist."""
    area = area_for(actor, street=street, community=community)
    cases = period_cases(area, since, until, clean_class_prefix(class_prefix))
    code = str(grid or "").strip()
    if code:
        if not _GRID_CODE.fullmatch(code):
            raise InvalidInput(_("A grid code has exactly 15 digits."), field="grid")
        found = area.grids().filter(code=code).values_list("pk", flat=True).first()
        if found is None:
            raise NotFound(_("No grid %(code)s in your area.") % {"code": code}, field="grid")
        cases = cases.filter(grid_id=found)
    return cases.order_by("-reported_at", "-pk")


def cases_near(
    actor: User,
    *,
    lon: float,
    lat: float,
    radius_m: float,
    class_prefix: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Case]:
    """The counted cases of the reader's area within `radius_m` of a point (a repeat place's
    cases), newest first: the bounding box first (indexed columns), then the circle (a
    flat-earth distance, exact enough within a few kilometres), both in SQL."""
    area = area_for(actor)
    radius = bounded(float(radius_m), low=1, high=5_000, field_name="radius_m")
    bounded(float(lon), low=-180, high=180, field_name="lon")
    bounded(float(lat), low=-85, high=85, field_name="lat")
    class_prefix = clean_class_prefix(class_prefix)
    dlat = radius / 111_320.0
    dlon = radius / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    cases = period_cases(area, since, until, class_prefix).filter(
        lon__gte=lon - dlon, lon__lte=lon + dlon, lat__gte=lat - dlat, lat__lte=lat + dlat
    )
    # Squared flat-earth distance, to drop the box's corners in SQL.
    k = math.cos(math.radians(lat)) ** 2
    return (
        cases.annotate(
            _d2=Cast(
                (F("lon") - lon) * (F("lon") - lon) * k + (F("lat") - lat) * (F("lat") - lat),
                FloatField(),
            )
        )
        .filter(_d2__lte=(radius / 111_320.0) ** 2)
        .order_by("-reported_at", "-pk")
    )
