"""Every endpoint of the installation, read from the running configuration, and how the table's
test calls one: the URL patterns (django.urls.get_resolver(), walked recursively) and the
JSON API's operations (the NinjaAPI's OpenAPI schema: method and path).

Keys, as the table (tests/access/table.py) names its rows:
- a named URL pattern: its full name (`web:case`, `open311:requests`, `api:openapi-json`);
- an unnamed one: its namespace and route (`open311:^(?P<rest>.*)$`);
- the admin (Django's own): one row per admin-site view (`admin:index`, `admin:login`…) and
  one per application (`admin:app_list[cases]`), which stands for that application's model
  pages (list, add, change, history, delete) and is tested on the application's index;
- an API operation: `METHOD /api/v1/path/{param}` as the OpenAPI schema writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/v1"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>[a-z0-9_]+)/[a-z0-9_]+/")


@dataclass(frozen=True)
class Pattern:
    key: str  # the row that covers it
    route: str  # the full route, as Django writes it
    name: str | None


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def _is_api_operation(entry: URLPattern) -> bool:
    # Ninja's operation views; the API's own pages (schema, docs, root) are plain views.
    return getattr(entry.callback, "__module__", "") == "ninja.operation"


def url_patterns() -> list[Pattern]:
    """Every URL pattern but the API's operations (those are `api_operations()`)."""
    found = []
    for route, namespace, entry in _walk(get_resolver()):
        if _is_api_operation(entry):
            continue
        name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
        if namespace == "admin":
            model_page = _ADMIN_MODEL_ROUTE.match(route)
            if model_page and model_page["app"] in _admin_apps():
                key = f"admin:app_list[{model_page['app']}]"
            elif name == "admin:app_list":
                # One pattern for every application: a row per application's index.
                for app in re.search(r"\(\?P<app_label>([^)]*)\)", route)[1].split("|"):
                    found.append(Pattern(f"admin:app_list[{app}]", route, name))
                continue
            else:
                key = name or f"admin:{route.removeprefix('admin/')}"
        else:
            key = name or f"{namespace}:{route.removeprefix(_prefix_of(namespace))}"
        found.append(Pattern(key, route, name))
    return found


def _admin_apps() -> set[str]:
    from django.contrib import admin

    return {model._meta.app_label for model in admin.site._registry}


def _prefix_of(namespace: str) -> str:
    return {"open311": "open311/v2/"}.get(namespace, "")


def api_operations() -> list[str]:
    """`METHOD /api/v1/path` for every operation of the API's OpenAPI schema."""
    from onegrid.config.api import api

    schema = api.get_openapi_schema()
    return sorted(
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method.upper() in {"GET", *UNSAFE}
    )


def api_paths_routed() -> set[str]:
    """The API paths the URL resolver routes to an operation, written as the schema writes
    them, to find an operation left out of the schema."""
    paths = set()
    for route, _ns, entry in _walk(get_resolver()):
        if _is_api_operation(entry):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
            paths.add("/" + path)
    return paths


def endpoint_keys() -> set[str]:
    return {p.key for p in url_patterns()} | set(api_operations())
