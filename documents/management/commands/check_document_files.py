"""Reports document versions whose file is missing from storage (a committed document must
never point at a missing file); exits with status 1 when there is any."""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from documents.models import DocumentVersion
from documents.storage import storage_errors


class Command(BaseCommand):
    help = "Lists document versions whose file is missing from storage."

    def handle(self, *args, **options):
        missing = 0
        versions = DocumentVersion.objects.order_by("pk").values_list(
            "pk", "document_id", "number", "file"
        )
        for pk, document_id, number, name in versions.iterator(chunk_size=2000):
            try:
                found = default_storage.exists(name)
            except storage_errors() as error:
                raise CommandError(f"The file store cannot be reached: {error}") from None
            if not found:
                missing += 1
                self.stdout.write(f"document {document_id} version {number} (#{pk}): {name}")
        if missing:
            raise CommandError(f"{missing} stored file(s) missing.")
        self.stdout.write("Every document version has its file.")
