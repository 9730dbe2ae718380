import hashlib
import json

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
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


@csrf_exempt
def bare(request):
    """Intake's baseline (bench_intake): the same multipart report with the same photo, parsed
    by Django, the photo stored through default_storage under its SHA-256 (as the app names
    them) and one row inserted in a transaction; no auth, checks, copies or history."""
    upload = request.FILES["photos"]
    content = upload.read()
    digest = hashlib.sha256(content).hexdigest()
    name = f"bare/{digest[:2]}/{digest}-{request.POST['idempotency_key']}.jpg"
    name = default_storage.save(name, ContentFile(content))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare (name, photo, size, at) VALUES (%s, %s, %s, CURRENT_TIMESTAMP)",
            [request.POST["description"][:200], name, len(content)],
        )
    return JsonResponse({"ok": True, "photo": name}, status=201)


@access.signed_in
def minimal_page(request):
    """The pages' baseline: the signed-in person's bare page frame (web/base.html), no data.

    Same middleware, session and user look-up, context processors (the navigation, which reads
    the person's roles) and base template as every page, with an empty content block.
    """
    return render(request, "web/base.html", {})


urlpatterns = [
    path("bench/minimal", minimal),
    path("bench/bare", bare),
    path("bench/page/", minimal_page),
    *project_urls,
]
