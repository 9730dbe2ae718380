"""API tokens, their people and those people's roles, cached per process (core.versions).

An API request used to read its token (with the person) and then the person's role
assignments: two ORM queries, ten times the second for a person bound to 200 grids. Now one
small statement reads the live token row and the "access" counter; the person and their roles
come from a process-wide cache while that counter stands. What changes them bumps the counter
in its own transaction (the signals below: a person saved or deleted, a role assignment or an
administrative unit saved or deleted; open311 after its bulk deactivation), so a revoked or
expired token, a deactivated person or a removed role stops working in every process as soon
as the change commits.

Each request gets its own copy of the person (a copied model instance), so nothing one request
attaches to it reaches another; the role assignments are shared read-only.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save

from onegrid.core import clock, versions
from onegrid.territory.models import AdminUnit

from .models import ApiToken, RoleAssignment, User

PEOPLE: versions.VersionedCache[int, tuple[User, list[RoleAssignment]] | None] = (
    versions.VersionedCache(versions.ACCESS)
)
TOKEN_QUERY = (
    "SELECT t.user_id, (SELECT v.version FROM core_cacheversion v WHERE v.name = %s) "
    "FROM org_apitoken t WHERE t.digest = %s AND t.expires_at > %s"
)


def user_for_token(raw: str) -> User | None:
    """The active person a live token belongs to, their role assignments already attached
    (policies.assignments reads them without a query), or None.

    The token row itself is read every time (one small statement, which also reads the
    "access" counter), so an expired or deleted token is refused at once however it went; the
    person and their roles come from the cache while the counter stands."""
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        cursor.execute(TOKEN_QUERY, [versions.ACCESS, ApiToken.digest_of(raw), now])
        row = cursor.fetchone()
    if row is None:
        return None
    user_id, version = row[0], int(row[1] or 0)
    found = PEOPLE.get(user_id, lambda: _load(user_id), version=version)
    if found is None:
        return None
    template, roles = found
    user = copy.copy(template)
    user._onegrid_roles = list(roles)
    return user


def _load(user_id: int) -> tuple[User, list[RoleAssignment]] | None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    return user, list(RoleAssignment.objects.filter(user=user).select_related("unit"))


def _changed(**_kwargs: Any) -> None:
    versions.bump(versions.ACCESS)


def _user_saved(update_fields: frozenset[str] | None = None, **kwargs: Any) -> None:
    # A sign-in writes last_login only: nothing a cached copy decides by.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    _changed(**kwargs)


def connect() -> None:
    """Called once from OrgConfig.ready."""
    post_save.connect(_user_saved, sender=User, dispatch_uid="access_cache.user")
    post_delete.connect(_changed, sender=User, dispatch_uid="access_cache.user_deleted")
    for model in (RoleAssignment, AdminUnit):
        name = model.__name__
        post_save.connect(_changed, sender=model, dispatch_uid=f"access_cache.{name}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"access_cache.{name}.del")
