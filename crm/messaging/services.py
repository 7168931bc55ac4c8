"""Write operations of the outbox. Every message is a row first (``message_queue``, inside
the caller's transaction); Celery sends it after commit (``deliver``)."""

import contextlib
import logging
import random
import threading
from datetime import timedelta

import nh3
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, prefetch_related_objects
from django.template import Context
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import ratelimit
from .addresses import normalise_recipient
from .channels import SENDERS, Outcome, message_id_for
from .models import (
    Channel,
    Message,
    MessageAttachment,
    MessageEvent,
    MessageTemplate,
    Status,
    Suppression,
    template_engine,
)
from .states import transition

logger = logging.getLogger(__name__)

# Tags and attributes an HTML mail may keep (inline styles are how mail is styled).
HTML_TAGS = nh3.ALLOWED_TAGS | {"center", "font"}
HTML_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {
        "style",
        "class",
        "align",
        "width",
        "height",
        "bgcolor",
        "border",
        "cellpadding",
        "cellspacing",
        "valign",
    },
    "img": {"src", "alt", "width", "height", "style"},
    "a": {"href", "title", "style"},
}


# Built once: nh3.clean() with these sets builds its cleaner again at every call (about
# two thirds of the time of cleaning a short mail).
_CLEANER = nh3.Cleaner(
    tags=HTML_TAGS,
    attributes=HTML_ATTRIBUTES,
    url_schemes={"http", "https", "mailto", "cid", "tel"},
)


def sanitise_html(html: str) -> str:
    return _CLEANER.clean(html) if html else ""


def render_template(template: MessageTemplate, context: dict) -> tuple[str, str, str]:
    engine = template_engine()
    plain = Context(context, autoescape=False)  # subject and text are not HTML
    subject = engine.from_string(template.subject).render(plain).strip()
    html = engine.from_string(template.body_html).render(Context(context, autoescape=True))
    text = engine.from_string(template.body_text).render(plain)
    return " ".join(subject.split()), html, text


def find_template(key: str, *, language: str, channel: str) -> MessageTemplate:
    """The template in ``language``, else in Hungarian, else in English."""
    for lang in dict.fromkeys([language, "hu", "en"]):
        template = MessageTemplate.objects.filter(key=key, language=lang, channel=channel).first()
        if template:
            return template
    raise ValidationError(_("There is no message template called %(key)s.") % {"key": key})


def message_queue(
    *,
    channel: str,
    recipient: str,
    company,
    idempotency_key: str,
    owner=None,
    created_by=None,
    subject: str = "",
    html: str = "",
    text: str = "",
    template: str | MessageTemplate | None = None,
    context: dict | None = None,
    language: str | None = None,
    about=None,
    marketing: bool = False,
    sender: str = "",
    attachments: tuple[tuple[str, bytes, str] | tuple[str, bytes, str, str], ...] = (),
) -> Message:
    """Queues one message in the caller's transaction and sends it after commit.

    Refuses (``ValidationError`` with the reason in the user's language) an invalid address,
    an address that bounced or unsubscribed (marketing), and a message over the size limit.
    Queuing the same ``idempotency_key`` twice returns the first message: nothing is sent twice.
    """
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        return existing
    # Header values are one line: a line break in them would let text forge other headers.
    subject = " ".join(subject.split())
    if "\n" in sender or "\r" in sender:
        raise ValidationError(_("The sender must be one line."), code="sender")
    address = normalise_recipient(channel, recipient)
    refuse_suppressed(address, marketing=marketing)
    language = language or translation.get_language() or "hu"
    template_obj = None
    if template is not None:
        template_obj = (
            template
            if isinstance(template, MessageTemplate)
            else find_template(template, language=language, channel=channel)
        )
        with translation.override(template_obj.language):
            subject, html, text = render_template(template_obj, context or {})
    html = sanitise_html(html)
    size = len(subject.encode()) + len(html.encode()) + len(text.encode())
    size += sum(len(a[1]) for a in attachments)
    if size > settings.MESSAGING_MAX_BYTES:
        raise too_big_error(size)
    if channel == Channel.SMS and not text:
        raise ValidationError(_("An SMS needs a text."), code="empty")
    owner = owner or getattr(about, "owner", None) or created_by
    message = Message(
        channel=channel,
        recipient=address,
        sender=sender,
        subject=subject,
        body_html=html,
        body_text=text,
        template=template_obj,
        language=language,
        marketing=marketing,
        idempotency_key=idempotency_key,
        company=company,
        owner=owner,
        created_by=created_by,
        size=size,
    )
    if about is not None:
        message.content_type = ContentType.objects.get_for_model(about)
        message.object_id = str(about.pk)
    if channel != Channel.SMS:
        message.provider_id = message_id_for(message)
    try:
        with transaction.atomic():
            message.save()
            for attachment in attachments:
                filename, content, mimetype, *cid = attachment
                MessageAttachment.objects.create(
                    message=message,
                    filename=filename,
                    content=content,
                    mimetype=mimetype,
                    content_id=cid[0] if cid else "",
                )
            MessageEvent.objects.create(message=message, to_status=Status.QUEUED)
    except IntegrityError:
        # Another transaction queued the same key meanwhile.
        return Message.objects.get(idempotency_key=idempotency_key)
    _schedule_send(message.pk)
    return message


