"""The volunteers app's models, one module per part (each imported here so Django registers it)."""

from .lists import Claim, ListItem
from .partners import CoBuildingUnit
from .volunteering import Volunteer, VolunteerOrganisation

__all__ = ["Claim", "CoBuildingUnit", "ListItem", "Volunteer", "VolunteerOrganisation"]
