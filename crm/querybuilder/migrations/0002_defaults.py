"""The query builder's functions of the default permission groups (saved queries for sales
managers, marketing, finance and administrators; reps see those shared with them and may run
the builder; schedules for sales managers and administrators) and the e-mail of a scheduled
report (``crm/querybuilder/defaults.py``). Admins change both freely afterwards."""

from django.db import migrations

from crm.groups import grant
from crm.querybuilder.defaults import QUERYBUILDER_GRANTS, ensure_templates


def forwards(apps, schema_editor):
    grant(apps, schema_editor, QUERYBUILDER_GRANTS)
    ensure_templates(apps)


class Migration(migrations.Migration):
    dependencies = [("querybuilder", "0001_initial"), ("crm", "0009_visibility_sort_key")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