def too_big_error(size: int) -> ValidationError:
    return ValidationError(
        _("The message is %(size).1f MB, more than the limit of %(limit).1f MB; it was not queued.")
        % {"size": size / 2**20, "limit": settings.MESSAGING_MAX_BYTES / 2**20},
        code="too_big",
    )


class _PendingSends:
    """The messages one transaction queued; after its commit they go to Celery in chunks
    (one task per ``MESSAGING_BATCH_SIZE`` messages, not one per message)."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self) -> None:
        size = settings.MESSAGING_BATCH_SIZE
        with _one_producer():
            for start in range(0, len(self.ids), size):
                _enqueue_send(self.ids[start : start + size])


_publishing = threading.local()


@contextlib.contextmanager
def _one_producer():
    """The tasks of one commit go through one broker producer (Celery's idiom for sending
    many): a producer taken from the pool for each task cost 11 ms a task on a busy machine,
    2.8 s for a 50,000-mail campaign."""
    from .tasks import send_messages

    try:
        context = send_messages.app.producer_or_acquire()
        producer = context.__enter__()
    except Exception:  # noqa: BLE001 - the broker is down: each task tries on its own
        yield
        return
    _publishing.producer = producer
    try:
        yield
    finally:
        _publishing.producer = None
        context.__exit__(None, None, None)


def _schedule_send(message_id: int) -> None:
    _schedule_sends([message_id])


def _schedule_sends(message_ids: list[int]) -> None:
    """Sends the messages after the commit of the current transaction (at once without one),
    in chunks of ``MESSAGING_BATCH_SIZE``: one ``_PendingSends`` per transaction."""
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        for _savepoints, callback, _robust in conn.run_on_commit:
            if isinstance(callback, _PendingSends):
                callback.ids.extend(message_ids)
                return
    pending = _PendingSends()
    pending.ids.extend(message_ids)
    if conn.in_atomic_block:
        transaction.on_commit(pending)
    else:
        pending()


def _enqueue_send(message_ids: list[int]) -> None:
    from .tasks import send_messages

    try:
        send_messages.apply_async((message_ids,), producer=getattr(_publishing, "producer", None))
    except Exception:  # noqa: BLE001 - the broker is down: the periodic send_due picks them up
        for message_id in message_ids:
            logger.warning("could not enqueue message %s; send_due will send it", message_id)


def refuse_suppressed(address: str, *, marketing: bool) -> None:
    reasons = [Suppression.Reason.BOUNCED] + (
        [Suppression.Reason.UNSUBSCRIBED] if marketing else []
    )
    hit = Suppression.objects.filter(address=address, reason__in=reasons).first()
    if hit is None:
        return
    if hit.reason == Suppression.Reason.BOUNCED:
        raise ValidationError(
            _(
                "%(address)s bounced on %(date)s, so no more messages go to it. Correct the"
                " address first."
            )
            % {"address": address, "date": hit.created_at.date()},
            code="bounced",
        )
    raise ValidationError(
        _("%(address)s unsubscribed from marketing messages.") % {"address": address},
        code="unsubscribed",
    )


# --- sending ------------------------------------------------------------------------------

_CLAIM_SQL = """
    WITH claimed AS (
        UPDATE crm_message SET status = 'sending', claimed_at = clock_timestamp(),
               attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM crm_message
            WHERE status = 'queued' AND next_attempt_at <= clock_timestamp() {only}
            ORDER BY next_attempt_at, id
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        )
        RETURNING {columns}
    ), logged AS (
        INSERT INTO crm_messageevent (message_id, at, from_status, to_status, detail)
        SELECT id, %s, 'queued', 'sending', '' FROM claimed
    )
    SELECT * FROM claimed ORDER BY id
