from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from crm.scoping import ScopedModel


class Command(BaseCommand):
    help = (
        "Rebuilds the visibility index (crm_visibility) of every scoped table from the records"
        " and the supervisor hierarchy. The triggers keep it current; this is a repair tool."
    )

    def handle(self, *args, **options):
        for model in apps.get_models():
            if not issubclass(model, ScopedModel):
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT crm_visibility_rebuild(%s::regclass)", [model._meta.db_table]
                )
                written = cursor.fetchone()[0]
            self.stdout.write(f"{model._meta.label}: {written} rows")
