from django.db import migrations

from crm.groups import grant

ORG = ["company", "membership", "department", "role", "supervisorlink", "user"]

GRANTS = {
    "sales_rep": ["crm.view_company"],
    "sales_manager": ["crm.view_company", "crm.view_user", "crm.export_data",
                      "crm.run_query_builder"],
    "marketing": ["crm.view_company", "crm.export_data"],
    "finance": ["crm.view_company", "crm.export_data", "crm.view_all_company_records"],
    "administrator": [
        *(f"crm.{action}_{model}" for model in ORG for action in ("view", "add", "change",
                                                                  "delete")),
        "auth.view_group", "auth.add_group", "auth.change_group", "auth.delete_group",
        "auth.view_permission",
        "crm.view_all_company_records", "crm.export_data", "crm.run_query_builder",
    ],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
