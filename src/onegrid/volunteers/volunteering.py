"""Volunteers and volunteer organisations: founding an organisation, a resident registering
as a volunteer, and the organiser's optional real-name check (实名认证).

Registering does not grant the grid-team role `volunteer` (org.models.TEAM_ROLES): that place
on a grid's 1+3+N team is given by the street desks through org.teams. A registration is a
person offering their time to a community's activities; it needs a resident account
(org.policies.may_register_as_volunteer) and nothing else.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import bounded_text
from onegrid.org import policies
from onegrid.org.models import User
from onegrid.territory.models import AdminUnit, Grid

from .models import Volunteer, VolunteerOrganisation

MAX_NAME = 100
MAX_SKILLS = 200
MAX_DESCRIPTION = 2000


def _unit(code: object, *, field: str, levels: tuple[str, ...]) -> AdminUnit:
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) > 12:
        raise InvalidInput(_("No such community or street."), field=field)
    unit = AdminUnit.objects.filter(code=code, level__in=levels).first()
    if unit is None:
        raise InvalidInput(_("No such community or street."), field=field)
    return unit


def found_organisation(
    *, actor: User, unit_code: object, name: object, description: object = ""
) -> VolunteerOrganisation:
    """A volunteer organisation (志愿服务队) of a community or a street."""
    unit = _unit(unit_code, field="unit", levels=("community", "street"))
    if not policies.may_found_volunteer_organisation(actor, unit):
        raise PermissionDenied(_("You may not found volunteer organisations here."))
    clean_name = bounded_text(name, field="name", max_length=MAX_NAME, required=True)
    text = bounded_text(description, field="description", max_length=MAX_DESCRIPTION)
    with transaction.atomic():
        return VolunteerOrganisation.objects.create(
            name=clean_name, unit=unit, description=text, created_at=clock.now()
        )


def register(
    *,
    actor: User,
    community_code: object = None,
    grid_code: object = None,
    organisation_id: object = None,
    skills: object = "",
) -> Volunteer:
    """The actor registers as a volunteer of a community (or one of its grids), optionally in
    one of its (or its street's) organisations. Registering again updates the registration."""
    if not policies.may_register_as_volunteer(actor):
        raise PermissionDenied(_("Only resident accounts register as volunteers."))
    grid = None
    if grid_code:
        # A NUL or other control character names no grid, and is not sent to the database
        # (PostgreSQL refuses NUL in text: a 500 there).
        if not isinstance(grid_code, str) or len(grid_code) > 20 or not grid_code.isprintable():
            raise InvalidInput(_("No such grid."), field="grid")
        grid = Grid.objects.select_related("community").filter(code=grid_code).first()
        if grid is None:
            raise InvalidInput(_("No such grid."), field="grid")
        community = grid.community
    else:
        community = _unit(community_code, field="community", levels=("community",))
    organisation = None
    if organisation_id not in (None, ""):
        pk = _pk(organisation_id)
        organisation = VolunteerOrganisation.objects.filter(
            pk=pk or 0, active=True, unit_id__in=(community.pk, community.parent_id)
        ).first()
        if organisation is None:
            raise InvalidInput(
                _("No such volunteer organisation in this community or its street."),
                field="organisation",
            )
    text = bounded_text(skills, field="skills", max_length=MAX_SKILLS)
    with transaction.atomic():
        volunteer, created = Volunteer.objects.select_for_update().get_or_create(
            user=actor,
            defaults={
                "community": community,
                "grid": grid,
                "organisation": organisation,
                "skills": text,
                "joined_at": clock.now(),
            },
        )
        if not created:
            volunteer.community = community
            volunteer.grid = grid
            volunteer.organisation = organisation
            volunteer.skills = text
            volunteer.active = True
            volunteer.save(update_fields=["community", "grid", "organisation", "skills", "active"])
    return volunteer


def check_real_name(*, actor: User, volunteer_id: object) -> Volunteer:
    """The organiser has seen the volunteer's identity document: recorded once (a second check
    changes nothing)."""
    volunteer = _volunteer(volunteer_id)
    if not policies.may_organise_volunteers(actor, volunteer.community):
        raise PermissionDenied(_("You do not organise this volunteer's community."))
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if volunteer.real_name_checked_at is None:
            volunteer.real_name_checked_at = clock.now()
            volunteer.real_name_checked_by = actor
            volunteer.save(update_fields=["real_name_checked_at", "real_name_checked_by"])
    return volunteer


def _volunteer(volunteer_id: object) -> Volunteer:
    pk = _pk(volunteer_id)
    volunteer = Volunteer.objects.select_related("community").filter(pk=pk).first() if pk else None
    if volunteer is None:
        raise NotFound(_("No such volunteer."), field="volunteer_id")
    return volunteer


def _pk(value: object) -> int | None:
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    pk = int(text)
    return pk if 0 < pk < 2**31 else None
