"""Demo data for ``make run``. Loading it twice changes nothing.

Rows are found by a natural key and created only when missing, so a demo user whose password
or name was changed keeps the change. Later apps add their own demo data through
``DEMO_LOADERS`` (see ``register``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    last_name: str
    first_name: str
    role: str
    is_superuser: bool = False


DEMO_USERS = [
    DemoUser("admin", "Admin", "Adél", "administrator", is_superuser=True),
    DemoUser("kovacs.anna", "Kovács", "Anna", "sales rep"),
    DemoUser("nagy.peter", "Nagy", "Péter", "sales manager"),
]

DEMO_LOADERS: list[Callable[[], None]] = []


def register(loader: Callable[[], None]) -> None:
    """Apps add their demo data here from ``AppConfig.ready()``; each loader is idempotent."""
    if loader not in DEMO_LOADERS:
        DEMO_LOADERS.append(loader)


def load_users() -> int:
    User = get_user_model()
    created = 0
    for demo in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@demo.example",
                "is_staff": demo.is_superuser,
                "is_superuser": demo.is_superuser,
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
    return created


def load_demo() -> int:
    """Loads every demo data set; returns how many users were created."""
    with transaction.atomic():
        created = load_users()
        for loader in DEMO_LOADERS:
            loader()
    return created
