"""Discipline the system enforces (issue 6, item 8; issue 22, items 2 and 3), on the one
Hungarian working-day calendar:

- **forced closure**: "2 working days after the meeting, if it is not yet closed, the system
  lets the user do nothing else but close this meeting". A meeting's block moment is
  ``ACTIVITIES_CLOSE_MEETINGS_WITHIN`` working days after its end, at the same time of day
  (``block_moment``); from then on a user with the function ``activities.must_close_meetings``
  can do nothing but close it (``ForcedClosureMiddleware``);
- **next steps**: every partner owned by a user with ``activities.must_plan_next_event``
  should have a future event: an open activity that starts later, or an open task whose
  deadline is still ahead. Those without one are listed on the owner's home page from the day
  they lost it (``activities.lapses``), with the day they are taken away: one calendar month
  later (``release_idle_partners``, nightly).
"""

import contextlib
import datetime
import math

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from crm.access import prefetched
from crm.prepared import prepared_cursor
from crm.workdays import add_working_days, is_working_day

from .models import Activity, Kind

CLOSE_FUNCTION = "activities.must_close_meetings"
NEXT_EVENT_FUNCTION = "activities.must_plan_next_event"


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def block_moment(ends_at: datetime.datetime, within: int | None = None) -> datetime.datetime:
    """When a meeting that ended at ``ends_at`` and is still open blocks its handler:
    ``within`` working days later at the same local time of day (Monday 10:00 -> Wednesday
    10:00). A meeting that ended on a day off counts from the start of the next working day
    (Saturday 15:00 -> Wednesday 0:00). Later ends never block earlier."""
    within = settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN if within is None else within
    local = timezone.localtime(ends_at)
    day, time = local.date(), local.time()
    if not is_working_day(day):
        day, time = add_working_days(day, 1), datetime.time.min
    return _at(add_working_days(day, within), time)


def overdue_limit(now: datetime.datetime, within: int | None = None) -> datetime.datetime:
    """The latest end of a meeting that blocks at ``now`` (``block_moment(end) <= now`` exactly
    when ``end <= overdue_limit(now)``): block moments fall on working days only, so on a day
    off the limit is that of the end of the last working day."""
    within = settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN if within is None else within
    local = timezone.localtime(now)
    today = local.date()
    if is_working_day(today):
        return _at(add_working_days(today, -within), local.time())
    last_working = add_working_days(today, -1)
    return _at(add_working_days(last_working, -within), datetime.time.max)


def overdue_meetings(user, *, now: datetime.datetime | None = None):
    """The user's open meetings whose block moment has come (as handler, in any of their
    companies), oldest first."""
    limit = overdue_limit(now or timezone.now())
    return Activity.objects.filter(
        owner=user, kind=Kind.MEETING, closed_at__isnull=True, ends_at__lte=limit
    ).order_by("ends_at", "pk")


def closed_under_block(activity: Activity) -> bool:
    """Whether a closed meeting was closed only after it had blocked its handler: its
    follow-up may still be planned from the closing page while others block."""
    return (
        activity.kind == Kind.MEETING
        and activity.closed_at is not None
        and activity.ends_at is not None
        and activity.closed_at >= block_moment(activity.ends_at)
    )


# Whether a user has overdue meetings, asked on every page. The shared cache keeps the moment
# the user's earliest open meeting blocks (or "never"), not a yes/no: a cached "no" turns into
# "yes" at the exact moment without asking the database again. Read in the same round trip as
# the access generation (activities.apps), kept for a minute, and forgotten whenever an
# activity of the user is saved or deleted.
OVERDUE_SECONDS = 60
NEVER = math.inf


def overdue_key(user_id: int) -> str:
    return f"activities:blocks-at:{user_id}:{settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN}"


def first_block_moment(user) -> float:
    """The timestamp at which the user's earliest open meeting blocks them (``NEVER`` without
    one): block moments follow the order of the ends, so the earliest end is enough."""
    first_end = Activity.objects.filter(
        owner=user, kind=Kind.MEETING, closed_at__isnull=True, ends_at__isnull=False
    ).aggregate(first=Min("ends_at"))["first"]
    return NEVER if first_end is None else block_moment(first_end).timestamp()


def has_overdue_meetings(user, *, now: datetime.datetime | None = None) -> bool:
    key = overdue_key(user.pk)
    asked, known = prefetched(user, key)  # read with the request's user (crm.access)
    if not asked:
        try:
            known = cache.get(key)
        except Exception:  # noqa: BLE001 - without the cache, ask the database
            known = None
    if known is None:
        known = first_block_moment(user)
        with contextlib.suppress(Exception):
            cache.set(key, known, OVERDUE_SECONDS)
    return known <= (now or timezone.now()).timestamp()


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
# task's deadline is today or later. (A NULL partner never matches: internal tasks do not
# count for any partner.)
FUTURE_EVENT = """
    EXISTS (
        SELECT 1 FROM activities_activity a
        WHERE a.partner_id = o.partner_id AND a.company_id = o.company_id
          AND a.closed_at IS NULL
          AND (a.starts_at >= %(now)s OR a.deadline >= %(today)s)
    )
"""

