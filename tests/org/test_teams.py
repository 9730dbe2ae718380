"""Grid teams (1+3+N): slots, members, the duty roster, vacancies and reporting by every role."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from django.core.management import call_command

from onegrid.core.errors import InvalidInput, PermissionDenied
from onegrid.org import selectors, teams
from onegrid.org.models import TEAM_ROLES, DutyShift, RoleAssignment, TeamSlot, User
from support.cases import report


def _user(username: str) -> User:
    return User.objects.create_user(username, password="pw-" + username, display_name=username)


def _shape():
    return [(s.role, s.group, s.minimum) for s in teams.current_slots()]


# --- slots -----------------------------------------------------------------------------------


def test_defaults_apply_until_configured_and_load_is_idempotent(world):
    assert not TeamSlot.objects.exists()
    expected = [
        ("grid_worker", "core", 1),
        ("grid_head", "helper", 1),
        ("police_officer", "helper", 1),
        ("building_head", "helper", 1),
        ("party_member", "volunteer", 0),
        ("volunteer", "volunteer", 0),
    ]
    assert _shape() == expected
    teams.load_default_slots()
    assert TeamSlot.objects.count() == 6
    assert _shape() == expected
    TeamSlot.objects.filter(role="volunteer").update(minimum=2)
    teams.load_default_slots()  # leaves an existing configuration alone
    assert TeamSlot.objects.get(role="volunteer").minimum == 2
    teams.load_default_slots(replace=True)
    assert TeamSlot.objects.get(role="volunteer").minimum == 0


def test_a_slot_without_a_label_gets_the_roles_name_in_the_districts_language(world):
    from django.utils import translation

    with translation.override("en"):  # an administrator reading the site in English
        teams.configure_slots(
            actor=world.people.command,
            slots=[
                {"role": "grid_worker", "group": "core", "minimum": 1},
                {"role": "police_officer", "label": "  ", "group": "helper", "minimum": 1},
            ],
        )
    assert dict(TeamSlot.objects.values_list("role", "label")) == {
        "grid_worker": "网格员",
        "police_officer": "社区民警",
    }


def test_command_centre_configures_slots(world):
    slots = teams.configure_slots(
        actor=world.people.command,
        slots=[
            {"role": "grid_worker", "label": "专职网格员", "group": "core", "minimum": 1},
            {"role": "police_officer", "label": "社区民警", "group": "helper", "minimum": 1},
            {"role": "building_head", "label": "楼栋长", "group": "helper", "minimum": "2"},
            {"role": "volunteer", "label": "志愿者", "group": "volunteer", "minimum": 0},
        ],
    )
    assert [s.role for s in slots] == [
        "grid_worker",
        "police_officer",
        "building_head",
        "volunteer",
    ]
    assert _shape() == [
        ("grid_worker", "core", 1),
        ("police_officer", "helper", 1),
        ("building_head", "helper", 2),
        ("volunteer", "volunteer", 0),
    ]
    # Reconfiguring drops roles left out.
    teams.configure_slots(
        actor=world.people.command,
        slots=[{"role": "grid_worker", "label": "网格员", "group": "core", "minimum": 1}],
    )
    assert _shape() == [("grid_worker", "core", 1)]


@pytest.mark.parametrize(
    ("slots", "field"),
    [
        ([{"role": "acceptor", "group": "helper", "minimum": 1}], "role"),
        (
            [
                {"role": "grid_worker", "group": "core", "minimum": 1},
                {"role": "grid_worker", "group": "core", "minimum": 1},
            ],
            "role",
        ),
        ([{"role": "grid_worker", "group": "boss", "minimum": 1}], "group"),
        ([{"role": "grid_worker", "group": "core", "minimum": -1}], "minimum"),
        ([{"role": "grid_worker", "group": "core", "minimum": "three"}], "minimum"),
        ([{"role": "grid_worker", "group": "core", "minimum": 1.5}], "minimum"),
        ([{"role": "grid_worker", "group": "core", "minimum": 1, "label": "x" * 51}], "label"),
        ([{"role": "volunteer", "group": "volunteer", "minimum": 0}], "group"),  # no core worker
        ([{"role": "grid_worker", "group": "core", "minimum": 0}], "group"),
    ],
)
def test_bad_slot_configurations_are_refused_and_change_nothing(world, slots, field):
    teams.load_default_slots()
    before = _shape()
    with pytest.raises(InvalidInput) as error:
        teams.configure_slots(actor=world.people.command, slots=slots)
    assert error.value.field == field
    assert _shape() == before


@pytest.mark.parametrize("who", ["acceptor", "worker", "resident", "city_handler"])
def test_only_admins_and_the_command_centre_configure_slots(world, who):
    teams.load_default_slots()
    with pytest.raises(PermissionDenied):
        teams.configure_slots(
            actor=getattr(world.people, who),
            slots=[{"role": "grid_worker", "group": "core", "minimum": 3}],
        )
    assert TeamSlot.objects.get(role="grid_worker").minimum == 1


# --- members ---------------------------------------------------------------------------------


def test_street_staff_add_and_remove_members(world):
    g0 = world.grids[0]
    _user("bh")
    a = teams.add_member(
        actor=world.people.acceptor, grid_code=g0.code, username="bh", role="volunteer"
    )
    assert (a.grid_id, a.role, a.user.username, a.replayed) == (g0.pk, "volunteer", "bh", False)
    # A retry of the same add is a replay: the assignment already there, nothing new.
    again = teams.add_member(
        actor=world.people.acceptor, grid_code=g0.code, username="bh", role="volunteer"
    )
    assert (again.pk, again.replayed) == (a.pk, True)
    assert RoleAssignment.objects.filter(user__username="bh").count() == 1
    assert teams.remove_member(
        actor=world.people.dispatcher, grid_code=g0.code, username="bh", role="volunteer"
    )
    assert not RoleAssignment.objects.filter(user__username="bh").exists()
    # A retry of the same removal finds nothing left to do: no error.
    assert not teams.remove_member(
        actor=world.people.dispatcher, grid_code=g0.code, username="bh", role="volunteer"
    )
    # Truly wrong input is still refused at its field.
    for username, role, field in [
        ("ghost", "building_head", "username"),
        ("bh", "acceptor", "role"),
    ]:
        with pytest.raises(InvalidInput) as error:
            teams.remove_member(
                actor=world.people.dispatcher, grid_code=g0.code, username=username, role=role
            )
        assert error.value.field == field


@pytest.mark.parametrize(
    ("grid_code", "username", "role", "field"),
    [
        ("999999999999999", "bh", "building_head", "grid_code"),
        (None, "nobody", "building_head", "username"),
        (None, "bh", "acceptor", "role"),
        (None, "bh", "", "role"),
    ],
)
def test_bad_members_are_refused(world, grid_code, username, role, field):
    _user("bh")
    with pytest.raises(InvalidInput) as error:
        teams.add_member(
            actor=world.people.command,
            grid_code=grid_code or world.grids[0].code,
            username=username,
            role=role,
        )
    assert error.value.field == field
    assert not RoleAssignment.objects.filter(user__username="bh").exists()


def test_a_role_outside_the_configured_slots_is_refused(world):
    teams.configure_slots(
        actor=world.people.command,
        slots=[{"role": "grid_worker", "group": "core", "minimum": 1}],
    )
    _user("bh")
    with pytest.raises(InvalidInput) as error:
        teams.add_member(
            actor=world.people.command,
            grid_code=world.grids[0].code,
            username="bh",
            role="building_head",
        )
    assert error.value.field == "role"


@pytest.mark.parametrize("who", ["other_acceptor", "worker", "resident", "city_handler", "leader"])
def test_team_changes_outside_ones_street_are_refused_and_change_nothing(world, who):
    g0 = world.grids[0]
    _user("bh")
    actor = getattr(world.people, who)
    before = set(RoleAssignment.objects.values_list("pk", "user_id", "role", "grid_id"))
    with pytest.raises(PermissionDenied):
        teams.add_member(actor=actor, grid_code=g0.code, username="bh", role="building_head")
    with pytest.raises(PermissionDenied):
        teams.remove_member(actor=actor, grid_code=g0.code, username="worker", role="grid_worker")
    start = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)
    with pytest.raises(PermissionDenied):
        teams.schedule_duty(
            actor=actor,
            grid_code=g0.code,
            username="worker",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=8),
        )
    assert set(RoleAssignment.objects.values_list("pk", "user_id", "role", "grid_id")) == before
    assert not DutyShift.objects.exists()


def test_retired_grids_take_no_members(world):
    g0 = world.grids[0]
    g0.retired_in = 2
    g0.save(update_fields=["retired_in"])
    _user("bh")
    with pytest.raises(InvalidInput) as error:
        teams.add_member(
            actor=world.people.command, grid_code=g0.code, username="bh", role="building_head"
        )
    assert error.value.field == "grid_code"


# --- duty roster -----------------------------------------------------------------------------

T0 = dt.datetime(2025, 3, 3, 0, 0, tzinfo=dt.UTC)
SH = dt.timezone(dt.timedelta(hours=8))


def _duty(world, username="worker", grid=0, start=0, end=8, actor="acceptor"):
    return teams.schedule_duty(
        actor=getattr(world.people, actor),
        grid_code=world.grids[grid].code,
        username=username,
        starts_at=T0 + dt.timedelta(hours=start),
        ends_at=T0 + dt.timedelta(hours=end),
    )


def test_duty_overlaps_for_one_person_are_refused(world):
    first = _duty(world, start=8, end=16)
    for start, end in [(8, 15), (12, 20), (4, 9), (9, 10), (0, 24)]:
        with pytest.raises(InvalidInput) as error:
            _duty(world, start=start, end=end)
        assert error.value.field == "starts_at"
    _duty(world, start=16, end=24)  # back to back is fine
    _duty(world, start=0, end=8)
    _duty(world, username="worker2", grid=1, start=8, end=16)  # another person, same time
    assert DutyShift.objects.count() == 4
    # Exactly the same shift again is a retry: the one already there comes back, nothing new.
    again = _duty(world, start=8, end=16, actor="dispatcher")
    assert (again.pk, again.replayed, first.replayed) == (first.pk, True, False)
    assert DutyShift.objects.count() == 4


def test_overlap_is_checked_across_grids(world):
    teams.add_member(
        actor=world.people.command,
        grid_code=world.grids[1].code,
        username="worker",
        role="volunteer",
    )
    _duty(world, grid=0, start=8, end=16)
    with pytest.raises(InvalidInput) as error:
        _duty(world, grid=1, start=10, end=12)
    assert error.value.field == "starts_at"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": 8, "end": 8}, "ends_at"),
        ({"start": 8, "end": 6}, "ends_at"),
        ({"start": 0, "end": 24 * 8}, "ends_at"),
        ({"username": "worker2"}, "username"),  # on grid 1's team, not grid 0's
        ({"username": "acceptor"}, "username"),
        ({"username": "ghost"}, "username"),
    ],
)
def test_bad_shifts_are_refused(world, kwargs, field):
    with pytest.raises(InvalidInput) as error:
        _duty(world, **kwargs)
    assert error.value.field == field
    assert not DutyShift.objects.exists()


def test_naive_times_are_refused(world):
    with pytest.raises(InvalidInput) as error:
        teams.schedule_duty(
            actor=world.people.acceptor,
            grid_code=world.grids[0].code,
            username="worker",
            starts_at=dt.datetime(2025, 3, 3, 8),
            ends_at=dt.datetime(2025, 3, 3, 16),
        )
    assert error.value.field == "starts_at"


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (dt.datetime(1, 1, 1, tzinfo=SH), dt.datetime(1, 1, 1, 8, tzinfo=SH), "starts_at"),
        (
            dt.datetime(1999, 12, 31, 20, tzinfo=SH),
            dt.datetime(2000, 1, 1, 4, tzinfo=SH),
            "starts_at",
        ),
        (
            dt.datetime(2100, 12, 31, 20, tzinfo=SH),
            dt.datetime(2101, 1, 1, 4, tzinfo=SH),
            "ends_at",
        ),
        (
            dt.datetime(9999, 12, 31, 12, tzinfo=SH),
            dt.datetime(9999, 12, 31, 20, tzinfo=SH),
            "starts_at",
        ),
    ],
)
def test_times_outside_the_years_allowed_are_refused(world, starts_at, ends_at, field):
    with pytest.raises(InvalidInput) as error:
        teams.schedule_duty(
            actor=world.people.acceptor,
            grid_code=world.grids[0].code,
            username="worker",
            starts_at=starts_at,
            ends_at=ends_at,
        )
    assert error.value.field == field
    assert "2000" in str(error.value.message) and "2100" in str(error.value.message)
    assert not DutyShift.objects.exists()


def test_on_duty_at_a_time(world):
    _user("vol")
    teams.add_member(
        actor=world.people.acceptor, grid_code=world.grids[0].code, username="vol", role="volunteer"
    )
    _duty(world, start=8, end=16)
    _duty(world, username="vol", start=12, end=20)
    g0 = world.grids[0]
    viewer = world.people.acceptor

    def names(hour):
        return [d.name for d in selectors.on_duty(viewer, g0, T0 + dt.timedelta(hours=hour))]

    assert names(7) == []
    assert names(8) == ["worker"]
    assert names(13) == ["worker", "vol"]
    assert names(16) == ["vol"]  # a shift ends at its end
    assert names(20) == []
    on = selectors.on_duty(viewer, g0, T0 + dt.timedelta(hours=9))[0]
    assert on.role_labels == ["专职网格员"]
    assert on.phone == "138****5678"
    # Scoped: the other street's acceptor sees no roster of grid 0.
    assert selectors.on_duty(world.people.other_acceptor, g0, T0 + dt.timedelta(hours=9)) == []


def test_removing_a_member_ends_their_shifts(world):
    from onegrid.core import clock

    _user("vol")
    g0 = world.grids[0]
    teams.add_member(
        actor=world.people.acceptor, grid_code=g0.code, username="vol", role="volunteer"
    )
    clock.set_now(T0 + dt.timedelta(hours=10))
    _duty(world, username="vol", start=0, end=4)  # past
    _duty(world, username="vol", start=8, end=12)  # under way
    _duty(world, username="vol", start=20, end=24)  # future
    teams.remove_member(
        actor=world.people.acceptor, grid_code=g0.code, username="vol", role="volunteer"
    )
    spans = list(DutyShift.objects.filter(user__username="vol").values_list("starts_at", "ends_at"))
    assert spans == [
        (T0, T0 + dt.timedelta(hours=4)),
        (T0 + dt.timedelta(hours=8), T0 + dt.timedelta(hours=10)),
    ]


# --- reads -----------------------------------------------------------------------------------


def test_team_of_groups_members_by_slot_group(world):
    g0 = world.grids[0]
    for name, role in [("bh", "building_head"), ("cop", "police_officer"), ("vol", "volunteer")]:
        _user(name)
        teams.add_member(actor=world.people.command, grid_code=g0.code, username=name, role=role)
    groups = {g.group: g for g in selectors.team_of(world.people.acceptor, g0)}
    assert list(groups) == ["core", "helper", "volunteer"]
    assert [m.name for m in groups["core"].members] == ["worker"]
    assert sorted(m.name for m in groups["helper"].members) == ["bh", "cop"]
    assert (groups["helper"].required, groups["helper"].missing) == (3, 1)
    assert [m.role_label for m in groups["volunteer"].members] == ["志愿者"]
    assert groups["volunteer"].missing == 0
    assert selectors.team_of(world.people.other_acceptor, g0) == []
    assert selectors.team_of(world.people.worker2, g0) == []
    assert [g.group for g in selectors.team_of(world.people.worker, g0)] == [
        "core",
        "helper",
        "volunteer",
    ]


def test_extra_holders_of_one_slot_do_not_fill_another(world):
    """Two building heads and a grid head, no police officer: 2 of the 3 helper places are
    filled and one is empty, in the team, the list's rows and the vacancies alike."""
    g0 = world.grids[0]
    for name, role in [("bh1", "building_head"), ("bh2", "building_head"), ("head", "grid_head")]:
        _user(name)
        teams.add_member(actor=world.people.command, grid_code=g0.code, username=name, role=role)
    _user("vol")
    teams.add_member(
        actor=world.people.command, grid_code=g0.code, username="vol", role="volunteer"
    )
    groups = {g.group: g for g in selectors.team_of(world.people.acceptor, g0)}
    helper = groups["helper"]
    assert (len(helper.members), helper.filled, helper.required, helper.missing) == (3, 2, 3, 1)
    row = next(r for r in selectors.team_rows([g0]) if r.grid.pk == g0.pk)
    counts = {g.group: g for g in row.groups}
    assert (counts["helper"].filled, counts["helper"].required) == (2, 3)
    assert counts["helper"].missing == 1 and counts["helper"].short
    assert (counts["core"].filled, counts["core"].short) == (1, False)
    assert (counts["volunteer"].members, counts["volunteer"].short) == (1, False)
    assert row.vacancies == 1
    vacant = [
        r.role for r in selectors.vacancies(world.people.acceptor).rows if r.grid_code == g0.code
    ]
    assert vacant == ["police_officer"]


