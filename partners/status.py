"""Partner status per own company: potential, active, inactive. Computed, never typed.

Active: an order, contract or turnover within the last ``PARTNERS_ACTIVE_MONTHS`` months;
inactive: some before but none within; potential: none ever. The rule reads ``BusinessEvent``
rows only; the sales and ERP apps feed them with ``record_business_event``, which also refreshes
the partner at once. The nightly task ``partners.tasks.refresh_statuses`` moves partners whose
last event has just left the period.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import BusinessEvent

LOCK_KEY = 720_501  # pg_advisory_xact_lock key of the refresh: one run at a time


def period_start(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    months = settings.PARTNERS_ACTIVE_MONTHS
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    day = min(today.day, 28)
    return datetime.date(year, month, day)


def record_business_event(
    *,
    partner,
    company,
    kind: str,
    occurred_on: datetime.date,
    source: str,
    reference: str,
    amount: Decimal | int = 0,
    description: str = "",
) -> BusinessEvent:
    """Records (or corrects, by ``source`` + ``reference``) an order, contract or turnover, and
    refreshes the partner's status in that company. Safe to call twice."""
    with transaction.atomic():
        event, _created = BusinessEvent.objects.update_or_create(
            company=company,
            source=source,
            reference=reference,
            defaults={
                "partner": partner,
                "kind": kind,
                "occurred_on": occurred_on,
                "amount": amount,
                "description": description[:300],
            },
        )
        refresh_statuses(company_id=company.pk, partner_ids=[partner.pk])
    return event


_REFRESH = """
WITH facts AS (
    SELECT partner_id, company_id, max(occurred_on) AS last_on,
           count(*) FILTER (WHERE occurred_on >= %(since)s) AS period_events,
           coalesce(sum(amount) FILTER (WHERE occurred_on >= %(since)s
                                         AND kind = 'turnover'), 0) AS period_turnover
    FROM partners_businessevent
    WHERE {where}
    GROUP BY partner_id, company_id
)
INSERT INTO partners_partnerstatus
    (partner_id, company_id, status, last_event_on, period_turnover, period_events, computed_at)
SELECT partner_id, company_id,
       CASE WHEN last_on >= %(since)s THEN 'active' ELSE 'inactive' END,
       last_on, period_turnover, period_events, now()
FROM facts
ON CONFLICT (partner_id, company_id) DO UPDATE SET
    status = EXCLUDED.status, last_event_on = EXCLUDED.last_event_on,
    period_turnover = EXCLUDED.period_turnover, period_events = EXCLUDED.period_events,
    computed_at = EXCLUDED.computed_at
WHERE (partners_partnerstatus.status, partners_partnerstatus.last_event_on,
       partners_partnerstatus.period_turnover, partners_partnerstatus.period_events)
  IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.last_event_on, EXCLUDED.period_turnover,
                    EXCLUDED.period_events)
"""

# Status rows whose partner has no event left (deleted or moved events) go back to potential.
_ORPHANS = """
DELETE FROM partners_partnerstatus s
WHERE {where_s} AND NOT EXISTS (
    SELECT 1 FROM partners_businessevent e
    WHERE e.partner_id = s.partner_id AND e.company_id = s.company_id)
"""


def refresh_statuses(
    *, company_id: int | None = None, partner_ids: list[int] | None = None, today=None
) -> int:
    """Recomputes statuses in set-based SQL: for the given partners, or (nightly) for every
    partner with events. Returns the number of status rows written."""
    params = {"since": period_start(today)}
    where, where_s = ["true"], ["true"]
    if company_id is not None:
        params["company"] = company_id
        where.append("company_id = %(company)s")
        where_s.append("s.company_id = %(company)s")
    if partner_ids is not None:
        params["partners"] = list(partner_ids)
        where.append("partner_id = ANY(%(partners)s)")
        where_s.append("s.partner_id = ANY(%(partners)s)")
    with transaction.atomic(), connection.cursor() as cursor:
        if partner_ids is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(_REFRESH.format(where=" AND ".join(where)), params)
        written = cursor.rowcount
        cursor.execute(_ORPHANS.format(where_s=" AND ".join(where_s)), params)
    return written


def forget_business_event(*, company_id: int, source: str, reference: str) -> int:
    """Withdraws the event ``source`` + ``reference`` (a cancelled order or invoice) and
    refreshes its partner's status in that company (back to inactive or potential when it was
    the only one). Safe to call twice; returns the number of events removed."""
    with transaction.atomic():
        events = BusinessEvent.objects.filter(
            company_id=company_id, source=source, reference=reference
        )
        partner_ids = list(events.values_list("partner_id", flat=True))
        removed, _details = events.delete()
        if partner_ids:
            refresh_statuses(company_id=company_id, partner_ids=partner_ids)
    return removed
