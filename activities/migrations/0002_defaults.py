"""Default functions of the permission groups, activity types, task names and message
templates (``activities/defaults.py``). Admins change all of them freely afterwards."""

from django.db import migrations

from activities.defaults import ensure_defaults
from activities.groups import ACTIVITY_GRANTS
from crm.groups import grant


def forwards(apps, schema_editor):
    grant(apps, schema_editor, ACTIVITY_GRANTS)
    ensure_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial"), ("partners", "0002_defaults")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
