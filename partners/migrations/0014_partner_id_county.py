"""A partner's county by its id, read from an index alone (an index-only scan): the query
builder's "… of partners in Pest county" tests the partner of every activity it walks, 5,700
of them for a manager's page of 50 on the benchmark's data (issue 23). Built concurrently, so
that a large partner table stays writable meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("partners", "0013_query_builder_grants"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="partner",
            index=models.Index(
                fields=["id"], include=("county",), name="partners_partner_id_county"
            ),
        ),
    ]
