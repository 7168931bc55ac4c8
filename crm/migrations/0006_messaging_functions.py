from django.db import migrations

from crm.groups import MESSAGING_GRANTS, grant


def forwards(apps, schema_editor):
    grant(apps, schema_editor, MESSAGING_GRANTS)


class Migration(migrations.Migration):
    dependencies = [("crm", "0005_messaging")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
