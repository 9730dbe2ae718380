from django.urls import path

from .views import (
    account,
    addresses,
    bigscreen,
    case,
    community,
    console,
    deliberation,
    deliberation_ballots,
    deliberation_decisions,
    field,
    governance_measures,
    hotspots,
    inbox,
    layer_codes,
    layers,
    legal_advice,
    live_map,
    measures,
    mediation,
    mediation_agreement,
    mediation_ledgers,
    notifications,
    organiser,
    participation,
    party,
    party_centres,
    points,
    public,
    public_decisions,
    report_ins,
    reports,
    resident,
    resident_deliberation,
    resident_report,
    risks,
    screening,
    teams,
    volunteering,
    work_calendar,
)

app_name = "web"

urlpatterns = [
    path("", account.home, name="home"),
    path("login/", account.sign_in, name="login"),
    path("logout/", account.sign_out, name="logout"),
    path("account/", account.account, name="account"),
    path("console/", console.queue, name="console"),
    path("console/layers/", layers.overview, name="layers"),
    path("console/layers/check/", layers.check, name="layers_check"),
    path("console/layers/check.geojson", layers.check_report, name="layers_check_report"),
    path("console/layers/fuse/", layers.fuse, name="layers_fuse"),
    path("console/layers/layer/<str:level>.geojson", layers.layer_geojson, name="layers_layer"),
    path("console/layers/export/<str:level>.<str:fmt>", layers.export, name="layers_export"),
    path("console/layers/proposals/<str:key>/", layers.proposal, name="layers_proposal"),
    path(
        "console/layers/proposals/<str:key>.geojson",
        layers.proposal_geojson,
        name="layers_proposal_geojson",
    ),
    path("console/layers/proposals/<str:key>/apply/", layers.apply, name="layers_apply"),
    path("console/layers/codes/", layer_codes.codes, name="layers_codes"),
    path("console/layers/codes/<str:key>/", layer_codes.coded, name="layers_coded"),
    path(
        "console/layers/codes/<str:key>.geojson",
        layer_codes.coded_geojson,
        name="layers_coded_geojson",
    ),
    path(
        "console/layers/codes/<str:key>/import/",
        layer_codes.import_coded,
        name="layers_coded_import",
    ),
    path("inbox/", inbox.inbox, name="inbox"),
    path("cases/<str:ref>/", case.case_page, name="case"),
    path("cases/<str:ref>/act/<str:action>/", case.case_action, name="case_action"),
    path("map/", live_map.map_page, name="map"),
    path("map/grids.json", live_map.grid_layer, name="map_grids"),
    path("map/live.json", live_map.live, name="map_live"),
    path("map/grid/<str:code>.json", live_map.grid_detail, name="map_grid"),
    path("field/", field.home, name="field"),
    path("field/manifest.webmanifest", field.manifest, name="field_manifest"),
    path("field/sw.js", field.service_worker, name="field_sw"),
    path("field/tasks/", field.tasks, name="field_tasks"),
]
# Team and address pages keep their route lists beside their views.
urlpatterns += teams.routes + addresses.routes + work_calendar.routes
urlpatterns += measures.routes + bigscreen.routes
urlpatterns += participation.routes
urlpatterns += governance_measures.routes
urlpatterns += reports.routes
urlpatterns += party.routes
urlpatterns += hotspots.routes
urlpatterns += public.routes
urlpatterns += notifications.routes
urlpatterns += resident.routes + resident_report.routes
urlpatterns += community.routes
urlpatterns += volunteering.routes + organiser.routes
urlpatterns += party_centres.routes + report_ins.routes
urlpatterns += points.routes
urlpatterns += mediation.routes
urlpatterns += mediation_agreement.routes
urlpatterns += mediation_ledgers.routes
urlpatterns += screening.routes + risks.routes + legal_advice.routes
urlpatterns += deliberation.routes + resident_deliberation.routes
urlpatterns += deliberation_decisions.routes + public_decisions.routes
urlpatterns += deliberation_ballots.routes
