"""The residents app's admin pages."""

from . import public_admin  # noqa: F401  (PublicSettings: residents/public_admin.py)
