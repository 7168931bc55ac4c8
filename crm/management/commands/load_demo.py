from django.core.management.base import BaseCommand

from crm.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = (
        "Loads the demo data (organisation and sample records). Running it again changes nothing."
    )

    def handle(self, *args, **options):
        created = load_demo()
        self.stdout.write(
            f"Demo data: {created} new user(s); password of every demo login: {DEMO_PASSWORD}"
        )
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.username:<15} {demo.role}; {', '.join(demo.companies)}")
