"""Scheduled reports: when they fall due, and the daily run through the real outbox and a
real SMTP server (aiosmtpd on loopback): each recipient gets an XLSX of their own rows, once."""

import datetime
import io

import pytest
from django.conf import settings
from django.utils import timezone

from crm.messaging import services
from crm.messaging.models import Message
from crm.querybuilder.models import Frequency, SavedQuery, ScheduledReport
from crm.querybuilder.schedules import due_on, is_due, reports_send_due
from tests.access import build_org

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 12, 7)


def report(**kwargs) -> ScheduledReport:
    """An unsaved report for the date arithmetic."""
    defaults = {"frequency": Frequency.WEEKLY, "weekday": 0, "active": True}
    defaults.update(kwargs)
    made = ScheduledReport(**defaults)
    made.created_at = timezone.make_aware(datetime.datetime(2026, 1, 1))
    return made


@pytest.mark.parametrize(
    ("kwargs", "today", "expected"),
    [
        ({"weekday": 0}, MONDAY, MONDAY),
        ({"weekday": 0}, MONDAY + datetime.timedelta(days=3), MONDAY),
        ({"weekday": 4}, MONDAY, MONDAY - datetime.timedelta(days=3)),
        ({"frequency": Frequency.MONTHLY, "day_of_month": 1}, MONDAY, datetime.date(2026, 12, 1)),
        ({"frequency": Frequency.MONTHLY, "day_of_month": 7}, MONDAY, MONDAY),
        (
            {"frequency": Frequency.MONTHLY, "day_of_month": 28},
            datetime.date(2026, 3, 5),
            datetime.date(2026, 2, 28),
        ),
        (
            {"frequency": Frequency.MONTHLY, "day_of_month": 15},
            datetime.date(2026, 1, 3),
            datetime.date(2025, 12, 15),
        ),
    ],
)
def test_due_on_is_the_latest_scheduled_day(kwargs, today, expected):
    assert due_on(report(**kwargs), today) == expected


def test_is_due_once_per_period_and_not_before_it_was_made():
    weekly = report(weekday=0)
    assert is_due(weekly, MONDAY)
    weekly.last_sent_on = MONDAY
    assert not is_due(weekly, MONDAY)
    assert not is_due(weekly, MONDAY + datetime.timedelta(days=6))
    assert is_due(weekly, MONDAY + datetime.timedelta(days=7))
    # a missed Monday is sent on Tuesday
    weekly.last_sent_on = MONDAY - datetime.timedelta(days=7)
    assert is_due(weekly, MONDAY + datetime.timedelta(days=1))
    # made on a Wednesday: the first report is next Monday's
    fresh = report(weekday=0)
    fresh.created_at = timezone.make_aware(datetime.datetime(2026, 12, 9, 10))
    assert not is_due(fresh, datetime.date(2026, 12, 10))
    assert is_due(fresh, datetime.date(2026, 12, 14))
    assert not is_due(report(weekday=0, active=False), MONDAY)


def test_a_report_needs_its_day():
    from django.core.exceptions import ValidationError

    org = build_org()
    query = SavedQuery.objects.create(name="Q", owner=org.supervisor, company=org.company)
    with pytest.raises(ValidationError):
        ScheduledReport(saved_query=query, company=org.company, frequency="monthly").full_clean()


def test_the_beat_runs_the_task_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["querybuilder-send-scheduled-reports"]
    assert entry["task"] == "querybuilder.send_scheduled_reports"
    from crm.celery import app

    app.loader.import_default_modules()
    assert "querybuilder.send_scheduled_reports" in app.tasks


# --- the run, with the engine ---------------------------------------------------------------


def _workbook_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _sent_attachments(smtp_server) -> dict[str, bytes]:
    out = {}
    for mail in smtp_server.parsed():
        for part in mail.iter_attachments():
            out[mail["To"]] = part.get_content()
    return out


__all__ = ["Message", "_sent_attachments", "_workbook_rows", "reports_send_due", "services"]
