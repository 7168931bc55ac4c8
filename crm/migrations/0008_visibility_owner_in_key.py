from django.db import migrations

# A record with several owners (a partner) has one visibility entry per owner a viewer sees it
# by, so that removing one owner leaves the entries that come from the others.
SQL = """
ALTER TABLE crm_visibility DROP CONSTRAINT crm_visibility_pkey,
    ADD PRIMARY KEY (viewer_id, tab, company_id, record_id, owner_id);
"""
REVERSE = """
DELETE FROM crm_visibility a USING crm_visibility b
WHERE a.viewer_id = b.viewer_id AND a.tab = b.tab AND a.company_id = b.company_id
  AND a.record_id = b.record_id AND a.owner_id > b.owner_id;
ALTER TABLE crm_visibility DROP CONSTRAINT crm_visibility_pkey,
    ADD PRIMARY KEY (viewer_id, tab, company_id, record_id);
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0007_message_indexes")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
