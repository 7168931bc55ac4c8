from django.db import migrations

from crm.groups import CORE_GRANTS, grant


def forwards(apps, schema_editor):
    grant(apps, schema_editor, CORE_GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
