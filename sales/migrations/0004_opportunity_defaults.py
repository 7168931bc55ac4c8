"""The opportunity functions of the default permission groups (``sales/groups.py``)."""

from django.db import migrations

from crm.groups import grant
from sales.groups import OPPORTUNITY_GRANTS


def forwards(apps, schema_editor):
    grant(apps, schema_editor, OPPORTUNITY_GRANTS)


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_opportunities")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
