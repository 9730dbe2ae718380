"""The party app's models, one module per part (each imported here so Django registers it)."""

from .report_ins import ReportIn
from .tree import Member, Membership, Organisation

__all__ = ["Member", "Membership", "Organisation", "ReportIn"]
