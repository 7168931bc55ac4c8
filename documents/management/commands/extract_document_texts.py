"""Queues (or, with ``--now``, reads here) the text of every current version whose text is not
in the full-text search yet: after a worker outage, or on a store filled before the search."""

from django.core.management.base import BaseCommand

from documents import texts


class Command(BaseCommand):
    help = "Reads the text of documents not yet in the full-text search."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="read here instead of queueing")

    def handle(self, *args, now=False, **options):
        count = 0
        for pk in texts.pending_versions().values_list("pk", flat=True).iterator():
            if now:
                texts.text_extract(version_id=pk)
            else:
                texts.queue(pk)
            count += 1
        self.stdout.write(f"{count} document texts {'read' if now else 'queued'}.")
