from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("onegrid.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("onegrid.web.urls")),
]
