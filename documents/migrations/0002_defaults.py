"""The document functions of the default permission groups (documents.groups)."""

from django.db import migrations

from crm.groups import grant
from documents.groups import DOCUMENT_GRANTS


def forwards(apps, schema_editor):
    grant(apps, schema_editor, DOCUMENT_GRANTS)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial"), ("crm", "0009_visibility_sort_key")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
