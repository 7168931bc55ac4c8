"""The day each partner lost its last future event (issue 22, item 3), kept in
``NextEventLapse``: the day it appears on its owners' "no next event" list, from which the
take-away day (a calendar month later) is counted.

- a write that takes away a partner's last future event (closing, moving into the past or
  deleting it) records that day at once;
- planning a next event clears the record;
- a nightly pass (``lapses_reconcile``, before the release) records the partners whose last
  future event simply passed, with the day its activities tell (``discipline.LOST_AT``), and
  clears those that have one again. Running it twice changes nothing.

A task without a partner (an internal one) concerns no partner: a NULL partner never matches.
"""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .discipline import FUTURE_EVENT, LOST_AT
from .models import Activity, Kind

_PAIR = "(SELECT %(partner)s::bigint AS partner_id, %(company)s::bigint AS company_id) o"

_CLEAR_ONE = f"""
    DELETE FROM activities_nexteventlapse l
    USING {_PAIR}
    WHERE l.partner_id = o.partner_id AND l.company_id = o.company_id AND {FUTURE_EVENT}
"""  # noqa: S608 - constant SQL, values bound
# Lost now: the day is today, whatever an older (stale) record said.
_LOST_TODAY = f"""
    INSERT INTO activities_nexteventlapse (partner_id, company_id, since)
    SELECT o.partner_id, o.company_id, %(today)s FROM {_PAIR} WHERE NOT {FUTURE_EVENT}
    ON CONFLICT (partner_id, company_id) DO UPDATE SET since = EXCLUDED.since
"""  # noqa: S608 - constant SQL, values bound
_RECONCILE_CLEAR = f"""
    DELETE FROM activities_nexteventlapse o WHERE {FUTURE_EVENT}
"""  # noqa: S608 - constant SQL, values bound
_RECONCILE_ADD = f"""
    INSERT INTO activities_nexteventlapse (partner_id, company_id, since)
    SELECT o.partner_id, o.company_id, ({LOST_AT} AT TIME ZONE %(tz)s)::date
    FROM (SELECT DISTINCT partner_id, company_id FROM partners_partnerowner) o
    WHERE NOT {FUTURE_EVENT}
      AND NOT EXISTS (
          SELECT 1 FROM activities_nexteventlapse l
          WHERE l.partner_id = o.partner_id AND l.company_id = o.company_id
      )
    ON CONFLICT (partner_id, company_id) DO NOTHING
"""  # noqa: S608 - constant SQL, values bound


def _params(now: datetime.datetime | None = None, **extra) -> dict:
    now = now or timezone.now()
    return {"now": now, "today": timezone.localdate(now), "tz": settings.TIME_ZONE, **extra}


def is_future_event(activity: Activity, *, now: datetime.datetime | None = None) -> bool:
    """Whether the activity is a next event of its partner now (``FUTURE_EVENT`` in Python):
    open, and starting later or, for a task, due today or later."""
    now = now or timezone.now()
    if activity.partner_id is None or activity.closed_at is not None or activity.pk is None:
        return False
    if activity.starts_at is not None and activity.starts_at >= now:
        return True
    return activity.kind == Kind.TASK and bool(
        activity.deadline and activity.deadline >= timezone.localdate(now)
    )


def lapse_follow(*, partner_id: int | None, company_id: int, was_future: bool) -> None:
    """After a write on one of the partner's activities, in the write's transaction: clear
    the record if the partner has a future event, record today if the write took away its
    last one. (A race with a parallel write is put right by the nightly pass.)"""
    if partner_id is None:
        return
    params = _params(partner=partner_id, company=company_id)
    with connection.cursor() as cursor:
        cursor.execute(_CLEAR_ONE, params)
        if was_future:
            cursor.execute(_LOST_TODAY, params)


def lapses_reconcile(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """The nightly pass: (records cleared, records added). Idempotent."""
    params = _params(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_RECONCILE_CLEAR, params)
        cleared = cursor.rowcount
        cursor.execute(_RECONCILE_ADD, params)
        return cleared, cursor.rowcount
