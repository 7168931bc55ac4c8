"""The catalogue's functions for the default permission groups (``sales/groups.py``)."""

from django.db import migrations

from crm.groups import grant
from sales.groups import CATALOGUE_GRANTS


def forwards(apps, schema_editor):
    grant(apps, schema_editor, CATALOGUE_GRANTS)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_catalogue"), ("partners", "0002_defaults")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
