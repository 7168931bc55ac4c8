from django.db import migrations

ROLES = [("preparer", "Előkészítő"), ("reviewer", "Ellenőrző"), ("approver", "Jóváhagyó")]


def forwards(apps, schema_editor):
    Role = apps.get_model("crm", "Role")
    for code, name in ROLES:
        Role.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_visibility")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
