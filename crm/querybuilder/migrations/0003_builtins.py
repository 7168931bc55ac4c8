"""The shipped saved queries (``crm/querybuilder/builtins.py``): partners by status and owner,
activities per rep per week, partners without a next event, open tasks by assignee,
observations by product. Admins change or delete them freely afterwards."""

from django.db import migrations

from crm.querybuilder.builtins import ensure_builtins


def forwards(apps, schema_editor):
    ensure_builtins(apps)


class Migration(migrations.Migration):
    dependencies = [("querybuilder", "0002_defaults")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