# The moment a partner (of the company) lost its last future event, as far as its activities
# tell: each activity planned ahead stopped being a future event when it was closed, or when
# its start (and a task's deadline day) passed, whichever came first. Activities logged after
# the fact (created when they were no longer ahead) never were one. Deleted and moved ones
# leave no trace here: their day is recorded when it happens (activities.lapses).
LOST_AT = """
    (SELECT max(LEAST(COALESCE(a.closed_at, u.until), u.until))
     FROM activities_activity a
     CROSS JOIN LATERAL (
         SELECT GREATEST(
             a.starts_at, ((a.deadline + 1)::timestamp AT TIME ZONE %(tz)s)
         ) AS until
     ) u
     WHERE a.partner_id = o.partner_id AND a.company_id = o.company_id
       AND a.created_at < LEAST(COALESCE(a.closed_at, u.until), u.until))
"""
# The day a partner appeared on its owner's list: the recorded day it lost its last future
# event (or, before the nightly pass recorded it, the day its activities tell), but not before
# the owner got it.
LISTED_ON = f"""
    GREATEST(
        COALESCE(
            (SELECT l.since FROM activities_nexteventlapse l
             WHERE l.partner_id = o.partner_id AND l.company_id = o.company_id),
            ({LOST_AT} AT TIME ZONE %(tz)s)::date
        ),
        (o.created_at AT TIME ZONE %(tz)s)::date
    )
"""  # noqa: S608 - constant SQL, values bound

TAKEN_AFTER = relativedelta(months=1)


def take_away_day(listed_on: datetime.date) -> datetime.date:
    """The day a partner listed without a next event on ``listed_on`` goes to the owner's
    supervisor if none is planned meanwhile: one calendar month later (31 January -> 28
    February)."""
    return listed_on + TAKEN_AFTER


# A rep's own partners come in name order from the visibility index (crm_visibility, whose
# sort key is the partner's name): the first idle ones are found after a handful of rows. The
# listing day is read for those rows only, from the rep's owner row.
_BY_VISIBILITY = f"""
    SELECT v.record_id, v.sort_key, (
        SELECT {LISTED_ON} FROM partners_partnerowner o
        WHERE o.partner_id = v.record_id AND o.company_id = v.company_id
          AND o.user_id = v.viewer_id
        ORDER BY o.created_at LIMIT 1
    )
    FROM crm_visibility v
    WHERE v.viewer_id = %(user)s AND v.tab = %(tab)s AND v.company_id = %(company)s
      AND v.sort_key IS NOT NULL
      AND NOT {FUTURE_EVENT.replace("o.partner_id", "v.record_id").replace("o.company_id", "v.company_id")}
    ORDER BY v.sort_key, v.record_id LIMIT %(limit)s
"""  # noqa: S608, E501 - constant SQL, values bound
# Anybody else's owned partners (a manager sees more than they own): from the owner rows.
_BY_OWNER = f"""
    SELECT p.id, p.name, {LISTED_ON} FROM partners_partnerowner o
    JOIN partners_partner p ON p.id = o.partner_id
    WHERE o.company_id = %(company)s AND o.user_id = %(user)s AND NOT {FUTURE_EVENT}
    ORDER BY p.name, p.id LIMIT %(limit)s
"""  # noqa: S608 - constant SQL, values bound


def partners_without_next_event(user, company_id: int, *, limit: int = 20):
    """(partners as (id, name, take-away day), count capped at ``limit`` + 1): the user's
    partners in the company without a future event, by name, in one index-driven query."""
    from crm.scoping import scope_for, table_id
    from partners.models import Partner

    params = {
        "company": company_id,
        "user": user.pk,
        "now": timezone.now(),
        "today": timezone.localdate(),
        "tz": settings.TIME_ZONE,
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
    today = params["today"]
    partners = [
        (pk, name, take_away_day(listed_on or today)) for pk, name, listed_on in rows[:limit]
    ]
    return partners, len(rows)


def next_event_users() -> list[int]:
    """The active users who must keep a future event for each of their partners."""
    users = get_user_model().objects.with_perm(
        NEXT_EVENT_FUNCTION,
        include_superusers=False,
        backend="crm.access.CachingModelBackend",
    )
    return list(users.filter(is_active=True).values_list("pk", flat=True))


# The owner rows of partners without a future event, with the day each appeared on its
# owner's list, from those listed at least four weeks ago (the month is checked in Python).
IDLE_OWNERS = f"""
    SELECT id, partner_id, company_id, user_id, listed_on FROM (
        SELECT o.id, o.partner_id, o.company_id, o.user_id, {LISTED_ON} AS listed_on
        FROM partners_partnerowner o
        WHERE o.user_id = ANY(%(users)s) AND NOT {FUTURE_EVENT}
    ) idle
    WHERE listed_on <= %(listed_by)s
    ORDER BY id
"""  # noqa: S608 - constant SQL, values bound


def idle_owner_rows(*, now: datetime.datetime | None = None) -> list[tuple]:
    """(owner row, partner, company, user, listed on) of every partner whose take-away day has
    come: listed without a next event a calendar month ago or earlier, and still without."""
    now = now or timezone.now()
    users = next_event_users()
    if not users:
        return []
    today = timezone.localdate(now)
    params = {
        "users": users,
        "now": now,
        "today": today,
        "tz": settings.TIME_ZONE,
        "listed_by": today - datetime.timedelta(days=28),
    }
    with connection.cursor() as cursor:
        cursor.execute(IDLE_OWNERS, params)
        rows = cursor.fetchall()
    return [row for row in rows if take_away_day(row[4]) <= today]
