import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from onegrid.config.urls import urlpatterns as project_urls


@csrf_exempt
def minimal(request):
    """The baseline: parse a small JSON body and answer, with the same middleware stack."""
    body = json.loads(request.body or b"{}")
    return JsonResponse({"ok": True, "echo": body.get("n")}, status=201)


urlpatterns = [path("bench/minimal", minimal), *project_urls]
