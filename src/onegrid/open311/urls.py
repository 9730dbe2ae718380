"""/open311/v2/…: each resource ends with .json or .xml (GeoReport v2's format suffix)."""

from django.urls import path, re_path

from . import views

app_name = "open311"
F = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + F, views.discovery, name="discovery"),
    re_path(r"^services" + F, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + F, views.service_definition, name="service"),
    re_path(r"^requests" + F, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[^/]+?)" + F, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + F, views.token, name="token"),
    re_path(r"^servicerequestupdates" + F, views.updates, name="updates"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]