"""


@contextlib.contextmanager
def _status_statement(cursor):
    """Holds off the visibility index's update trigger of messages (``pgtrigger.ignore``, for
    the transaction) around a statement that changes their status only: owner and company
    stay, so ``crm_visibility`` has nothing to change, but the statement trigger still joined
    the old and new rows of every claimed or sent message. Back to none after it."""
    trigger = next(t for t in Message._meta.triggers if t.name == "visibility_upd")
    cursor.execute(
        "SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + trigger.get_pgid(Message) + "}"]
    )
    yield
    cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")


def _columns() -> list[str]:
    return [f.column for f in Message._meta.concrete_fields]


def claim_messages(*, limit: int, ids: list[int] | None = None) -> list[Message]:
    """Moves up to ``limit`` due messages from queued to sending, logs it, and returns them,
    in one statement. ``FOR UPDATE SKIP LOCKED``: two workers never claim the same row."""
    only = "AND id = ANY(%s)" if ids is not None else ""
    params = [ids, limit] if ids is not None else [limit]
    columns = _columns()
    sql = _CLAIM_SQL.format(only=only, columns=", ".join(columns))
    names = [f.attname for f in Message._meta.concrete_fields]
    with transaction.atomic(), connection.cursor() as cursor:
        with _status_statement(cursor):
            cursor.execute(sql, [*params, timezone.now()])
            rows = cursor.fetchall()
        return [Message.from_db("default", names, row) for row in rows]


def claim(*, limit: int, ids: list[int] | None = None) -> list[int]:
    """The ids of the messages ``claim_messages`` moved to sending."""
    return [m.pk for m in claim_messages(limit=limit, ids=ids)]


def retry_delay(attempts: int) -> timedelta:
    base = settings.MESSAGING_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), 6 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter


def deliver(*, ids: list[int] | None = None, limit: int | None = None) -> int:
    """Claims due messages, sends them channel by channel over one connection each, and
    records what became of each. Returns how many were handed over as sent."""
    limit = limit or settings.MESSAGING_BATCH_SIZE
    messages = claim_messages(limit=limit, ids=ids)
    if not messages:
        return 0
    prefetch_related_objects(messages, "attachments")
    sent = 0
    for channel in Channel.values:
        batch = [m for m in messages if m.channel == channel]
        if not batch:
            continue
        allowed = ratelimit.acquire(channel, len(batch))
        if allowed < len(batch):
            _defer(batch[allowed:], until=ratelimit.next_window())
            batch = batch[:allowed]
        if not batch:
            continue
        outcomes = SENDERS[channel](batch)
        sent += record_outcomes(batch, outcomes)
    return sent


def _defer(messages: list[Message], *, until) -> None:
    """Rate limit reached: back to the queue for the next window, without using an attempt."""
    now = timezone.now()
    ids = [m.pk for m in messages]
    with transaction.atomic():
        Message.objects.filter(pk__in=ids, status=Status.SENDING).update(
            status=Status.QUEUED, next_attempt_at=until, attempts=F("attempts") - 1
        )
        MessageEvent.objects.bulk_create(
            _event(pk, Status.QUEUED, at=now, detail=_("rate limit reached; next minute"))
            for pk in ids
        )


def _event(message_id: int, to: str, *, at, detail: str = "", frm: str = Status.SENDING):
    return MessageEvent(
        message_id=message_id, at=at, from_status=frm, to_status=to, detail=detail[:2000]
    )


def record_outcomes(messages: list[Message], outcomes: list[Outcome]) -> int:
    """Writes what became of a sent batch: the sent ones in one UPDATE, the others each."""
    now = timezone.now()
    events, sent_ids = [], []
    with transaction.atomic():
        for message, outcome in zip(messages, outcomes, strict=True):
            if outcome.ok:
                sent_ids.append(message.pk)
                if outcome.provider_id and outcome.provider_id != message.provider_id:
                    Message.objects.filter(pk=message.pk).update(provider_id=outcome.provider_id)
                continue
            still_sending = Message.objects.filter(pk=message.pk, status=Status.SENDING)
            if outcome.transient and message.attempts < settings.MESSAGING_MAX_ATTEMPTS:
                still_sending.update(
                    status=Status.QUEUED,
                    last_error=outcome.error[:2000],
                    next_attempt_at=now + retry_delay(message.attempts),
                )
                events.append(_event(message.pk, Status.QUEUED, at=now, detail=outcome.error))
                continue
            detail = (
                outcome.error
                if not outcome.transient
                else _("gave up after %(n)s attempts: %(error)s")
                % {"n": message.attempts, "error": outcome.error}
            )
            still_sending.update(status=Status.FAILED, failed_at=now, last_error=detail[:2000])
            events.append(_event(message.pk, Status.FAILED, at=now, detail=detail))
        if sent_ids:
            # One statement for the sent ones (nearly all): the rows and their log.
            with connection.cursor() as cursor, _status_statement(cursor):
                cursor.execute(_SENT_SQL, {"ids": sent_ids, "now": now})
        MessageEvent.objects.bulk_create(events)
    return len(sent_ids)


_SENT_SQL = """
    WITH sent AS (
        UPDATE crm_message SET status = 'sent', sent_at = %(now)s, last_error = ''
        WHERE id = ANY(%(ids)s) AND status = 'sending'
        RETURNING id
    )
    INSERT INTO crm_messageevent (message_id, at, from_status, to_status, detail)
    SELECT id, %(now)s, 'sending', 'sent', '' FROM sent
