# Issue 11 (residents and the outside world): tracking codes (existing cases get one here),
# the reporter's rating and the call-back queue, public classes, approved photos, comment
# photos, the Open311 and anonymous sources, anonymous idempotency records.

import secrets

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import onegrid.cases.tracking

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32 (cases.tracking)


def fill_tracking_codes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Case = apps.get_model("cases", "Case")
    used = set()
    batch = []
    for case in (
        Case.objects.filter(tracking_code__isnull=True).only("pk").iterator(chunk_size=2000)
    ):
        code = "".join(secrets.choice(ALPHABET) for _ in range(10))
        while code in used:
            code = "".join(secrets.choice(ALPHABET) for _ in range(10))
        used.add(code)
        case.tracking_code = code
        batch.append(case)
        if len(batch) >= 2000:
            Case.objects.bulk_update(batch, ["tracking_code"])
            batch = []
    if batch:
        Case.objects.bulk_update(batch, ["tracking_code"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_month_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="tracking_code",
            field=models.CharField(max_length=12, null=True, verbose_name="tracking code"),
        ),
        migrations.RunPython(fill_tracking_codes, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="case",
            name="tracking_code",
            field=models.CharField(
                default=onegrid.cases.tracking.new_code,
                max_length=12,
                unique=True,
                verbose_name="tracking code",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="callback_needed",
            field=models.BooleanField(db_index=True, default=False, verbose_name="to call back"),
        ),
        migrations.AddField(
            model_name="case",
            name="rated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="rated at"),
        ),
        migrations.AddField(
            model_name="caseclass",
            name="public",
            field=models.BooleanField(default=True, verbose_name="shown on the public pages"),
        ),
        migrations.AddField(
            model_name="photo",
            name="approved_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="approved for public pages at"
            ),
        ),
        migrations.AddField(
            model_name="photo",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="photo",
            name="kind",
            field=models.CharField(
                choices=[
                    ("before", "Before"),
                    ("after", "After"),
                    ("check", "On-site check"),
                    ("comment", "Comment"),
                ],
                max_length=7,
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="source",
            field=models.CharField(
                choices=[
                    ("grid_worker", "Grid worker"),
                    ("team", "Grid team member"),
                    ("resident", "Resident"),
                    ("hotline", "12345 hotline"),
                    ("sensor", "Camera/IoT"),
                    ("import", "Import"),
                    ("open311", "Open311 client"),
                    ("public", "Public web form (anonymous)"),
                ],
                max_length=16,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", True)),
                fields=("key",),
                name="idempotency_anonymous_key",
            ),
        ),
    ]
