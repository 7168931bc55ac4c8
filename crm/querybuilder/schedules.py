"""Scheduled reports: a saved query sent as XLSX to chosen users weekly or monthly through the
messaging outbox, each recipient getting their own rows (the query is built as them, in the
report's company).

Idempotent by construction: a report's due day is the latest scheduled day up to today
(``due_on``); each recipient's mail carries the key report/recipient/day, so a second run (or
two workers at once: the report row is claimed with SKIP LOCKED) sends nothing twice; a day
missed while the worker was down is sent at the next run.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from crm.messaging.models import Message
from crm.scoping import company_ids

from .defaults import SCHEDULED_TEMPLATE
from .models import Frequency, ScheduledReport

logger = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2_000


def max_rows() -> int:
    return getattr(settings, "QUERYBUILDER_SCHEDULED_MAX_ROWS", 50_000)


# --- when -----------------------------------------------------------------------------------


def due_on(report: ScheduledReport, today: datetime.date) -> datetime.date | None:
    """The latest day up to ``today`` the report is scheduled for."""
    if report.frequency == Frequency.WEEKLY:
        if report.weekday is None:
            return None
        return today - datetime.timedelta(days=(today.weekday() - report.weekday) % 7)
    if report.day_of_month is None:
        return None
    if today.day >= report.day_of_month:
        return today.replace(day=report.day_of_month)
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    return last_month.replace(day=report.day_of_month)  # 1-28: every month has it


def is_due(report: ScheduledReport, today: datetime.date) -> bool:
    """Scheduled for a day up to today that has not been sent yet, and not before the report
    was made (a new report starts at its next scheduled day)."""
    day = due_on(report, today)
    if day is None or not report.active:
        return False
    if report.last_sent_on is not None and report.last_sent_on >= day:
        return False
    made = timezone.localdate(report.created_at) if report.created_at else today
    return day >= made


def period_label(report: ScheduledReport, day: datetime.date) -> str:
    if report.frequency == Frequency.WEEKLY:
        year, week, _weekday = day.isocalendar()
        return _("week %(week)s of %(year)s") % {"week": week, "year": year}
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def idempotency_key(report_id: int, recipient_id: int, day: datetime.date) -> str:
    return f"{SCHEDULED_TEMPLATE}:{report_id}:{recipient_id}:{day.isoformat()}"


# --- the file -------------------------------------------------------------------------------


def _plain(value):
    """A value a spreadsheet cell takes: an aware datetime in local time without its zone."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def result_rows(built, limit: int):
    """The built query's rows as spreadsheet values, in the query's order, in chunks
    (``prepare`` once a chunk)."""
    columns = built.columns
    queryset = built.queryset
    if not built.grouped and built.order:  # a row list's sort keys are annotations
        queryset = queryset.order_by(*built.order)
    rows = queryset[:limit].iterator(chunk_size=CHUNK)
    chunk: list = []

    def flush():
        built.prepare(chunk)
        for row in chunk:
            yield [
                _plain(built.export_value(value, column))
                for value, column in zip(row, columns, strict=False)
            ]

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def xlsx_bytes(built, title: str, *, limit: int) -> tuple[bytes, int, bool]:
    """The result as XLSX: (the file, how many rows it holds, whether it was cut at
    ``limit``). The export's writer (``exports``: forints, yes/no, auto-filter) when it is
    there, else ``crm.spreadsheets``."""
    counted = {"rows": 0, "more": False}

    def counting(rows):
        for number, row in enumerate(rows, start=1):
            if number > limit:
                counted["more"] = True
                break
            counted["rows"] = number
            yield row

    try:
        from . import exports
    except ImportError:
        exports = None
    if exports is not None and hasattr(exports, "export_rows"):
        output, _count = exports.xlsx_file(
            built, title=title, rows=counting(exports.export_rows(built))
        )
    else:
        from crm.spreadsheets import xlsx_file

        header = [str(column.label) for column in built.columns]
        output = xlsx_file(
            title,
            header,
            counting(result_rows(built, limit + 1)),
            date_format=formats.get_format("SHORT_DATE_FORMAT"),
        )
    try:
        content = output.read()
    finally:
        output.close()
    return content, counted["rows"], counted["more"]


