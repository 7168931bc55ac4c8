"""Discipline the system enforces (issue 6, item 8), on the one Hungarian working-day calendar:

- **forced closure**: a user with the function ``activities.must_close_meetings`` whose meeting
  ended more than ``ACTIVITIES_CLOSE_MEETINGS_WITHIN`` working days ago and is still open can
  do nothing but close such meetings (``ForcedClosureMiddleware``);
- **next steps**: every partner owned by a user with ``activities.must_plan_next_event``
  should have a future event: an open activity that starts later, or an open task whose
  deadline is still ahead. Those without one are listed on the owner's home page, and after
  ``ACTIVITIES_IDLE_PARTNER_DAYS`` without one the owner loses the partner
  (``release_idle_partners``, nightly).
"""

import contextlib
import datetime
import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from crm.access import prefetched
from crm.prepared import prepared_cursor
from crm.workdays import add_working_days

from .models import Activity, Kind, Outcome

CLOSE_FUNCTION = "activities.must_close_meetings"
NEXT_EVENT_FUNCTION = "activities.must_plan_next_event"


@functools.lru_cache(maxsize=8)
def last_overdue_end_day(today: datetime.date, within: int) -> datetime.date:
    """The latest day a meeting may have ended on and be overdue ``today``: more than
    ``within`` working days have passed since. With 2: on a Wednesday, a meeting of the
    previous Friday is overdue, Monday's is not yet (Tuesday and Wednesday are its two)."""
    day = today - datetime.timedelta(days=1)
    while add_working_days(day, within) >= today:
        day -= datetime.timedelta(days=1)
    return day


def overdue_meetings(user, *, now: datetime.datetime | None = None):
    """The user's open meetings that ended more than the allowed working days ago (as
    handler, in any of their companies), oldest first."""
    now = now or timezone.now()
    within = settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN
    last_day = last_overdue_end_day(timezone.localdate(now), within)
    limit = timezone.make_aware(
        datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
    )
    return Activity.objects.filter(
        owner=user, kind=Kind.MEETING, closed_at__isnull=True, ends_at__lt=limit
    ).order_by("ends_at", "pk")


# Whether a user has overdue meetings, asked on every page: kept in the shared cache for a
# minute, and forgotten whenever an activity of the user is saved or deleted (activities.apps).
OVERDUE_SECONDS = 60


def overdue_key(user_id: int) -> str:
    day, within = timezone.localdate().isoformat(), settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN
    return f"activities:overdue:{user_id}:{day}:{within}"


def has_overdue_meetings(user) -> bool:
    key = overdue_key(user.pk)
    asked, known = prefetched(user, key)  # read with the request's user (crm.access)
    if not asked:
        try:
            known = cache.get(key)
        except Exception:  # noqa: BLE001 - without the cache, ask the database
            known = None
    if known is not None:
        return known
    answer = overdue_meetings(user).exists()
    with contextlib.suppress(Exception):
        cache.set(key, answer, OVERDUE_SECONDS)
    return answer


def forget_overdue(user_id: int) -> None:
    with contextlib.suppress(Exception):
        cache.delete(overdue_key(user_id))


def must_close_first(user) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and not user.is_superuser
        and user.has_perm(CLOSE_FUNCTION)
        and has_overdue_meetings(user)
    )


# A partner has a future event when an open activity of its company starts later, or an open
# task's deadline is today or later.
FUTURE_EVENT = """
    EXISTS (
        SELECT 1 FROM activities_activity a
        WHERE a.partner_id = o.partner_id AND a.company_id = o.company_id
          AND a.closed_at IS NULL
          AND (a.starts_at >= %(now)s OR a.deadline >= %(today)s)
    )
"""


# A rep's own partners come in name order from the visibility index (crm_visibility, whose
# sort key is the partner's name): the first idle ones are found after a handful of rows.
_BY_VISIBILITY = f"""
    SELECT o.record_id, o.sort_key FROM crm_visibility o
    WHERE o.viewer_id = %(user)s AND o.tab = %(tab)s AND o.company_id = %(company)s
      AND o.sort_key IS NOT NULL AND NOT {FUTURE_EVENT.replace("o.partner_id", "o.record_id")}
    ORDER BY o.sort_key, o.record_id LIMIT %(limit)s
"""  # noqa: S608 - constant SQL, values bound
# Anybody else's owned partners (a manager sees more than they own): from the owner rows.
_BY_OWNER = f"""
    SELECT p.id, p.name FROM partners_partnerowner o
    JOIN partners_partner p ON p.id = o.partner_id
    WHERE o.company_id = %(company)s AND o.user_id = %(user)s AND NOT {FUTURE_EVENT}
    ORDER BY p.name, p.id LIMIT %(limit)s
"""  # noqa: S608 - constant SQL, values bound


def partners_without_next_event(user, company_id: int, *, limit: int = 20):
    """(partners as (id, name), count capped at ``limit`` + 1): the user's partners in the
    company without a future event, by name, in one index-driven query."""
    from crm.scoping import scope_for, table_id
    from partners.models import Partner

    params = {
        "company": company_id,
        "user": user.pk,
        "now": timezone.now(),
        "today": timezone.localdate(),
        "limit": limit + 1,
        "tab": table_id(Partner),
    }
    scope = scope_for(user, Partner, "view")
    # Without subordinates or shares, the user's visible partners are exactly their own.
    own_only = scope.owner_ids == frozenset({user.pk}) and scope.granted is None
    own_only = own_only and scope.company_id == company_id
    # The rep's statement is the same index walk whatever the values, so it is prepared
    # (crm.prepared); the owner rows' plan depends on how many the user owns.
    with prepared_cursor() if own_only else connection.cursor() as cursor:
        cursor.execute(_BY_VISIBILITY if own_only else _BY_OWNER, params)
        rows = cursor.fetchall()
    return rows[:limit], len(rows)


def next_event_users() -> list[int]:
    """The active users who must keep a future event for each of their partners."""
    users = get_user_model().objects.with_perm(
        NEXT_EVENT_FUNCTION,
        include_superusers=False,
        backend="crm.access.CachingModelBackend",
    )
    return list(users.filter(is_active=True).values_list("pk", flat=True))


# The owner rows idle for too long: no future event, and the last event (or the start of the
# ownership, if later) older than the allowed idle time. Cancelled activities do not count.
IDLE_OWNERS = f"""
    SELECT o.id, o.partner_id, o.company_id, o.user_id
    FROM partners_partnerowner o
    WHERE o.user_id = ANY(%(users)s)
      AND o.created_at < %(since)s
      AND NOT {FUTURE_EVENT}
      AND NOT EXISTS (
          SELECT 1 FROM activities_activity a
          WHERE a.partner_id = o.partner_id AND a.company_id = o.company_id
            AND a.outcome <> '{Outcome.CANCELLED}'
            AND a.starts_at >= %(since)s
      )
    ORDER BY o.id
"""  # noqa: S608 - constant SQL, values bound


def idle_owner_rows(*, now: datetime.datetime | None = None) -> list[tuple[int, int, int, int]]:
    """(owner row, partner, company, user) of every partner left too long without an event."""
    now = now or timezone.now()
    users = next_event_users()
    if not users:
        return []
    params = {
        "users": users,
        "now": now,
        "today": timezone.localdate(now),
        "since": now - datetime.timedelta(days=settings.ACTIVITIES_IDLE_PARTNER_DAYS),
    }
    with connection.cursor() as cursor:
        cursor.execute(IDLE_OWNERS, params)
        return cursor.fetchall()