"""


def reconcile_stuck() -> int:
    """Messages left in "sending" by a worker that died are queued again. An e-mail keeps its
    Message-ID, so if the first try did reach the server, the resend is the same mail."""
    limit = timezone.now() - timedelta(seconds=settings.MESSAGING_STUCK_AFTER_SECONDS)
    stuck = list(
        Message.objects.filter(status=Status.SENDING, claimed_at__lt=limit).values_list(
            "pk", flat=True
        )[:5000]
    )
    count = 0
    for pk in stuck:
        count += transition(
            pk,
            to=Status.QUEUED,
            frm=Status.SENDING,
            detail=_("the worker stopped while sending; queued again"),
            next_attempt_at=timezone.now(),
        )
    return count


def message_resend(message: Message, *, user) -> bool:
    """A failed message, queued again by a person allowed to (``crm.resend_message``)."""
    if not user.has_perm("crm.resend_message"):
        raise ValidationError(_("You may not resend messages."))
    done = transition(
        message.pk,
        to=Status.QUEUED,
        frm=Status.FAILED,
        detail=_("resent by %(user)s") % {"user": user},
        next_attempt_at=timezone.now(),
        attempts=0,
    )
    if done:
        _schedule_send(message.pk)
    return done


# --- what became of it --------------------------------------------------------------------


def mark_opened(token: str) -> bool:
    """The open pixel: marks the message opened the first time only."""
    message = Message.objects.filter(token=token, opened_at__isnull=True).only("pk").first()
    return bool(message) and transition(
        message.pk, to=Status.OPENED, frm=(Status.SENT, Status.DELIVERED)
    )


def unsubscribe(token: str) -> Message | None:
    message = Message.objects.filter(token=token).first()
    if message is None:
        return None
    Suppression.objects.get_or_create(
        address=message.recipient,
        reason=Suppression.Reason.UNSUBSCRIBED,
        defaults={"detail": f"message {message.pk}"},
    )
    return message


def mark_bounced(message: Message, *, reason: str, permanent: bool = True) -> bool:
    done = transition(
        message.pk,
        to=Status.BOUNCED,
        frm=(Status.SENT, Status.DELIVERED, Status.OPENED),
        detail=reason,
        last_error=reason[:2000],
    )
    if done and permanent:
        Suppression.objects.get_or_create(
            address=message.recipient,
            reason=Suppression.Reason.BOUNCED,
            defaults={"detail": reason[:2000]},
        )
    return done


def mark_delivery_report(message: Message, *, delivered: bool, detail: str = "") -> bool:
    """An SMS gateway's delivery report."""
    if delivered:
        return transition(
            message.pk, to=Status.DELIVERED, frm=(Status.SENT, Status.SENDING), detail=detail
        )
    return transition(
        message.pk,
        to=Status.FAILED,
        frm=(Status.SENT, Status.SENDING),
        detail=detail,
        last_error=detail[:2000],
    )