# --- sending --------------------------------------------------------------------------------


def _as_member_of(recipient, company_id: int):
    """The recipient working in ``company_id`` (in memory only), or None if not a member."""
    if company_id not in company_ids(recipient):
        return None
    recipient.current_company_id = company_id
    return recipient


def _filename(name: str, day: datetime.date) -> str:
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip() or "report"
    return f"{safe[:80]}-{day.isoformat()}.xlsx"


def send_one(report: ScheduledReport, recipient, day: datetime.date) -> Message | None:
    """Queues the report of ``day`` to one recipient, built with their visibility."""
    from .engine import QueryError, build
    from .saved_views import builder_url

    key = idempotency_key(report.pk, recipient.pk, day)
    if not recipient.email or not recipient.is_active:
        return None
    existing = Message.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    runner = _as_member_of(recipient, report.company_id)
    if runner is None:
        logger.info("report %s: %s is not a member of its company", report.pk, recipient.pk)
        return None
    query = report.saved_query
    context = {
        "recipient": recipient,
        "query": query.name,
        "description": query.description,
        "period": period_label(report, day),
        "rows": 0,
        "truncated": False,
        "filters": [],
        "error": "",
        "url": settings.SITE_URL + builder_url(query.pk),
    }
    attachments = ()
    try:
        built = build(query.spec, runner, params=report.params or None)  # its own values
    except QueryError as err:
        part = str(getattr(err, "part", "") or "")
        context["error"] = f"{part}: {err}" if part else str(err)
    else:
        context["filters"] = [str(line) for line in built.describe()]
        content, rows, more = xlsx_bytes(built, query.name, limit=max_rows())
        context["rows"], context["truncated"] = rows, more
        attachments = ((_filename(query.name, day), content, XLSX_TYPE),)
    from crm.messaging.services import message_queue

    def queue(attachments):
        return message_queue(
            channel="email",
            recipient=recipient.email,
            company=report.company,
            owner=recipient,
            created_by=report.created_by,
            template=SCHEDULED_TEMPLATE,
            context=context,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            about=report,
            idempotency_key=key,
            attachments=attachments,
        )

    try:
        try:
            return queue(attachments)
        except ValidationError as error:
            if error.code != "too_big" or not attachments:
                raise
            # over the outbox's size limit: the mail says so and points to the CRM
            context["error"] = str(error.message)
            context["rows"] = 0
            return queue(())
    except ValidationError as error:
        logger.warning("report %s to %s not queued: %s", report.pk, recipient.pk, error.messages)
        return None


def report_send(report_id: int, *, today: datetime.date | None = None) -> int:
    """Sends one report if it is due (claimed with SKIP LOCKED, so two runs never overlap);
    returns how many messages it queued or found queued already."""
    today = today or timezone.localdate()
    with transaction.atomic():
        report = (
            ScheduledReport.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("saved_query", "company", "created_by")
            .filter(pk=report_id, active=True)
            .first()
        )
        if report is None or not is_due(report, today):
            return 0
        day = due_on(report, today)
        sent = 0
        with translation.override(settings.LANGUAGE_CODE):
            for recipient in report.recipients.filter(is_active=True).order_by("pk"):
                sent += send_one(report, recipient, day) is not None
        report.last_sent_on = day
        report.save(update_fields=["last_sent_on"])
    return sent


def reports_send_due(*, today: datetime.date | None = None) -> int:
    """Every due report (the daily beat task). Returns the messages queued."""
    today = today or timezone.localdate()
    candidates = ScheduledReport.objects.filter(active=True).select_related("saved_query")
    total = 0
    for report in candidates:
        if not is_due(report, today):
            continue
        try:
            total += report_send(report.pk, today=today)
        except Exception:  # one broken report must not keep the others from going out
            logger.exception("scheduled report %s failed; the next run tries again", report.pk)
    return total
