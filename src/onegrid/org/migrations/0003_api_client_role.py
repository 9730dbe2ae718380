# Issue 11: Role.API_CLIENT, the role an external system's service user holds (Open311 clients).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_teams"),
    ]

    operations = [
        migrations.AlterField(
            model_name="roleassignment",
            name="role",
            field=models.CharField(
                choices=[
                    ("resident", "Resident"),
                    ("volunteer", "Volunteer"),
                    ("grid_worker", "Grid worker"),
                    ("grid_head", "Grid head"),
                    ("police_officer", "Community police officer"),
                    ("building_head", "Building head"),
                    ("party_member", "Party member"),
                    ("acceptor", "Acceptor"),
                    ("dispatcher", "Dispatcher"),
                    ("shift_lead", "Shift lead"),
                    ("callback", "Call-back staff"),
                    ("command_centre", "District command centre"),
                    ("supervisor", "Supervision and assessment"),
                    ("dept_handler", "Department handler"),
                    ("leader", "Leader"),
                    ("auditor", "Data-protection auditor"),
                    ("admin", "Administrator"),
                    ("api_client", "External system (API client)"),
                ],
                max_length=20,
                verbose_name="role",
            ),
        ),
    ]
