"""The participation page (/console/participation/): reports, claims and hours by Party members,
volunteers and units, 双报到 coverage and whistle response, per street, community and grid,
for a period (insight.participation).

Thin: the page parses the place (`scope=street:120113001000`, none: the viewer's broadest) and
the period as the measures page does (its picker), calls the selector — which refuses a place
out of reach (403) and withholds small cells — and shapes the table. Each row below the place
links to its own table (a street to its communities, a community to its grids). The table is
also a download (`?format=csv|xlsx`, `table=participation` or `table=whistles`) of exactly the
rows shown, through web.downloads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.insight import participation as measures
from onegrid.insight.measures import Scope
from onegrid.org.requests import SignedInRequest

from .. import access, downloads
from .measures import picker, read_filters, scope_param, table_links

if TYPE_CHECKING:
    from django.http.response import HttpResponseBase


def _scope(request: SignedInRequest, errors: dict[str, str]) -> Scope:
    raw = request.GET.get("scope", "").strip()
    kind, _sep, code = raw.partition(":")
    try:
        return measures.resolve_scope(
            request.user, kind=kind or None, code=code or request.GET.get("code")
        )
    except InvalidInput as error:
        errors[error.field or "scope"] = str(error.message)
        return measures.resolve_scope(request.user)


def _url(scope: Scope, period_query: dict[str, str]) -> str:
    query = {"scope": scope_param(scope), **period_query}
    return reverse("web:participation") + "?" + urlencode(query)


def columns() -> list[tuple[str, str]]:
    """The table's columns as (key, label): the place, then each figure under its group."""
    cols = [("code", _("Code")), ("name", _("Place"))]
    for f in measures.FIGURES:
        cols.append((f.key, f"{measures.GROUPS[f.group]}: {f.label}"))
    return cols


def rows_of(table: measures.Participation) -> list[dict[str, object]]:
    """The rows as shown (withheld cells as *), for the page and the downloads alike."""
    return [
        {"code": row.code, "name": row.name, **{k: c.shown for k, c in row.cells.items()}}
        for row in table.rows
    ]


def _whistle_columns() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label, _formula in measures.WHISTLE_COLUMNS]


def whistle_rows(table: measures.Participation) -> list[dict[str, object]]:
    """The whistle rows as shown: rates as text, — where nothing was due or rated."""
    return [
        {k: ("—" if v is None else str(v)) for k, v in row.items()} for row in table.whistles or []
    ]


@access.page("participation")
@require_GET
def participation_page(request: SignedInRequest) -> HttpResponseBase:
    """The participation table of one place and period."""
    scopes = measures.visible_scopes(request.user)
    if not scopes:
        return access.forbidden(request)
    filters = read_filters(request, with_scope=False)
    try:
        scope = _scope(request, filters.errors)
        table = measures.participation(request.user, period=filters.period, scope=scope)
    except PermissionDenied:
        return access.forbidden(request)
    return downloads.download_or_page(
        request,
        page=lambda: _page(request, filters, table, scopes),
        download=lambda fmt: _download(request, fmt, table),
    )


def _page(
    request: SignedInRequest, filters: Any, table: measures.Participation, scopes: list[Scope]
):
    period_query = filters.period.query()
    scopes = list(scopes)
    if all(scope_param(s) != scope_param(table.scope) for s in scopes):
        scopes.insert(0, table.scope)
    shown = rows_of(table)
    rows = []
    for row, cells in zip(table.rows, shown, strict=True):
        link = ""
        if not row.total and row.kind != "grid":  # a grid has no parts to drill into
            link = _url(Scope(row.kind, row.code, row.name, row.pk), period_query)
        rows.append(
            {
                "row": row,
                "url": link,
                "cells": [
                    {"key": f.key, "text": cells[f.key], "withheld": row.cells[f.key].withheld}
                    for f in measures.FIGURES
                ],
            }
        )
    groups = []
    for key, label in measures.GROUPS.items():
        figures = [f for f in measures.FIGURES if f.group == key]
        groups.append({"key": key, "label": label, "figures": figures, "span": len(figures)})
    whistle_columns = _whistle_columns()
    context = {
        "active_page": "measures",
        "period": filters.period,
        "scope": table.scope,
        "scope_value": scope_param(table.scope),
        "scopes": [{"value": scope_param(s), "label": str(s)} for s in scopes],
        "picker": picker(filters.period),
        "errors": filters.errors,
        "table": table,
        "groups": groups,
        "rows": rows,
        "any_withheld": any(c.withheld for r in table.rows for c in r.cells.values()),
        "small_cell_rule": measures.SMALL_CELL_RULE,
        "whistle_columns": whistle_columns,
        "whistle_rows": [[r[k] for k, _label in whistle_columns] for r in whistle_rows(table)],
        "whistle_formulas": [
            (label, formula) for _k, label, formula in measures.WHISTLE_COLUMNS if formula
        ],
        "downloads": table_links(request, "participation"),
        "whistle_downloads": table_links(request, "whistles"),
        "back": reverse("web:measures") + "?" + urlencode(period_query),
        "as_of": timezone.localtime(table.as_of),
    }
    return render(
        request,
        "web/measures/participation.html",
        context,
        status=400 if filters.errors else 200,
    )


def _download(
    request: SignedInRequest, fmt: str, table: measures.Participation
) -> HttpResponseBase:
    which = request.GET.get("table", "participation")
    stamp = f"{table.scope.name or scope_param(table.scope)}-{table.period.key}"
    if which == "participation":
        cols, rows = columns(), rows_of(table)
        name = _("participation")
    elif which == "whistles" and table.whistles is not None:
        cols, rows = _whistle_columns(), whistle_rows(table)
        name = _("whistles")
    else:
        refusal = downloads.DownloadRefused(
            _("table: there is no such list on this page."), field="table"
        )
        return downloads.refusal_response(request, refusal)
    return downloads.table_download(
        request, fmt=fmt, filename=f"{name}-{stamp}", columns=cols, rows=rows
    )


routes = [
    path("console/participation/", participation_page, name="participation"),
]
