"""The role × endpoint table: who may use every URL and every API operation of OneGrid.

One row per endpoint — a URL pattern by its name (`web:case`), the admin by its site views and
one row per application (`admin:app_list[cases]`: that application's model pages), an API
operation as `METHOD /api/v1/path` — and one cell per role: the anonymous caller, a person
holding exactly one role of org.models.Role where that role is bound (tests/access/district.py)
and a superuser. A cell is one of:

- ALLOW: the role gets the page or an answer that is not a refusal (2xx, a redirect other than
  to sign in, or a 400/409/422 for the empty form or body the test sends);
- DENY: 403 (pages: the "not for you" page with a link to the role's own landing page);
- HIDE: 404 — the app answers as if the row were not there for that role (the API's scoped
  reads and the pages' doors that must not tell whether a row exists);
- LOGIN: 401 from the API, or a redirect to the sign-in page (/login/, or the admin's).

A row is written `Row(method, anonymous, everyone_else, allow=…, deny=…, hide=…, login=…)`:
the method the test uses (GET for pages and reads; POST/PUT/PATCH/DELETE as the route takes),
the anonymous caller's cell, the cell of every signed-in role not named, and the roles (space
separated) whose cell differs. tests/access/test_access_table.py fails when an endpoint has no
row or a row names none, and tests every cell.

Adding an endpoint: add its row here (its pattern name or `METHOD /api/v1/path`), with the
roles that use it in `allow=`; run tests/access/test_access_table.py
-k 'the/path or district_is_built' (that test, the one marked for the database, is what makes
pytest-django create the test database: a selection without it errors at setup).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .calls import ALLOW, DENY, HIDE, LOGIN
from .district import ANONYMOUS, ROLES


@dataclass(frozen=True)
class Row:
    method: str
    anonymous: str
    others: str
    allow: str = ""
    deny: str = ""
    hide: str = ""
    login: str = ""
    _cells: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        cells = {role: self.others for role in ROLES}
        cells[ANONYMOUS] = self.anonymous
        for outcome, roles in (
            (ALLOW, self.allow),
            (DENY, self.deny),
            (HIDE, self.hide),
            (LOGIN, self.login),
        ):
            for role in roles.split():
                if role not in cells or role == ANONYMOUS:
                    raise ValueError(f"no such role in the table: {role}")
                cells[role] = outcome
        self._cells.update(cells)

    def expect(self, role: str) -> str:
        return self._cells[role]

    def roles(self) -> list[str]:
        return list(self._cells)


# Cells the app answers wrongly today (a 500, or a role reading what it must not), with why;
# their tests are expected to fail (strict xfail) until the hole is fixed.
KNOWN_HOLES: dict[tuple[str, str], str] = {}

TABLE: dict[str, Row] = {
    # Pages (onegrid.web.urls).
    "web:home": Row("GET", LOGIN, ALLOW),
    "web:login": Row("GET", ALLOW, ALLOW),
    "web:logout": Row("POST", LOGIN, LOGIN),
    "web:account": Row("GET", LOGIN, ALLOW),
    "web:console": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre supervisor admin superuser"),
    ),
    "web:layers": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:layers_check": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:layers_check_report": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:layers_fuse": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:layers_layer": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:layers_export": Row("GET", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:layers_proposal": Row("GET", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:layers_proposal_geojson": Row("GET", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:layers_apply": Row("POST", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:layers_codes": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:layers_coded": Row("GET", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:layers_coded_geojson": Row("GET", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:layers_coded_import": Row("POST", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:inbox": Row("GET", LOGIN, DENY, allow="dept_handler superuser"),
    "web:case": Row("GET", LOGIN, ALLOW, hide="resident volunteer party_member api_client"),
    "web:case_action": Row(
        "POST", LOGIN, DENY, allow="dept_handler", hide="resident volunteer party_member api_client"
    ),
    "web:map": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader auditor admin superuser"
        ),
    ),
    "web:map_grids": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader auditor admin superuser"
        ),
    ),
    "web:map_live": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader auditor admin superuser"
        ),
    ),
    "web:map_grid": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader auditor admin superuser"
        ),
    ),
    "web:field": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "resident volunteer grid_worker grid_head police_officer "
            "building_head party_member superuser"
        ),
    ),
    "web:field_manifest": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "resident volunteer grid_worker grid_head police_officer "
            "building_head party_member superuser"
        ),
    ),
    "web:field_sw": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "resident volunteer grid_worker grid_head police_officer "
            "building_head party_member superuser"
        ),
    ),
    "web:field_tasks": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "resident volunteer grid_worker grid_head police_officer "
            "building_head party_member superuser"
        ),
    ),
    "web:teams": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre supervisor admin superuser"),
    ),
    "web:team_vacancies": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre supervisor admin superuser"),
    ),
    "web:team_slots": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre supervisor admin superuser"),
    ),
    "web:team": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre supervisor admin superuser"),
    ),
    "web:team_add_member": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre admin superuser"),
    ),
    "web:team_remove_member": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre admin superuser"),
    ),
    "web:team_schedule": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre admin superuser"),
    ),
    "web:team_cancel_shift": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre admin superuser"),
    ),
    "web:addresses": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre supervisor admin superuser"),
    ),
    "web:addresses_import": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:address": Row(
        "GET",
        LOGIN,
        DENY,
        hide=("acceptor dispatcher shift_lead callback command_centre supervisor admin superuser"),
    ),
    "web:calendar": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:calendar_check": Row("POST", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:calendar_import": Row("POST", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:calendar_districts": Row("GET", LOGIN, DENY, allow="command_centre admin superuser"),
    "web:calendar_district_change": Row(
        "POST", LOGIN, DENY, allow="command_centre admin superuser"
    ),
    "web:calendar_export": Row("GET", LOGIN, DENY, hide="command_centre admin superuser"),
    "web:measures": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor dept_handler leader admin superuser"
        ),
    ),
    "web:measures_cases": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor dept_handler leader admin superuser"
        ),
    ),
    "web:measures_person": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker acceptor dispatcher shift_lead callback "
            "command_centre supervisor leader admin superuser"
        ),
        hide="grid_head dept_handler",
    ),
    "web:bigscreen": Row("GET", LOGIN, DENY, allow="command_centre supervisor leader superuser"),
    "web:bigscreen_data": Row(
        "GET", LOGIN, DENY, allow="command_centre supervisor leader superuser"
    ),
    "web:participation": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor leader admin party_staff superuser"
        ),
    ),
    "web:governance": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee mediator "
            "judicial_office superuser"
        ),
    ),
    "web:reports": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "web:reports_generate": Row(
        "POST",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "web:report_file": Row(
        "GET",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "web:party": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:party_org": Row(
        "GET",
        LOGIN,
        DENY,
        allow="command_centre supervisor leader admin superuser",
        hide="acceptor dispatcher shift_lead callback party_staff",
    ),
    "web:party_roster": Row(
        "GET",
        LOGIN,
        DENY,
        allow="command_centre supervisor leader admin superuser",
        hide="acceptor dispatcher shift_lead callback party_staff",
    ),
    "web:party_join": Row(
        "POST", LOGIN, DENY, hide="acceptor dispatcher shift_lead callback party_staff"
    ),
    "web:party_transfer": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:party_leave": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:party_create": Row(
        "POST",
        LOGIN,
        DENY,
        allow="command_centre supervisor leader admin superuser",
        hide="acceptor dispatcher shift_lead callback party_staff",
    ),
    "web:party_secretary": Row(
        "POST",
        LOGIN,
        DENY,
        allow="admin superuser",
        hide="acceptor dispatcher shift_lead callback party_staff",
    ),
    "web:party_move": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:party_dissolve": Row(
        "POST",
        LOGIN,
        DENY,
        allow="admin superuser",
        hide="acceptor dispatcher shift_lead callback party_staff",
    ),
    "web:hotspots": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "web:hotspot_cases": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "web:public": Row("GET", HIDE, HIDE),
    "web:public_track": Row("GET", ALLOW, ALLOW),
    "web:public_report": Row("GET", HIDE, HIDE),
    "web:public_case": Row("GET", HIDE, HIDE),
    "web:public_feed": Row("GET", HIDE, HIDE),
    "web:public_photo": Row("GET", HIDE, HIDE),
    "web:notifications": Row("GET", LOGIN, ALLOW),
    "web:notifications_read_all": Row("POST", LOGIN, ALLOW),
    "web:notification_read": Row("POST", LOGIN, HIDE),
    "web:notification_open": Row("POST", LOGIN, HIDE),
    "web:notification_preferences": Row("GET", LOGIN, ALLOW),
    "web:resident": Row("GET", LOGIN, DENY, allow="resident volunteer party_member superuser"),
    "web:resident_register": Row("GET", ALLOW, ALLOW),
    "web:resident_sign_in_code": Row("GET", ALLOW, ALLOW),
    "web:resident_report": Row(
        "GET", LOGIN, DENY, hide="resident volunteer party_member superuser"
    ),
    "web:resident_report_action": Row(
        "POST", LOGIN, DENY, hide="resident volunteer party_member superuser"
    ),
    "web:resident_new_report": Row(
        "GET", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:report_anonymously": Row("GET", ALLOW, ALLOW),
    "web:community": Row(
        "GET",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "web:community_add_item": Row("POST", LOGIN, DENY, allow="party_staff organiser"),
    "web:community_item_state": Row("POST", LOGIN, DENY, allow="party_staff organiser"),
    "web:community_claim": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "web:community_record": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "web:community_confirm": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "web:community_withdraw": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "web:community_partner": Row("POST", LOGIN, DENY, allow="party_staff organiser"),
    "web:community_partner_active": Row("POST", LOGIN, DENY, allow="party_staff organiser"),
    "web:volunteering": Row("GET", LOGIN, DENY, allow="resident volunteer party_member superuser"),
    "web:volunteering_activity": Row(
        "GET", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:volunteering_hours": Row(
        "GET", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:organiser": Row("GET", LOGIN, DENY, allow="party_staff organiser superuser"),
    "web:organiser_found": Row("POST", LOGIN, DENY, allow="party_staff organiser superuser"),
    "web:organiser_roster": Row("GET", LOGIN, DENY, allow="party_staff organiser superuser"),
    "web:organiser_activity": Row("GET", LOGIN, DENY, allow="party_staff organiser superuser"),
    "web:organiser_real_name": Row("POST", LOGIN, DENY, allow="party_staff organiser superuser"),
    "web:centres": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:centre_checklist": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:centre": Row(
        "GET",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:centre_inspect": Row(
        "GET",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:centre_photo": Row(
        "GET",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "web:report_ins": Row("GET", LOGIN, DENY, allow="party_staff superuser"),
    "web:report_in_confirm": Row("POST", LOGIN, DENY, allow="party_staff"),
    "web:report_in_decline": Row("POST", LOGIN, DENY, allow="party_staff"),
    "web:report_in_end": Row("POST", LOGIN, DENY, allow="party_staff"),
    "web:my_report_in": Row("GET", LOGIN, DENY, allow="resident volunteer party_member superuser"),
    "web:points": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "resident volunteer grid_worker grid_head police_officer "
            "building_head party_member superuser"
        ),
    ),
    "web:counter": Row("GET", LOGIN, DENY, allow="organiser superuser"),
    "web:points_redeem": Row("POST", LOGIN, DENY, allow="organiser"),
    "web:points_cancel": Row("POST", LOGIN, DENY, hide="organiser superuser"),
    "web:points_items": Row("GET", LOGIN, DENY, allow="organiser superuser"),
    "web:points_restock": Row("POST", LOGIN, DENY, allow="organiser", hide="superuser"),
    "web:mediation": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office superuser"),
    ),
    "web:mediation_new": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office superuser"),
    ),
    "web:mediation_dispute": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office"),
        hide="superuser",
    ),
    "web:mediation_act": Row("POST", LOGIN, DENY, allow="mediator", hide="superuser"),
    "web:case_mediation": Row(
        "POST", LOGIN, ALLOW, hide="resident volunteer party_member api_client"
    ),
    "web:resident_mediation": Row(
        "GET", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:mediation_agreement_pdf": Row(
        "GET", LOGIN, DENY, hide="mediator judicial_office superuser"
    ),
    "web:mediation_agreement_act": Row(
        "POST",
        LOGIN,
        DENY,
        hide=("acceptor dispatcher shift_lead callback mediator judicial_office superuser"),
    ),
    "web:mediation_register_xlsx": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office superuser"),
    ),
    "web:risk_register_xlsx": Row(
        "GET",
        LOGIN,
        ALLOW,
        deny=(
            "resident volunteer party_member supervisor dept_handler auditor "
            "admin api_client party_staff organiser community_committee "
            "legal_adviser"
        ),
    ),
    "web:screening_xlsx": Row(
        "GET",
        LOGIN,
        ALLOW,
        deny=(
            "resident volunteer party_member supervisor dept_handler auditor "
            "admin api_client party_staff organiser community_committee "
            "legal_adviser"
        ),
    ),
    "web:screening": Row("GET", LOGIN, DENY, allow="grid_worker grid_head superuser"),
    "web:screening_dispute": Row("GET", LOGIN, DENY, hide="grid_worker grid_head superuser"),
    "web:screening_risk": Row("GET", LOGIN, DENY, hide="grid_worker grid_head superuser"),
    "web:risks": Row(
        "GET",
        LOGIN,
        ALLOW,
        deny=(
            "resident volunteer party_member supervisor dept_handler auditor "
            "admin api_client party_staff organiser community_committee "
            "legal_adviser"
        ),
    ),
    "web:risk_new": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("grid_worker grid_head acceptor dispatcher shift_lead callback judicial_office"),
        hide=("police_officer building_head command_centre leader mediator superuser"),
    ),
    "web:risk": Row(
        "GET",
        LOGIN,
        HIDE,
        deny=(
            "resident volunteer party_member supervisor dept_handler auditor "
            "admin api_client party_staff organiser community_committee "
            "legal_adviser"
        ),
    ),
    "web:risk_follow_up": Row(
        "POST",
        LOGIN,
        HIDE,
        deny=(
            "resident volunteer party_member supervisor dept_handler auditor "
            "admin api_client party_staff organiser community_committee "
            "legal_adviser"
        ),
    ),
    "web:risk_resolve": Row(
        "POST",
        LOGIN,
        HIDE,
        deny=(
            "resident volunteer party_member supervisor dept_handler auditor "
            "admin api_client party_staff organiser community_committee "
            "legal_adviser"
        ),
    ),
    "web:legal_advisers": Row("GET", LOGIN, DENY, allow="admin judicial_office superuser"),
    "web:resident_legal": Row(
        "GET", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:resident_legal_question": Row(
        "GET", LOGIN, DENY, hide="resident volunteer party_member superuser"
    ),
    "web:resident_legal_withdraw": Row(
        "POST", LOGIN, DENY, hide="resident volunteer party_member superuser"
    ),
    "web:legal": Row("GET", LOGIN, DENY, allow="legal_adviser superuser"),
    "web:legal_question": Row("GET", LOGIN, DENY, hide="legal_adviser superuser"),
    "web:deliberation": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_raise": Row(
        "POST",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_check": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_refuse": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_remove": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_topic": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_review": Row(
        "POST",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_withdraw": Row(
        "POST", LOGIN, DENY, allow="admin community_committee superuser"
    ),
    "web:deliberation_cosign": Row("POST", LOGIN, DENY),
    "web:deliberation_meeting": Row(
        "POST",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_minutes": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_attach": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_file": Row("GET", LOGIN, HIDE),
    "web:deliberation_propose": Row(
        "POST",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_withdraw_proposal": Row(
        "POST", LOGIN, DENY, allow="admin community_committee superuser"
    ),
    "web:resident_deliberation": Row(
        "GET", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:resident_deliberation_apply": Row(
        "POST", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:resident_deliberation_raise": Row(
        "POST", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "web:resident_deliberation_cosign": Row("POST", LOGIN, DENY),
    "web:decision_project_add": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_project_edit": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_project_spending": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_milestone_add": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_milestone_done": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_project_complete": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_project_cancel": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_case": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:decision_abandon": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:public_decisions": Row("GET", HIDE, HIDE),
    "web:public_decision": Row("GET", HIDE, HIDE),
    "web:deliberation_ballot_open": Row(
        "POST",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_ballot_vote": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_ballot_tally": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_ballot_close": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "web:deliberation_ballot_decision": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    # Django's language switch.
    "set_language": Row("GET", ALLOW, ALLOW),
    # Open311 (GeoReport v2): its own clients' keys, not the pages' sign-in.
    "open311:root": Row("GET", ALLOW, ALLOW),
    "open311:discovery": Row("GET", ALLOW, ALLOW),
    "open311:services": Row("GET", ALLOW, ALLOW),
    "open311:service": Row("GET", HIDE, HIDE),
    "open311:requests": Row("GET", ALLOW, ALLOW),
    "open311:request": Row("GET", HIDE, HIDE),
    "open311:token": Row("GET", HIDE, HIDE),
    "open311:updates": Row("GET", ALLOW, ALLOW),
    "open311:^(?P<rest>.*)$": Row("GET", HIDE, HIDE),
    # The API's own pages: the OpenAPI schema, its docs, the root.
    "api:openapi-json": Row("GET", ALLOW, ALLOW),
    "api:openapi-view": Row("GET", ALLOW, ALLOW),
    "api:api-root": Row("GET", HIDE, HIDE),
    # The JSON API's operations (onegrid.config.api), as its OpenAPI schema lists them.
    "GET /api/v1/addresses": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/addresses/{code}": Row("GET", LOGIN, HIDE),
    "GET /api/v1/auth/me": Row("GET", LOGIN, ALLOW),
    "DELETE /api/v1/auth/token": Row("DELETE", LOGIN, ALLOW),
    "POST /api/v1/auth/token": Row("POST", LOGIN, LOGIN),
    "GET /api/v1/cases": Row("GET", LOGIN, ALLOW),
    "POST /api/v1/cases": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "supervisor dept_handler leader auditor admin api_client "
            "organiser mediator judicial_office legal_adviser"
        ),
    ),
    "GET /api/v1/cases/{case_id}": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member api_client"
    ),
    "POST /api/v1/cases/{case_id}/actions/{action}": Row(
        "POST", LOGIN, DENY, allow="dept_handler", hide="resident volunteer party_member api_client"
    ),
    "GET /api/v1/catalogue": Row("GET", LOGIN, ALLOW),
    "POST /api/v1/communities/{community_id}/claims/{claim_id}/confirm": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/communities/{community_id}/claims/{claim_id}/record": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/communities/{community_id}/claims/{claim_id}/withdraw": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/communities/{community_id}/items": Row("POST", LOGIN, ALLOW),
    "PATCH /api/v1/communities/{community_id}/items/{item_id}": Row(
        "PATCH", LOGIN, DENY, allow="party_staff organiser"
    ),
    "POST /api/v1/communities/{community_id}/items/{item_id}/claims": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "GET /api/v1/communities/{community_id}/lists": Row(
        "GET",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "GET /api/v1/communities/{community_id}/partners": Row(
        "GET",
        LOGIN,
        ALLOW,
        deny=(
            "resident supervisor dept_handler auditor admin api_client "
            "community_committee mediator judicial_office legal_adviser"
        ),
    ),
    "POST /api/v1/communities/{community_id}/partners": Row(
        "POST", LOGIN, DENY, allow="party_staff organiser"
    ),
    "PATCH /api/v1/communities/{community_id}/partners/{partner_id}": Row(
        "PATCH", LOGIN, DENY, allow="party_staff organiser"
    ),
    "GET /api/v1/deliberation/attachments/{attachment_id}": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/deliberation/ballots/{ballot_id}": Row("GET", LOGIN, HIDE),
    "POST /api/v1/deliberation/ballots/{ballot_id}/close": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/ballots/{ballot_id}/decision": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/ballots/{ballot_id}/tally": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/ballots/{ballot_id}/vote": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/deliberation/decisions": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/deliberation/decisions/{number}": Row("GET", LOGIN, HIDE),
    "POST /api/v1/deliberation/decisions/{number}/abandon": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/decisions/{number}/cases": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/decisions/{number}/projects": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/meetings/{meeting_id}/attachments": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/meetings/{meeting_id}/minutes": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/milestones/{milestone_id}/done": Row("POST", LOGIN, HIDE),
    "PUT /api/v1/deliberation/projects/{project_id}": Row("PUT", LOGIN, HIDE),
    "POST /api/v1/deliberation/projects/{project_id}/cancel": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/projects/{project_id}/complete": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/projects/{project_id}/milestones": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/projects/{project_id}/spending": Row("POST", LOGIN, HIDE),
    "POST /api/v1/deliberation/proposals/{proposal_id}/withdraw": Row(
        "POST", LOGIN, DENY, allow="admin community_committee superuser"
    ),
    "GET /api/v1/deliberation/roll": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "POST /api/v1/deliberation/roll": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/deliberation/roll/mine": Row("GET", LOGIN, ALLOW),
    "POST /api/v1/deliberation/roll/{voter_id}/check": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/roll/{voter_id}/refuse": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/roll/{voter_id}/remove": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/deliberation/topics": Row("GET", LOGIN, ALLOW),
    "POST /api/v1/deliberation/topics": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/topics/committee": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/deliberation/topics/{topic_id}": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "GET /api/v1/deliberation/topics/{topic_id}/ballots": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "POST /api/v1/deliberation/topics/{topic_id}/ballots": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/topics/{topic_id}/cosign": Row("POST", LOGIN, DENY),
    "GET /api/v1/deliberation/topics/{topic_id}/meetings": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "POST /api/v1/deliberation/topics/{topic_id}/meetings": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/deliberation/topics/{topic_id}/proposals": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee superuser"
        ),
    ),
    "POST /api/v1/deliberation/topics/{topic_id}/proposals": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/deliberation/topics/{topic_id}/review": Row(
        "POST", LOGIN, DENY, allow="admin community_committee superuser"
    ),
    "POST /api/v1/deliberation/topics/{topic_id}/withdraw": Row(
        "POST", LOGIN, DENY, allow="admin community_committee superuser"
    ),
    "GET /api/v1/grids": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/insight/campaigns": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor dept_handler leader admin superuser"
        ),
    ),
    "POST /api/v1/insight/campaigns": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/insight/campaigns/{campaign_id}": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/insight/cases": Row("GET", LOGIN, ALLOW),
    # A city's measures: 403 in an installation of one district, the superuser's too.
    "GET /api/v1/insight/city": Row("GET", LOGIN, DENY),
    "GET /api/v1/insight/governance": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin community_committee mediator "
            "judicial_office superuser"
        ),
    ),
    "GET /api/v1/insight/hotspots/alerts": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/hotspots/grids": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/hotspots/heat": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/hotspots/repeats": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/hotspots/summary": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/league/{kind}": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/insight/measures": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor dept_handler leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/participation": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor leader admin party_staff superuser"
        ),
    ),
    "GET /api/v1/insight/persons/{person_id}": Row(
        "GET",
        LOGIN,
        HIDE,
        allow=(
            "grid_worker acceptor dispatcher shift_lead callback "
            "command_centre supervisor leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/scopes": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor dept_handler leader admin superuser"
        ),
    ),
    "GET /api/v1/insight/trend": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "grid_worker grid_head acceptor dispatcher shift_lead callback "
            "command_centre supervisor dept_handler leader admin superuser"
        ),
    ),
    "GET /api/v1/locate": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/mediation/applications": Row("GET", LOGIN, ALLOW),
    "POST /api/v1/mediation/applications": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/mediation/applications/{dispute_id}/withdraw": Row("POST", LOGIN, HIDE),
    "GET /api/v1/mediation/committees": Row("GET", LOGIN, ALLOW),
    "PUT /api/v1/mediation/committees/{unit_id}": Row(
        "PUT", LOGIN, DENY, allow="admin judicial_office superuser"
    ),
    "GET /api/v1/mediation/disputes": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office superuser"),
    ),
    "POST /api/v1/mediation/disputes": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/mediation/disputes/from-case": Row("POST", LOGIN, HIDE),
    "GET /api/v1/mediation/disputes/{dispute_id}": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office"),
        hide="superuser",
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/accept": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "GET /api/v1/mediation/disputes/{dispute_id}/agreement": Row(
        "GET", LOGIN, DENY, hide="mediator judicial_office superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/agreement": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "GET /api/v1/mediation/disputes/{dispute_id}/agreement.pdf": Row(
        "GET", LOGIN, DENY, hide="mediator judicial_office superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/agreement/confirmation": Row(
        "POST", LOGIN, DENY, allow="mediator judicial_office", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/agreement/ruling": Row(
        "POST", LOGIN, DENY, allow="mediator judicial_office", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/close": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/decline": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/extend": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/fail": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/follow-ups": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office"),
        hide="superuser",
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/mediators": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/parties": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/public-hearing": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/refused-mediators": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/sessions": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office"),
        hide="superuser",
    ),
    "POST /api/v1/mediation/disputes/{dispute_id}/withdraw": Row(
        "POST", LOGIN, DENY, allow="mediator", hide="superuser"
    ),
    "POST /api/v1/mediation/legal/advisers": Row("POST", LOGIN, HIDE),
    "POST /api/v1/mediation/legal/advisers/dismiss": Row("POST", LOGIN, HIDE),
    "GET /api/v1/mediation/legal/questions": Row("GET", LOGIN, DENY, allow="legal_adviser"),
    "POST /api/v1/mediation/legal/questions": Row(
        "POST", LOGIN, DENY, hide="resident volunteer party_member"
    ),
    "GET /api/v1/mediation/legal/questions/mine": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/mediation/legal/questions/{question_id}": Row("GET", LOGIN, HIDE),
    "POST /api/v1/mediation/legal/questions/{question_id}/answer": Row("POST", LOGIN, HIDE),
    "POST /api/v1/mediation/legal/questions/{question_id}/withdraw": Row("POST", LOGIN, HIDE),
    "GET /api/v1/mediation/risks": Row(
        "GET",
        LOGIN,
        ALLOW,
        deny=(
            "resident volunteer party_member supervisor dept_handler auditor "
            "admin api_client party_staff organiser community_committee "
            "legal_adviser"
        ),
    ),
    "POST /api/v1/mediation/risks": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/mediation/risks/{risk_id}": Row("GET", LOGIN, HIDE),
    "POST /api/v1/mediation/risks/{risk_id}/follow-ups": Row("POST", LOGIN, HIDE),
    "POST /api/v1/mediation/risks/{risk_id}/resolve": Row("POST", LOGIN, HIDE),
    "GET /api/v1/mediation/screening/my-grids": Row("GET", LOGIN, ALLOW),
    "POST /api/v1/mediation/screenings": Row("POST", LOGIN, HIDE),
    "POST /api/v1/mediation/screenings/{screening_id}/disputes": Row("POST", LOGIN, HIDE),
    "GET /api/v1/mediation/types": Row(
        "GET",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback mediator judicial_office superuser"),
    ),
    "GET /api/v1/notifications/": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/notifications/preferences": Row("GET", LOGIN, ALLOW),
    "PUT /api/v1/notifications/preferences": Row("PUT", LOGIN, ALLOW),
    "POST /api/v1/notifications/read-all": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/notifications/unread": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/notifications/{notification_id}": Row("GET", LOGIN, HIDE),
    "POST /api/v1/notifications/{notification_id}/read": Row("POST", LOGIN, HIDE),
    "GET /api/v1/party/centres": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "POST /api/v1/party/centres": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/party/centres/checklist": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "POST /api/v1/party/centres/checklist": Row("POST", LOGIN, DENY, allow="admin superuser"),
    "GET /api/v1/party/centres/{centre_id}": Row(
        "GET",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "POST /api/v1/party/centres/{centre_id}/inspections": Row(
        "POST",
        LOGIN,
        DENY,
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "GET /api/v1/party/members/{member_id}": Row(
        "GET",
        LOGIN,
        DENY,
        allow="party_staff",
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "POST /api/v1/party/members/{member_id}/leave": Row(
        "POST",
        LOGIN,
        DENY,
        allow="party_staff",
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "POST /api/v1/party/members/{member_id}/report-in": Row("POST", LOGIN, HIDE),
    "POST /api/v1/party/members/{member_id}/transfer": Row(
        "POST",
        LOGIN,
        DENY,
        allow="party_staff",
        hide=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin superuser"
        ),
    ),
    "GET /api/v1/party/organisations": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "acceptor dispatcher shift_lead callback command_centre "
            "supervisor leader admin party_staff superuser"
        ),
    ),
    "GET /api/v1/party/organisations/{org_id}": Row(
        "GET",
        LOGIN,
        DENY,
        allow="command_centre supervisor leader admin superuser",
        hide="acceptor dispatcher shift_lead callback party_staff",
    ),
    "GET /api/v1/party/organisations/{org_id}/members": Row(
        "GET",
        LOGIN,
        DENY,
        allow="command_centre supervisor leader admin superuser",
        hide="acceptor dispatcher shift_lead callback party_staff",
    ),
    "POST /api/v1/party/organisations/{org_id}/members": Row(
        "POST", LOGIN, DENY, hide="acceptor dispatcher shift_lead callback party_staff"
    ),
    "POST /api/v1/party/organisations/{org_id}/report-in": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/party/report-ins": Row("GET", LOGIN, DENY, allow="party_staff superuser"),
    "POST /api/v1/party/report-ins/me": Row("POST", LOGIN, HIDE),
    "POST /api/v1/party/report-ins/{report_in_id}/confirm": Row(
        "POST", LOGIN, DENY, allow="party_staff"
    ),
    "POST /api/v1/party/report-ins/{report_in_id}/decline": Row(
        "POST", LOGIN, DENY, allow="party_staff"
    ),
    "POST /api/v1/party/report-ins/{report_in_id}/end": Row(
        "POST", LOGIN, DENY, allow="party_staff"
    ),
    "GET /api/v1/photos/{photo_id}": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member api_client"
    ),
    "GET /api/v1/photos/{photo_id}/thumb": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member api_client"
    ),
    "GET /api/v1/photos/{photo_id}/view": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member api_client"
    ),
    "GET /api/v1/points/counter/holder": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/points/counter/items": Row("GET", LOGIN, DENY, allow="organiser"),
    "POST /api/v1/points/counter/redemptions": Row("POST", LOGIN, DENY, allow="organiser"),
    "POST /api/v1/points/counter/redemptions/{redemption_id}/cancel": Row(
        "POST", LOGIN, DENY, hide="organiser"
    ),
    "GET /api/v1/points/items": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "resident volunteer grid_worker grid_head police_officer "
            "building_head party_member superuser"
        ),
    ),
    "GET /api/v1/points/me": Row(
        "GET",
        LOGIN,
        DENY,
        allow=(
            "resident volunteer grid_worker grid_head police_officer "
            "building_head party_member superuser"
        ),
    ),
    "GET /api/v1/points/rules": Row("GET", LOGIN, ALLOW),
    "DELETE /api/v1/points/rules/{kind}": Row("DELETE", LOGIN, DENY, allow="admin superuser"),
    "PUT /api/v1/points/rules/{kind}": Row("PUT", LOGIN, DENY, allow="admin superuser"),
    "POST /api/v1/residents/codes": Row("POST", ALLOW, ALLOW),
    "POST /api/v1/residents/register": Row("POST", ALLOW, ALLOW),
    "POST /api/v1/residents/token": Row("POST", ALLOW, ALLOW),
    "GET /api/v1/smart/cases/{case_id}/duplicates": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member api_client"
    ),
    "GET /api/v1/smart/cases/{case_id}/suggestion": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member api_client"
    ),
    "POST /api/v1/smart/duplicates": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "supervisor dept_handler leader auditor admin api_client "
            "organiser mediator judicial_office legal_adviser"
        ),
    ),
    "POST /api/v1/smart/suggest": Row(
        "POST",
        LOGIN,
        ALLOW,
        deny=(
            "supervisor dept_handler leader auditor admin api_client "
            "organiser mediator judicial_office legal_adviser"
        ),
    ),
    "GET /api/v1/teams/slots": Row("GET", LOGIN, ALLOW),
    "PUT /api/v1/teams/slots": Row("PUT", LOGIN, DENY, allow="command_centre admin superuser"),
    "GET /api/v1/teams/vacancies": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/teams/{grid_code}": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member dept_handler api_client"
    ),
    "DELETE /api/v1/teams/{grid_code}/members": Row(
        "DELETE", LOGIN, ALLOW, hide="resident volunteer party_member dept_handler api_client"
    ),
    "POST /api/v1/teams/{grid_code}/members": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre admin superuser"),
        hide="resident volunteer party_member dept_handler api_client",
    ),
    "GET /api/v1/teams/{grid_code}/shifts": Row(
        "GET", LOGIN, ALLOW, hide="resident volunteer party_member dept_handler api_client"
    ),
    "POST /api/v1/teams/{grid_code}/shifts": Row(
        "POST",
        LOGIN,
        DENY,
        allow=("acceptor dispatcher shift_lead callback command_centre admin superuser"),
        hide="resident volunteer party_member dept_handler api_client",
    ),
    "DELETE /api/v1/teams/{grid_code}/shifts/{shift_id}": Row(
        "DELETE",
        LOGIN,
        DENY,
        hide=(
            "resident volunteer party_member acceptor dispatcher shift_lead "
            "callback command_centre dept_handler admin api_client superuser"
        ),
    ),
    "GET /api/v1/volunteers/activities": Row(
        "GET", LOGIN, DENY, allow="party_staff organiser superuser"
    ),
    "POST /api/v1/volunteers/activities": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/volunteers/activities/near": Row("GET", LOGIN, ALLOW),
    "GET /api/v1/volunteers/activities/{activity_id}": Row(
        "GET",
        LOGIN,
        HIDE,
        allow=("resident volunteer party_member party_staff organiser superuser"),
    ),
    "POST /api/v1/volunteers/activities/{activity_id}/cancel-sign-up": Row("POST", LOGIN, DENY),
    "POST /api/v1/volunteers/activities/{activity_id}/check-in": Row("POST", LOGIN, DENY),
    "POST /api/v1/volunteers/activities/{activity_id}/check-out": Row("POST", LOGIN, DENY),
    "POST /api/v1/volunteers/activities/{activity_id}/sign-up": Row("POST", LOGIN, DENY),
    "GET /api/v1/volunteers/activities/{activity_id}/sign-ups": Row(
        "GET", LOGIN, DENY, allow="party_staff organiser superuser"
    ),
    "POST /api/v1/volunteers/activities/{activity_id}/state/{state}": Row("POST", LOGIN, ALLOW),
    "GET /api/v1/volunteers/me/hours": Row(
        "GET", LOGIN, DENY, allow="resident volunteer party_member superuser"
    ),
    "POST /api/v1/volunteers/organisations": Row("POST", LOGIN, ALLOW),
    "POST /api/v1/volunteers/register": Row(
        "POST", LOGIN, DENY, allow="resident volunteer party_member"
    ),
    "GET /api/v1/volunteers/roster": Row(
        "GET", LOGIN, DENY, allow="party_staff organiser superuser"
    ),
    "POST /api/v1/volunteers/sign-ups/{sign_up_id}/confirm": Row("POST", LOGIN, HIDE),
    "POST /api/v1/volunteers/volunteers/{volunteer_id}/real-name-check": Row(
        "POST", LOGIN, DENY, allow="organiser superuser"
    ),
    "GET /api/v1/workflow": Row("GET", LOGIN, ALLOW),
    # Django's admin: the site's views, and one row per application for its model pages.
    "admin:index": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:login": Row("GET", ALLOW, ALLOW),
    "admin:logout": Row("POST", ALLOW, ALLOW),
    "admin:password_change": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:password_change_done": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:autocomplete": Row("GET", LOGIN, LOGIN, deny="superuser"),
    "admin:jsi18n": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:view_on_site": Row("GET", LOGIN, LOGIN, hide="superuser"),
    "admin:app_list[auth]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[django_tasks_database]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[territory]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[org]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[axes]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[cases]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[notify]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[forwarding]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[party]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[volunteers]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[deliberation]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[mediation]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[insight]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[residents]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:app_list[open311]": Row("GET", LOGIN, LOGIN, allow="superuser"),
    "admin:(?P<url>.*)$": Row("GET", LOGIN, LOGIN, hide="superuser"),
}
