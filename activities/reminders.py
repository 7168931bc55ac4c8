"""Reminders: due ones pop up on every page of their handler (dismiss, or snooze for a while),
and an e-mail with the activity's details goes through the outbox at reminder time.

A user's reminders are those of their own activities in all their companies, like the ICS
feed: a meeting of the other company must still be remembered.

Nothing is lost while the user is away: every due reminder of their open activities that they
have not dismissed (and have not snoozed past now) pops up on the next page they open, however
old it is, until they dismiss or snooze it. A closed activity's reminder does not: closing it
was dealing with it. Only the e-mail has an age limit (``STALE``): after an outage of the
worker, mail about day-old appointments would be noise; the pop-up still shows them.
"""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm.messaging.services import message_queue

from .calendar import waze_url
from .models import Activity, GoogleAccount, GoogleState

TEMPLATE = "activities-reminder"
SNOOZE_MINUTES = (10, 30, 60)
STALE = datetime.timedelta(days=1)  # older reminders are not e-mailed any more (after an outage)
SHOWN = 5  # pop-ups at a time; the panel says how many more wait
COUNTED = 100  # from that many on, "95+ more": the count stays a short index range


def due(user, now: datetime.datetime | None = None):
    """The user's reminders to pop up now, oldest first: due, of an open activity, not
    dismissed, not snoozed past ``now``; however old (the ``activities_reminders_due``
    index holds exactly the undismissed ones of open activities, by owner and time)."""
    now = now or timezone.now()
    return (
        Activity.objects.filter(
            owner=user,
            closed_at__isnull=True,
            remind_at__isnull=False,
            remind_at__lte=now,
            reminder_dismissed_at__isnull=True,
        )
        .exclude(reminder_snoozed_until__gt=now)
        .order_by("remind_at", "pk")
    )


def _panel(request):
    # Two short index ranges of activities_reminders_due, however many reminders wait: the
    # oldest few with what they show, and how many are due in all (counted up to COUNTED).
    now = timezone.now()
    shown = list(due(request.user, now).with_related()[:SHOWN])
    waiting = due(request.user, now).order_by().values("pk")[:COUNTED].count() if shown else 0
    more = max(waiting - len(shown), 0)
    return render(
        request,
        "activities/partials/reminders.html",
        {
            "reminders": shown,
            "more": more,
            "more_text": f"{more}+" if waiting >= COUNTED else str(more),
            "today": timezone.localdate(now).isoformat(),
            "snooze": SNOOZE_MINUTES,
            "google_revoked": GoogleAccount.objects.filter(
                user=request.user, state=GoogleState.REVOKED
            ).exists(),
        },
    )


@login_required
def reminders(request):
    """The pop-ups of the due reminders (polled by every page, see ``crm.shell``)."""
    return _panel(request)


@login_required
@require_POST
def dismiss(request, pk: int):
    activity = get_object_or_404(Activity, pk=pk, owner=request.user)
    activity.reminder_dismissed_at = timezone.now()
    activity.save(update_fields=["reminder_dismissed_at"])
    return _panel(request)


@login_required
@require_POST
def snooze(request, pk: int):
    activity = get_object_or_404(Activity, pk=pk, owner=request.user)
    raw = request.POST.get("minutes", "")
    minutes = int(raw) if raw.isdigit() and int(raw) in SNOOZE_MINUTES else SNOOZE_MINUTES[0]
    activity.reminder_snoozed_until = timezone.now() + datetime.timedelta(minutes=minutes)
    activity.save(update_fields=["reminder_snoozed_until"])
    return _panel(request)


CLAIM = """
    UPDATE activities_activity SET reminder_emailed_at = %(now)s
    WHERE id IN (
        SELECT id FROM activities_activity
        WHERE remind_at <= %(now)s AND remind_at > %(stale)s
          AND closed_at IS NULL AND reminder_emailed_at IS NULL
        ORDER BY remind_at
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


def reminders_email(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Queues the e-mail of every due reminder not e-mailed yet. Each activity is claimed with
    SKIP LOCKED in the same transaction as its message, so two workers never send one twice,
    and the idempotency key (activity and reminder time) makes a rerun harmless."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(CLAIM, {"now": now, "stale": now - STALE, "limit": limit})
            ids = [row[0] for row in cursor.fetchall()]
        rows = Activity.objects.filter(pk__in=ids).with_related().select_related("company")
        for activity in rows:
            if not activity.owner.email:
                continue
            place = activity.place or (activity.partner.address if activity.partner_id else "")
            message_queue(
                channel="email",
                recipient=activity.owner.email,
                company=activity.company,
                owner=activity.owner,
                template=TEMPLATE,
                context={
                    "activity": activity,
                    "contact": activity.contact.full_name if activity.contact else "",
                    "start": timezone.localtime(activity.starts_at),
                    "place": place,
                    "waze": waze_url(place) if place else "",
                    "url": settings.SITE_URL + reverse("activities:detail", args=[activity.pk]),
                },
                about=activity,
                idempotency_key=f"{TEMPLATE}:{activity.pk}:{activity.remind_at.isoformat()}",
            )
    return len(ids)
