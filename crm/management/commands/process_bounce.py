import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from crm.messaging.bounces import process_bounce

# sysexits.h: a temporary failure; the mail server keeps the mail and pipes it again later.
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Reads one bounce (a raw e-mail) from standard input and marks the messages it reports"
        " as bounced. For the mail server: pipe the bounce address (bounce+*@"
        "MESSAGING_BOUNCE_DOMAIN) here. Exits 0 even when the mail concerns no message, and 75"
        " (try again later) only when the database cannot be reached."
    )

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        try:
            marked = process_bounce(raw)
        except (OperationalError, InterfaceError) as exc:
            raise CommandError(
                f"the database cannot be reached; try again later: {exc}".strip(),
                returncode=EX_TEMPFAIL,
            ) from exc
        self.stdout.write(f"{marked} message(s) marked bounced ({len(raw)} bytes read)")
