from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "visibility_sort_key.sql").read_text()

# Entries without a key stay out of the index; apps fill the keys of their existing entries in
# their own migrations (partners: 0006).
INDEX = """
CREATE INDEX IF NOT EXISTS crm_visibility_sorted
    ON crm_visibility (viewer_id, tab, company_id, sort_key, record_id)
    WHERE sort_key IS NOT NULL;
"""

REVERSE = """
DROP INDEX IF EXISTS crm_visibility_sorted;
ALTER TABLE crm_visibility DROP COLUMN IF EXISTS sort_key;
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_visibility_owner_in_key")]

    operations = [migrations.RunSQL(SQL, REVERSE), migrations.RunSQL(INDEX, "")]
