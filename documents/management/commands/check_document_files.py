"""Reports document versions whose file is missing from storage (a committed document must
never point at a missing file); exits with status 1 when there is any. ``--orphans`` also
lists the stored files under ``documents/`` that no version names (what a rolled-back upload
or a trash emptied while the store was down left behind; ``--delete-orphans`` deletes those
older than ``--older-than`` minutes, 60 by default)."""

import datetime

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from documents.models import DocumentVersion
from documents.storage import storage_errors


def stored_folders(storage, folder: str = "documents"):
    """(folder, file names) of every folder below ``folder``, depth first."""
    directories, files = storage.listdir(folder)
    yield folder, files
    for directory in sorted(directories):
        yield from stored_folders(storage, f"{folder}/{directory}")


class Command(BaseCommand):
    help = (
        "Lists document versions whose file is missing from storage (and files no version names)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orphans", action="store_true", help="list files no version names")
        parser.add_argument(
            "--delete-orphans",
            action="store_true",
            help="delete the files no version names that are older than --older-than",
        )
        parser.add_argument(
            "--older-than",
            type=int,
            default=60,
            help="minutes: younger files may belong to an upload in flight (default 60)",
        )

    def handle(self, *args, **options):
        try:
            missing = self.missing()
            orphans = 0
            if options["orphans"] or options["delete_orphans"]:
                orphans = self.orphans(
                    delete=options["delete_orphans"], minutes=options["older_than"]
                )
        except storage_errors() as error:
            raise CommandError(f"The file store cannot be reached: {error}") from None
        if missing:
            raise CommandError(f"{missing} stored file(s) missing.")
        self.stdout.write("Every document version has its file.")
        if orphans and not options["delete_orphans"]:
            raise CommandError(f"{orphans} stored file(s) that no version names.")

    def missing(self) -> int:
        missing = 0
        versions = DocumentVersion.objects.order_by("pk").values_list(
            "pk", "document_id", "number", "file"
        )
        for pk, document_id, number, name in versions.iterator(chunk_size=2000):
            if not default_storage.exists(name):
                missing += 1
                self.stdout.write(f"document {document_id} version {number} (#{pk}): {name}")
        return missing

    def orphans(self, *, delete: bool, minutes: int) -> int:
        found = 0
        limit = timezone.now() - datetime.timedelta(minutes=minutes)
        try:
            folders = list(stored_folders(default_storage))
        except FileNotFoundError:
            return 0
        for folder, files in folders:
            names = [f"{folder}/{name}" for name in files]
            known = set(
                DocumentVersion.objects.filter(file__in=names).values_list("file", flat=True)
            )
            for name in names:
                if name in known:
                    continue
                found += 1
                if delete and default_storage.get_modified_time(name) < limit:
                    default_storage.delete(name)
                    self.stdout.write(f"deleted, no version names it: {name}")
                else:
                    self.stdout.write(f"no version names it: {name}")
        return found
