"""The query builder (issue 23): reps run the queries their managers share with them, and the
balance-sheet figures and turnover are need-to-know: sales managers, finance and admins."""

from django.db import migrations

from crm.groups import grant

GRANTS = {
    "sales_rep": ["crm.run_query_builder"],
    "sales_manager": ["partners.view_partnerfinancials"],
    "finance": ["partners.view_partnerfinancials", "crm.run_query_builder"],
    "administrator": ["partners.view_partnerfinancials"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("partners", "0012_contact_responsible"), ("crm", "0009_visibility_sort_key")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
