import datetime

import onegrid.core.clock
from django.db import migrations, models


class Migration(migrations.Migration):
    """Rule.created_at: a rule forwards the steps taken from its making on. Rules made before
    this migration keep forwarding everything the scan has not read yet (an old date)."""

    dependencies = [
        ("forwarding", "0001_targets_rules_forwards"),
    ]

    operations = [
        migrations.AddField(
            model_name="rule",
            name="created_at",
            field=models.DateTimeField(
                default=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
                editable=False,
                verbose_name="created at",
            ),
        ),
        migrations.AlterField(
            model_name="rule",
            name="created_at",
            field=models.DateTimeField(
                default=onegrid.core.clock.now, editable=False, verbose_name="created at"
            ),
        ),
    ]
