"""The volunteers app's models, one module per part (each imported here so Django registers it)."""

from .activities import Activity, SignUp
from .lists import Claim, ListItem
from .partners import CoBuildingUnit
from .points import (
    PointsAccount,
    PointsEntry,
    PointsRule,
    PointsSweepMark,
    Redemption,
    StoreItem,
)
from .volunteering import Volunteer, VolunteerOrganisation

__all__ = [
    "Activity",
    "Claim",
    "CoBuildingUnit",
    "ListItem",
    "PointsAccount",
    "PointsEntry",
    "PointsRule",
    "PointsSweepMark",
    "Redemption",
    "SignUp",
    "StoreItem",
    "Volunteer",
    "VolunteerOrganisation",
]
