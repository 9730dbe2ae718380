"""Domain errors raised by services and turned into translated 4xx responses at the edges."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    """A request that cannot be carried out; `field` names the input at fault, if one is."""

    status = 400
    code = "invalid"

    def __init__(
        self, message: StrOrPromise, *, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": str(self.message)}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
