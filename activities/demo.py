"""Demo activities for ``make run``: for the partners the demo reps own, calls and meetings
that went well or not, meetings and calls ahead, open tasks (one overdue), and a few partners
left without a next step for the home page. One rep, Molnár Dávid, has a meeting from a week
ago still open, to show forced closure. Loading it twice changes nothing."""

import datetime
import random

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import Company
from partners.models import PartnerOwner

from .defaults import ensure_defaults
from .models import Activity, ActivityType, Outcome, TaskName
from .services import activity_close, activity_create

REPS = ["kovacs.anna", "toth.balazs", "horvath.zsofia", "varga.mate", "molnar.david"]
LOCKED = "molnar.david"
SUBJECTS = {
    "call": ["Bemutatkozó hívás", "Ajánlat utánkövetése", "Időpont egyeztetése"],
    "meeting": ["Termékbemutató", "Éves keretszerződés", "Helyszíni felmérés"],
    "email": ["Árlista elküldve", "Visszaigazolás"],
}


def _at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def load_activities() -> None:
    if Activity.objects.exists():
        return
    ensure_defaults(django_apps)
    company = Company.objects.order_by("pk").first()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=REPS)}
    if company is None or not users:
        return
    types = {t.code: t for t in ActivityType.objects.all()}
    tasks = list(TaskName.objects.all())
    rng = random.Random(6)  # noqa: S311 - demo data, not security
    rows = PartnerOwner.objects.filter(company=company, user__username__in=REPS).select_related(
        "partner", "user"
    )
    for index, row in enumerate(rows.order_by("partner__name")[:60]):
        user, partner = row.user, row.partner
        contact = partner.contacts.first()

        def make(code, days, hour, subject=None, _row=(user, partner, contact), **fields):
            owner, at, person = _row
            activity = Activity(
                type=types[code],
                partner=at,
                contact=person,
                subject=subject or rng.choice(SUBJECTS.get(code, ["Egyeztetés"])),
                starts_at=_at(days, hour),
                place=at.address if code == "meeting" else "",
                **fields,
            )
            return activity_create(user=owner, activity=activity)

        past = make("call", -rng.randint(5, 40), 10)
        activity_close(
            user=user,
            activity=past,
            outcome=rng.choice([Outcome.SUCCESSFUL, Outcome.SUCCESSFUL, Outcome.UNSUCCESSFUL]),
            result_notes="Érdeklődnek, ajánlatot kérnek.",
            expected_version=past.version,
        )
        if index % 5 == 4:
            continue  # no next step: listed on the owner's home page
        if index % 3 == 0:
            make("meeting", rng.randint(1, 20), rng.choice([9, 10, 13, 14]))
        elif index % 3 == 1:
            make("call", rng.randint(0, 10), rng.choice([9, 11, 15]))
        else:
            late = index % 4 == 2
            make(
                "task",
                -2 if late else 0,
                8,
                subject=str(tasks[index % len(tasks)]) if tasks else "Feladat",
                task_name=tasks[index % len(tasks)] if tasks else None,
                deadline=timezone.localdate()
                + datetime.timedelta(days=-1 if index % 4 == 2 else 5),
            )
    locked = users.get(LOCKED)
    owned = PartnerOwner.objects.filter(company=company, user=locked).select_related("partner")
    first = owned.first() if locked else None
    if first is not None:
        activity_create(
            user=locked,
            activity=Activity(
                type=types["meeting"],
                partner=first.partner,
                subject="Tárgyalás – eredmény még nincs rögzítve",
                starts_at=_at(-7, 10),
                place=first.partner.address,
            ),
        )
