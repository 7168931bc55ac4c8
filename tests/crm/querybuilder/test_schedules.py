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
from tests.access import build_org, check_access

from .saved_fixtures import ensure_querybuilder_defaults

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


# --- the run, with the engine, the outbox and a real SMTP server ---------------------------


def _workbook_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _attachments(smtp_server) -> dict[str, list]:
    """Per recipient address: the rows of the XLSX they received."""
    out = {}
    for mail in smtp_server.parsed():
        parts = list(mail.iter_attachments())
        out[str(mail["To"])] = _workbook_rows(parts[0].get_content()) if parts else None
    return out


SPEC = {
    "base": "partners",
    "columns": ["name", "owner", "created_at"],
    "filter": {"any": False, "items": []},
    "sort": [{"field": "name", "desc": False}],
}


@pytest.fixture
def weekly(org, data):
    ensure_querybuilder_defaults()
    query = SavedQuery.objects.create(
        name="Partnereim", spec=SPEC, owner=org.supervisor, company=org.company
    )
    made = ScheduledReport.objects.create(
        saved_query=query,
        company=org.company,
        frequency=Frequency.WEEKLY,
        weekday=timezone.localdate().weekday(),
        created_by=org.supervisor,
    )
    made.recipients.set([org.owner, org.peer, org.other_company_user])
    return made


def test_each_recipient_gets_their_own_rows_once(weekly, org, smtp_server):
    assert reports_send_due() == 2  # the other company's manager is not a member here
    while services.deliver():
        pass
    received = _attachments(smtp_server)
    assert set(received) == {org.owner.email, org.peer.email}
    owner_rows, peer_rows = received[org.owner.email], received[org.peer.email]
    assert owner_rows[0] == ("Név", "Felelős", "Létrehozva")  # in the site's language
    assert [r[0] for r in owner_rows[1:]] == ["Gödöllői Fa Bt.", "Pesti Gép Kft."]  # sorted
    assert {r[1] for r in owner_rows[1:]} == {str(org.owner)}
    assert [r[0] for r in peer_rows[1:]] == ["Szegedi Szerszám Zrt."]
    assert isinstance(owner_rows[1][2], datetime.datetime)  # a date cell, not text
    mail = smtp_server.parsed()[0]
    assert "Partnereim" in mail["Subject"]
    weekly.refresh_from_db()
    assert weekly.last_sent_on == timezone.localdate()

    # the second run of the day, and one that forgot it sent: nothing twice
    assert reports_send_due() == 0
    ScheduledReport.objects.filter(pk=weekly.pk).update(last_sent_on=None)
    before = Message.objects.count()
    reports_send_due()
    while services.deliver():
        pass
    assert Message.objects.count() == before
    assert len(smtp_server.messages) == 2


def test_a_query_a_recipient_may_not_run_says_so_without_a_file(weekly, org, smtp_server):
    """The turnover needs a function reps lack: their mail tells why, with no attachment."""
    SavedQuery.objects.filter(pk=weekly.saved_query_id).update(
        spec={**SPEC, "columns": ["name", "turnover"]}
    )
    weekly.recipients.set([org.owner])
    assert reports_send_due() == 1
    services.deliver()
    mail = smtp_server.parsed()[0]
    assert not list(mail.iter_attachments())
    assert "nem futott le" in mail.get_body(("plain",)).get_content()


def test_the_task_runs_the_due_reports(weekly, org, smtp_server, eager):
    from crm.querybuilder.tasks import send_scheduled_reports

    send_scheduled_reports.delay()
    assert Message.objects.filter(idempotency_key__startswith="querybuilder-").count() == 2


def test_a_long_result_is_cut_at_the_limit_and_the_mail_says_so(weekly, org, smtp_server, settings):
    settings.QUERYBUILDER_SCHEDULED_MAX_ROWS = 1
    weekly.recipients.set([org.owner])
    reports_send_due()
    services.deliver()
    rows = _attachments(smtp_server)[org.owner.email]
    assert [r[0] for r in rows[1:]] == ["Gödöllői Fa Bt."]
    assert "az első 1" in smtp_server.parsed()[0].get_body(("plain",)).get_content()