def test_the_team_list_never_loads_boundaries(world):
    sql = str(selectors.team_grids(world.people.command).query)
    assert "geometry_wkb" not in sql
    assert [g.code for g in selectors.team_grids(world.people.command)] == [
        g.code for g in world.grids
    ]


def test_selectors_take_the_slots_loaded_once(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    g0 = world.grids[0]
    teams.load_default_slots()
    slots = teams.current_slots()
    _duty(world, start=8, end=16)
    at = T0 + dt.timedelta(hours=9)
    with CaptureQueriesContext(connection) as queries:
        groups = selectors.team_of(world.people.command, g0, slots=slots)
        on = selectors.on_duty(world.people.command, g0, at, slots=slots)
        rows = selectors.shifts(world.people.command, g0, T0, at, slots=slots)
    assert not [q for q in queries.captured_queries if "org_teamslot" in q["sql"]]
    assert (
        groups[0].slots[0].label == on[0].role_labels[0] == rows[0].role_labels[0] == "专职网格员"
    )


def test_vacancies_per_grid_and_summary(world):
    g0, g1, g2 = world.grids
    RoleAssignment.objects.filter(user=world.people.worker2).delete()  # grid 1 loses its worker
    _user("cop")
    teams.add_member(
        actor=world.people.command, grid_code=g2.code, username="cop", role="police_officer"
    )
    result = selectors.vacancies(world.people.command)
    by_grid: dict[str, dict[str, int]] = {}
    for row in result.rows:
        by_grid.setdefault(row.grid_code, {})[row.role] = row.missing
        assert row.missing == row.required - row.filled > 0
    assert by_grid[g0.code] == {"grid_head": 1, "police_officer": 1, "building_head": 1}
    assert by_grid[g1.code] == {
        "grid_worker": 1,
        "grid_head": 1,
        "police_officer": 1,
        "building_head": 1,
    }
    assert by_grid[g2.code] == {"grid_head": 1, "building_head": 1}
    row = next(r for r in result.rows if r.grid_code == g0.code)
    assert (row.grid_name, row.community, row.group) == (g0.name, "第1社区", "helper")
    s = result.summary
    assert (s.grids, s.fully_staffed, s.missing_core) == (3, 0, 1)
    assert (s.grids_missing_helpers, s.missing_helpers, s.missing_total) == (3, 8, 9)


def test_a_fully_staffed_grid(world):
    g0 = world.grids[0]
    for name, role in [("head", "grid_head"), ("cop", "police_officer"), ("bh", "building_head")]:
        _user(name)
        teams.add_member(actor=world.people.command, grid_code=g0.code, username=name, role=role)
    result = selectors.vacancies(world.people.acceptor)
    assert {r.grid_code for r in result.rows} == {world.grids[1].code}
    assert (result.summary.grids, result.summary.fully_staffed) == (2, 1)


def test_vacancies_are_scoped_to_what_the_viewer_sees(world):
    g0, g1, g2 = world.grids
    assert {r.grid_code for r in selectors.vacancies(world.people.other_acceptor).rows} == {g2.code}
    assert selectors.vacancies(world.people.other_acceptor).summary.grids == 1
    assert {r.grid_code for r in selectors.vacancies(world.people.acceptor).rows} == {
        g0.code,
        g1.code,
    }
    assert {r.grid_code for r in selectors.vacancies(world.people.worker).rows} == {g0.code}
    assert selectors.vacancies(world.people.resident).summary.grids == 0
    assert selectors.vacancies(world.people.city_handler).rows == []
    assert selectors.vacancies(world.people.command).summary.grids == 3
    # A street filter narrows, never widens.
    assert selectors.vacancies(world.people.acceptor, world.other_street.code).summary.grids == 0
    assert selectors.vacancies(world.people.command, world.street.code).summary.grids == 2
    with pytest.raises(InvalidInput) as error:
        selectors.vacancies(world.people.command, "120113999000")
    assert error.value.field == "street"


def test_retired_grids_leave_the_report(world):
    g1 = world.grids[1]
    g1.retired_in = 2
    g1.save(update_fields=["retired_in"])
    assert selectors.vacancies(world.people.command).summary.grids == 2


# --- every member reports --------------------------------------------------------------------


@pytest.mark.parametrize("role", TEAM_ROLES)
def test_every_team_role_can_report(world, role):
    username = f"m_{role}"
    _user(username)
    teams.add_member(
        actor=world.people.command, grid_code=world.grids[0].code, username=username, role=role
    )
    member = User.objects.get(username=username)
    case = report(world, who=member)
    assert case.pk is not None
    assert case.grid_id == world.grids[0].pk


# --- command line ----------------------------------------------------------------------------


def test_cli_slots_and_load_default(world, capsys):
    call_command("teams", "slots")
    out = capsys.readouterr().out
    assert "专职网格员" in out and "楼栋长" in out
    call_command("teams", "load-default-slots")
    assert TeamSlot.objects.count() == 6
    assert "社区民警" in capsys.readouterr().out


def test_cli_vacancies_table_and_xlsx(world, capsys, tmp_path):
    path = tmp_path / "vacancies.xlsx"
    call_command("teams", "vacancies", "--street", world.street.code, "--xlsx", str(path))
    out = capsys.readouterr().out
    assert world.grids[0].code in out and world.grids[2].code not in out
    assert "楼栋长" in out
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 6  # header + 3 helper places on each of grids 0 and 1
    assert rows[1][0] == world.grids[0].code and rows[1][-1] == 1


def test_cli_unknown_street_is_an_error(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("teams", "vacancies", "--street", "120113999000")
