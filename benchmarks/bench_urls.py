import json

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from onegrid.config.urls import urlpatterns as project_urls
from onegrid.web import access


@csrf_exempt
def minimal(request):
    """The baseline: parse a small JSON body and answer, with the same middleware stack."""
    body = json.loads(request.body or b"{}")
    return JsonResponse({"ok": True, "echo": body.get("n")}, status=201)


@access.signed_in
def minimal_page(request):
    """The pages' baseline: the signed-in person's bare page frame (web/base.html), no data.

    Same middleware, session and user look-up, context processors (the navigation, which reads
    the person's roles) and base template as every page, with an empty content block.
    """
    return render(request, "web/base.html", {})


urlpatterns = [
    path("bench/minimal", minimal),
    path("bench/page/", minimal_page),
    *project_urls,
]
