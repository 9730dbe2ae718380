"""The party app's models, one module per part (each imported here so Django registers it)."""

from .centres import (
    ChecklistItem,
    Inspection,
    InspectionPhoto,
    InspectionScore,
    Rectification,
    ServiceCentre,
)
from .report_ins import ReportIn
from .tree import Member, Membership, Organisation

__all__ = [
    "ChecklistItem",
    "Inspection",
    "InspectionPhoto",
    "InspectionScore",
    "Member",
    "Membership",
    "Organisation",
    "Rectification",
    "ReportIn",
    "ServiceCentre",
]
