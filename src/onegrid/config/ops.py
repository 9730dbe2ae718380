"""The first middleware (settings.MIDDLEWARE): request id, request log, metrics, and the
operations endpoints /healthz, /readyz and /metrics (docs/operations.md).

It answers those three itself, before the rest of the stack: probes come from the load
balancer or monitoring by address, over plain HTTP and with any Host header, so neither the
HTTPS redirect nor ALLOWED_HOSTS applies to them, and they need no session or language.
Every request — these too — gets its id, its log line and its counts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse

from . import health, metrics
from .requestlog import REQUEST_ID, request_id_from, request_logger

# URL parameters that are secrets to whoever holds them (a report's tracking code lets anyone
# read its progress): the request line logs them as "…".
SECRET_PARAMETERS = frozenset({"code", "tracking_code", "token"})


def logged_path(request: HttpRequest) -> str:
    """The request's path for the log, its secret parameters masked."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name in SECRET_PARAMETERS & set(match.kwargs if match else ()):
        value = str(match.kwargs[name])  # type: ignore[union-attr]
        if value:
            path = path.replace(value, "…")
    return path


ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": health.healthz,
    "/readyz": health.readyz,
    "/metrics": metrics.metrics_view,
}


class OpsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        token = REQUEST_ID.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        endpoint = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        view = request.path_info.strip("/") if endpoint else ""
        status = 500
        try:
            with connections["default"].execute_wrapper(metrics.count_db_errors):
                response = endpoint(request) if endpoint else self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            if not view:
                match = getattr(request, "resolver_match", None)
                view = (match.view_name if match else "") or "unresolved"
            metrics.count_request(view, request.method or "", status, elapsed)
            if request_logger.isEnabledFor(logging.INFO):
                request_logger.info(
                    "request",
                    extra={
                        "method": request.method,
                        "path": logged_path(request),
                        "view": view,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            REQUEST_ID.reset(token)