def test_a_file_over_the_outbox_limit_is_left_out_and_the_mail_says_so(
    weekly, org, smtp_server, settings
):
    settings.MESSAGING_MAX_BYTES = 4_000  # the mail fits (~2 kB), the workbook (~5 kB) does not
    weekly.recipients.set([org.owner])
    assert reports_send_due() == 1
    services.deliver()
    mail = smtp_server.parsed()[0]
    assert not list(mail.iter_attachments())
    assert "MB" in mail.get_body(("plain",)).get_content()


# --- the schedules page -----------------------------------------------------------------------


@pytest.fixture
def query(org):
    ensure_querybuilder_defaults()
    return SavedQuery.objects.create(
        name="Partnereim", spec=SPEC, owner=org.supervisor, company=org.company
    )


def test_a_manager_schedules_a_query_for_two_reps(client, org, query):
    from django.urls import reverse

    client.force_login(org.supervisor)
    url = reverse("querybuilder:saved_schedules", args=[query.pk])
    assert 'data-testid="schedule-form"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "frequency": "weekly",
            "weekday": "0",
            "day_of_month": "12",
            "recipients": [org.owner.pk, org.peer.pk],
            "active": "on",
        },
    )
    assert response.status_code == 302
    made = ScheduledReport.objects.get(saved_query=query)
    assert (made.company, made.created_by, made.weekday, made.day_of_month) == (
        org.company,
        org.supervisor,
        0,
        None,
    )
    assert set(made.recipients.all()) == {org.owner, org.peer}
    page = client.get(url).content.decode()
    assert str(org.peer) in page and 'data-testid="schedule"' in page


def test_a_recipient_of_another_company_or_a_monthly_without_day_is_refused(client, org, query):
    from django.urls import reverse

    client.force_login(org.supervisor)
    url = reverse("querybuilder:saved_schedules", args=[query.pk])
    for data in (
        {"frequency": "weekly", "weekday": "0", "recipients": [org.other_company_user.pk]},
        {"frequency": "monthly", "recipients": [org.owner.pk]},
    ):
        assert client.post(url, data).status_code == 200
    assert not ScheduledReport.objects.exists()


def test_schedules_page_access(client, org, query):
    from django.urls import reverse

    check_access(
        client,
        org,
        reverse("querybuilder:saved_schedules", args=[query.pk]),
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
    )


def test_schedule_delete_access(client, org, query):
    from django.urls import reverse

    def fresh_schedule():
        made = ScheduledReport.objects.create(
            saved_query=query,
            company=org.company,
            frequency="weekly",
            weekday=0,
            created_by=org.supervisor,
        )
        return reverse("querybuilder:saved_schedule_delete", args=[made.pk]), made

    outcome = check_access(
        client,
        org,
        fresh_schedule,
        method="post",
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
    )
    assert outcome["boss"] == 403  # a manager of the company sees it, did not make it
    assert outcome["other_company_user"] == 404


def test_a_report_that_breaks_does_not_stop_the_others(weekly, org, smtp_server, monkeypatch):
    from crm.querybuilder import schedules

    other = ScheduledReport.objects.create(
        saved_query=weekly.saved_query,
        company=org.company,
        frequency=Frequency.WEEKLY,
        weekday=weekly.weekday,
        created_by=org.supervisor,
    )
    other.recipients.set([org.owner])
    real = schedules.report_send

    def flaky(report_id, **kwargs):
        if report_id == weekly.pk:
            raise RuntimeError("the database went away")
        return real(report_id, **kwargs)

    monkeypatch.setattr(schedules, "report_send", flaky)
    assert reports_send_due() == 1
    weekly.refresh_from_db()
    assert weekly.last_sent_on is None  # tried again at the next run
