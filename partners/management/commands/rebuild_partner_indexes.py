from django.core.management.base import BaseCommand
from django.db import connection, transaction

from partners.models import OWNER_VISIBILITY_REBUILD
from partners.search_index import REBUILD


class Command(BaseCommand):
    help = (
        "Rebuilds the partners' entries of the visibility index (crm_visibility) and the owners'"
        " search index (partners_searchentry) from the owner rows, the partners and their"
        " contacts. The triggers keep both current; this is a repair tool."
    )

    def handle(self, *args, **options):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(OWNER_VISIBILITY_REBUILD)
            cursor.execute(REBUILD)
            cursor.execute("SELECT count(*) FROM partners_searchentry")
            entries = cursor.fetchone()[0]
        self.stdout.write(f"partners_searchentry: {entries} rows")
