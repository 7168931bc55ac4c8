"""The quote functions of the default permission groups (``sales/groups.py``)."""

from django.db import migrations

from crm.groups import grant
from sales.groups import QUOTE_GRANTS


def forwards(apps, schema_editor):
    grant(apps, schema_editor, QUOTE_GRANTS)


class Migration(migrations.Migration):
    dependencies = [("sales", "0005_quotes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
