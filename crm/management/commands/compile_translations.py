from django.core.management.base import BaseCommand

from crm.i18n import compile_catalogues


class Command(BaseCommand):
    help = "Compiles locale/*/LC_MESSAGES/*.po to .mo (like compilemessages, without gettext)."

    def handle(self, *args, **options):
        for path in compile_catalogues():
            self.stdout.write(f"compiled {path}")
