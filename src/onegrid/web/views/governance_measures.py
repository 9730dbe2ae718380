"""The page of the measures of 自治 and 法治 (/console/governance/): mediation, screening and
risks, resident deliberation, per street, community and grid, for a period
(insight.governance).

Thin: the page parses the place (`scope=street:120113001000`, none: the viewer's broadest) and
the period as the measures page does (its picker), calls the selector — which refuses a place
where the viewer reads nothing (403) and gives only the sections they read there — and shapes
the tables. Each row below the place links to its own tables (a street to its communities, a
community to its grids). Every table is also a download (`?format=csv|xlsx&table=<key>`, a key
of insight.governance.GROUPS or `months`) of exactly the rows shown, through web.downloads.
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
from onegrid.insight import governance as measures
from onegrid.insight.measures import Scope
from onegrid.insight.rule_of_law import MONTH_COLUMNS, RECURRENCE_DAYS
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
    return reverse("web:governance") + "?" + urlencode(query)


def _shown(cell: Any, rate: bool) -> str:
    text = cell.shown
    return f"{text}%" if rate and cell.value is not None else text


def columns(table: measures.Governance, group: str) -> list[tuple[str, str]]:
    """A table's columns as (key, label): the place, then each figure."""
    cols = [("code", _("Code")), ("name", _("Place"))]
    cols += [(f.key, str(f.label)) for f in table.figures(group)]
    return cols


def rows_of(table: measures.Governance, group: str) -> list[dict[str, object]]:
    """A table's rows as shown, for the page and the downloads alike."""
    figures = table.figures(group)
    return [
        {
            "code": row.code,
            "name": row.name,
            **{f.key: _shown(row.cells[f.key], f.is_rate) for f in figures},
        }
        for row in table.rows
    ]


def month_rows(table: measures.Governance) -> list[dict[str, object]]:
    return [
        {
            k: ("—" if v is None else f"{v}%" if k == "coverage" else str(v))
            for k, v in m.as_dict().items()
        }
        for m in table.months or []
    ]


def _month_columns() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label, _formula in MONTH_COLUMNS]


def formula_columns() -> list[tuple[str, str]]:
    return [
        ("table", _("Table")),
        ("key", _("Key")),
        ("figure", _("Figure")),
        ("formula", _("Formula")),
    ]


def formula_rows(table: measures.Governance) -> list[dict[str, object]]:
    """Every figure of the tables the reader sees, with its formula (the `formulas` download)."""
    rows: list[dict[str, object]] = [
        {
            "table": str(measures.GROUPS[group][1]),
            "key": f.key,
            "figure": str(f.label),
            "formula": str(f.formula),
        }
        for group in table.groups
        for f in table.figures(group)
    ]
    if table.months is not None:
        rows += [
            {
                "table": _("Screening coverage by month"),
                "key": key,
                "figure": str(label),
                "formula": str(formula),
            }
            for key, label, formula in MONTH_COLUMNS
            if formula
        ]
    return rows


@access.page("governance")
@require_GET
def governance_page(request: SignedInRequest) -> HttpResponseBase:
    """The governance tables of one place and period."""
    scopes = measures.visible_scopes(request.user)
    if not scopes:
        return access.forbidden(request)
    filters = read_filters(request, with_scope=False)
    try:
        scope = _scope(request, filters.errors)
        table = measures.governance(request.user, period=filters.period, scope=scope)
    except PermissionDenied:
        return access.forbidden(request)
    return downloads.download_or_page(
        request,
        page=lambda: _page(request, filters, table, scopes),
        download=lambda fmt: _download(request, fmt, table),
    )


def _page(request: SignedInRequest, filters: Any, table: measures.Governance, scopes: list[Scope]):
    period_query = filters.period.query()
    scopes = list(scopes)
    if all(scope_param(s) != scope_param(table.scope) for s in scopes):
        scopes.insert(0, table.scope)
    links = {}
    for row in table.rows:
        if not row.total and row.kind != "grid":  # a grid has no parts to drill into
            links[row.code] = _url(Scope(row.kind, row.code, row.name, row.pk), period_query)
    tables = []
    for group in table.groups:
        figures = table.figures(group)
        shown = rows_of(table, group)
        tables.append(
            {
                "key": group,
                "label": measures.GROUPS[group][1],
                "figures": figures,
                "rows": [
                    {
                        "row": row,
                        "url": links.get(row.code, ""),
                        "cells": [
                            {
                                "key": f.key,
                                "text": cells[f.key],
                                "note": row.cells[f.key].note,
                            }
                            for f in figures
                        ],
                    }
                    for row, cells in zip(table.rows, shown, strict=True)
                ],
                "downloads": table_links(request, group),
            }
        )
    month_columns = _month_columns()
    notes = sorted(
        {c.note for row in table.rows for c in row.cells.values() if c.note and c.value is None}
    )
    context = {
        "active_page": "governance",
        "period": filters.period,
        "scope": table.scope,
        "scope_value": scope_param(table.scope),
        "scopes": [{"value": scope_param(s), "label": str(s)} for s in scopes],
        "picker": picker(filters.period),
        "errors": filters.errors,
        "table": table,
        "tables": tables,
        "notes": notes,
        "recurrence_days": RECURRENCE_DAYS,
        "month_columns": month_columns,
        "month_rows": [[r[k] for k, _label in month_columns] for r in month_rows(table)],
        "month_formulas": [(label, formula) for _k, label, formula in MONTH_COLUMNS if formula],
        "month_downloads": table_links(request, "months"),
        "formula_downloads": table_links(request, "formulas"),
        "back": reverse("web:measures") + "?" + urlencode(period_query),
        "as_of": timezone.localtime(table.as_of),
    }
    return render(
        request,
        "web/measures/governance.html",
        context,
        status=400 if filters.errors else 200,
    )


def _download(request: SignedInRequest, fmt: str, table: measures.Governance) -> HttpResponseBase:
    which = request.GET.get("table", "")
    stamp = f"{table.scope.name or scope_param(table.scope)}-{table.period.key}"
    if which in table.groups:
        cols, rows = columns(table, which), rows_of(table, which)
        name = str(measures.GROUPS[which][1]).split(" (", 1)[0]
    elif which == "formulas":
        cols, rows = formula_columns(), formula_rows(table)
        name = _("formulas")
    elif which == "months" and table.months is not None:
        cols, rows = _month_columns(), month_rows(table)
        name = _("screening by month")
    else:
        refusal = downloads.DownloadRefused(
            _("table: there is no such list on this page."), field="table"
        )
        return downloads.refusal_response(request, refusal)
    return downloads.table_download(
        request, fmt=fmt, filename=f"{name}-{stamp}", columns=cols, rows=rows
    )


routes = [
    path("console/governance/", governance_page, name="governance"),
]
