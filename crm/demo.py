"""Demo data for ``make run``. Loading it twice changes nothing.

Rows are found by a natural key and created only when missing, so a demo user whose password
or name was changed keeps the change. Later apps add their own demo data through
``register`` (each loader idempotent the same way).

The demo organisation: in the first own company a sales director over two sales managers, each
with two sales reps, and one more rep who reports to both managers; in the second company one
manager with two reps; plus a marketing user, a finance user and an administrator.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .groups import DEFAULT_GROUPS, ensure_default_groups
from .models import Company, Membership, SupervisorLink

DEMO_PASSWORD = "demo"

FIRST = "Példa Kereskedelmi Kft."
SECOND = "Példa Szolgáltató Zrt."
DEMO_COMPANIES = [
    (FIRST, "10773381-2-44", "01-09-123456"),
    (SECOND, "12345676-2-41", "13-10-654321"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    last_name: str
    first_name: str
    role: str
    companies: tuple[str, ...]
    groups: tuple[str, ...]
    supervisors: tuple[str, ...] = ()
    is_superuser: bool = False


DEMO_USERS = [
    DemoUser(
        "admin",
        "Admin",
        "Adél",
        "administrator",
        (FIRST, SECOND),
        ("administrator",),
        is_superuser=True,
    ),
    DemoUser("szabo.gabor", "Szabó", "Gábor", "sales director", (FIRST,), ("sales_manager",)),
    DemoUser(
        "nagy.peter",
        "Nagy",
        "Péter",
        "sales manager",
        (FIRST,),
        ("sales_manager",),
        ("szabo.gabor",),
    ),
    DemoUser(
        "kiss.eszter",
        "Kiss",
        "Eszter",
        "sales manager",
        (FIRST,),
        ("sales_manager",),
        ("szabo.gabor",),
    ),
    DemoUser(
        "kovacs.anna", "Kovács", "Anna", "sales rep", (FIRST,), ("sales_rep",), ("nagy.peter",)
    ),
    DemoUser(
        "toth.balazs", "Tóth", "Balázs", "sales rep", (FIRST,), ("sales_rep",), ("nagy.peter",)
    ),
    DemoUser(
        "horvath.zsofia",
        "Horváth",
        "Zsófia",
        "sales rep",
        (FIRST,),
        ("sales_rep",),
        ("kiss.eszter",),
    ),
    DemoUser(
        "varga.mate", "Varga", "Máté", "sales rep", (FIRST,), ("sales_rep",), ("kiss.eszter",)
    ),
    DemoUser(
        "molnar.david",
        "Molnár",
        "Dávid",
        "sales rep (reports to both managers)",
        (FIRST,),
        ("sales_rep",),
        ("nagy.peter", "kiss.eszter"),
    ),
    DemoUser("farkas.judit", "Farkas", "Judit", "sales manager", (SECOND,), ("sales_manager",)),
    DemoUser(
        "balogh.adam", "Balogh", "Ádám", "sales rep", (SECOND,), ("sales_rep",), ("farkas.judit",)
    ),
    DemoUser(
        "papp.reka", "Papp", "Réka", "sales rep", (SECOND,), ("sales_rep",), ("farkas.judit",)
    ),
    DemoUser("lakatos.nora", "Lakatos", "Nóra", "marketing", (FIRST, SECOND), ("marketing",)),
    DemoUser("simon.laszlo", "Simon", "László", "finance", (FIRST, SECOND), ("finance",)),
]

DEMO_LOADERS: list[Callable[[], None]] = []


def register(loader: Callable[[], None]) -> None:
    """Apps add their demo data here from ``AppConfig.ready()``; each loader is idempotent."""
    if loader not in DEMO_LOADERS:
        DEMO_LOADERS.append(loader)


def load_organisation() -> int:
    """The demo companies, users, memberships, groups and supervisors; returns new users."""
    User = get_user_model()
    companies = {}
    for name, tax_number, registration in DEMO_COMPANIES:
        companies[name], _ = Company.objects.get_or_create(
            name=name, defaults={"tax_number": tax_number, "registration_number": registration}
        )
    ensure_default_groups()
    groups = {key: Group.objects.get(name=name) for key, name in DEFAULT_GROUPS.items()}
    users, created = {}, 0
    for demo in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@demo.example",
                # Marketing keeps tags, attribute definitions and message templates in the
                # administration screens, which need the staff flag beside the functions.
                "is_staff": demo.is_superuser or "marketing" in demo.groups,
                "is_superuser": demo.is_superuser,
                "current_company": companies[demo.companies[0]],
            },
        )
        users[demo.username] = user
        if not was_created:
            continue
        created += 1
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for company in demo.companies:
            Membership.objects.get_or_create(user=user, company=companies[company])
        user.groups.add(*(groups[key] for key in demo.groups))
        # Supervisors come earlier in DEMO_USERS than the people they supervise.
        for supervisor in demo.supervisors:
            SupervisorLink.objects.get_or_create(user=user, supervisor=users[supervisor])
    return created


def load_demo() -> int:
    """Loads every demo data set; returns how many users were created."""
    with transaction.atomic():
        created = load_organisation()
        for loader in DEMO_LOADERS:
            loader()
    return created
