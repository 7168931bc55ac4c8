"""Queueing many messages at once (a campaign, a newsletter): the same rules as
``services.message_queue`` (address checked and normalised, suppressed addresses left out,
the size limit, idempotency keys), set-based instead of five statements a message.

- a template is looked up and compiled once per template and language, then rendered per
  recipient with that recipient's context (the personalisation);
- the keys already queued and the suppressed addresses are read with one query a chunk;
- the rows go to PostgreSQL with ``COPY`` into a temporary table, then one
  ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING`` writes the messages and their
  "queued" events (so a key queued meanwhile by another transaction is harmless too);
- the commit enqueues one ``send_messages`` task per ``MESSAGING_BATCH_SIZE`` messages, as
  ``message_queue`` does.

A refused recipient does not stop the others: its key is returned with the reason.
Attachments are not supported here (a newsletter has none); use ``message_queue``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template import Context
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .addresses import normalise_recipient
from .models import Channel, MessageTemplate, Suppression, new_token, template_engine
from .services import _schedule_sends, find_template, sanitise_html, too_big_error

CHUNK = 5000


@dataclass(frozen=True)
class BulkRecipient:
    """One recipient of a bulk send: the address, the key that makes queueing it again
    harmless, the template's context for this person, and optionally the record it is
    about, its owner and its language (else the call's)."""

    recipient: str
    idempotency_key: str
    context: dict | None = None
    about: Any = None
    owner: Any = None
    language: str | None = None


@dataclass
class BulkResult:
    """What became of each key: queued now, queued earlier (nothing new), or refused."""

    queued: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


class _Compiled:
    """A template's three parts compiled once; ``render`` fills them for one recipient."""

    def __init__(self, template: MessageTemplate):
        engine = template_engine()
        self.template = template
        self.subject = engine.from_string(template.subject)
        self.html = engine.from_string(template.body_html)
        self.text = engine.from_string(template.body_text)

    def render(self, context: dict) -> tuple[str, str, str]:
        plain = Context(context, autoescape=False)  # subject and text are not HTML
        subject = self.subject.render(plain).strip()
        html = self.html.render(Context(context, autoescape=True))
        text = self.text.render(plain)
        return " ".join(subject.split()), html, text


# What differs between the messages of a call goes through COPY; the rest is a parameter of
# the INSERT (fewer values to encode a row: COPY's encoding is most of this process's share).
_STAGED = (
    "recipient, subject, body_text, body_html, template_id, language, content_type_id,"
    " object_id, idempotency_key, token, size, owner_id"
)
_STAGE_SQL = """
    CREATE TEMPORARY TABLE IF NOT EXISTS crm_message_stage (
        n serial, recipient text, subject text, body_text text, body_html text,
        template_id bigint, language text, content_type_id integer, object_id text,
        idempotency_key text, token text, size integer, owner_id bigint
    ) ON COMMIT DELETE ROWS
"""
_INSERT_SQL = f"""
    WITH added AS (
        INSERT INTO crm_message (
            {_STAGED}, provider_id, channel, status, sender, marketing, attempts, last_error,
            next_attempt_at, company_id, created_by_id, created_at, updated_at, version
        )
        SELECT {_STAGED},
               CASE WHEN %(sms)s THEN '' ELSE '<' || token || '@' || %(domain)s || '>' END,
               %(channel)s, 'queued', %(sender)s, %(marketing)s, 0, '', %(now)s, %(company)s,
               %(created_by)s, %(now)s, %(now)s, 1
        FROM crm_message_stage ORDER BY n
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id, idempotency_key
    ), logged AS (
        INSERT INTO crm_messageevent (message_id, at, from_status, to_status, detail)
        SELECT id, %(now)s, '', 'queued', '' FROM added
    )
    SELECT id, idempotency_key FROM added
"""  # noqa: S608 - constant column names


def message_queue_many(
    *,
    channel: str,
    recipients: Iterable[BulkRecipient],
    company,
    owner=None,
    created_by=None,
    subject: str = "",
    html: str = "",
    text: str = "",
    template: str | MessageTemplate | None = None,
    language: str | None = None,
    marketing: bool = False,
    sender: str = "",
) -> BulkResult:
    """Queues one message per recipient in the caller's transaction; sent after commit.
    ``subject``, ``html`` and ``text`` are used when there is no ``template``."""
    if "\n" in sender or "\r" in sender:
        raise ValidationError(_("The sender must be one line."), code="sender")
    run = _Run(
        channel=channel,
        company_id=company.pk,
        owner_id=owner.pk if owner else None,
        created_by_id=created_by.pk if created_by else None,
        template=template,
        fixed=(" ".join(subject.split()), sanitise_html(html), text) if template is None else None,
        language=language or translation.get_language() or "hu",
        marketing=marketing,
        sender=sender,
    )
    chunk: list[BulkRecipient] = []
    with transaction.atomic():
        for recipient in recipients:
            chunk.append(recipient)
            if len(chunk) == CHUNK:
                run.queue(chunk)
                chunk = []
        if chunk:
            run.queue(chunk)
    return run.result


@dataclass
class _Run:
    channel: str
    company_id: int
    owner_id: int | None
    created_by_id: int | None
    template: str | MessageTemplate | None
    fixed: tuple[str, str, str] | None
    language: str
    marketing: bool
    sender: str
    result: BulkResult = field(default_factory=BulkResult)
    compiled: dict[str, _Compiled] = field(default_factory=dict)
    staged: bool = False

    def compiled_for(self, language: str) -> _Compiled:
        """The template in ``language`` (else its fallback), compiled once per language."""
        if language not in self.compiled:
            if isinstance(self.template, MessageTemplate):
                found = self.template
            else:
                found = find_template(self.template, language=language, channel=self.channel)
            self.compiled[language] = self.compiled.get(found.language) or _Compiled(found)
        return self.compiled[language]

    def queue(self, chunk: list[BulkRecipient]) -> None:
        result = self.result
        # Keys queued before (by an earlier call, or twice in this one): nothing new.
        keys = [r.idempotency_key for r in chunk]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT idempotency_key, id FROM crm_message WHERE idempotency_key = ANY(%s)",
                [keys],
            )
            earlier = dict(cursor.fetchall())
        todo: list[tuple[BulkRecipient, str]] = []
        seen: set[str] = set()
        twice: list[str] = []  # a key given again in this call: the first one counts
        for recipient in chunk:
            key = recipient.idempotency_key
            known = earlier.get(key) or result.queued.get(key) or result.existing.get(key)
            if known:
                result.existing[key] = known
                continue
            if key in seen or key in result.refused:
                twice.append(key)
                continue
            seen.add(key)
            try:
                todo.append((recipient, normalise_recipient(self.channel, recipient.recipient)))
            except ValidationError as exc:
                result.refused[key] = exc.messages[0]
        suppressed = self.suppressed([address for _r, address in todo])
        rows = []
        now = timezone.now()
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "crm.local"
        # Rendered in the template's language (its {% translate %}s and dates), switched only
        # when it changes: activating a language costs more than rendering a short template.
        active = translation.get_language()
        with translation.override(active):
            for recipient, address in todo:
                key = recipient.idempotency_key
                if address in suppressed:
                    result.refused[key] = suppressed[address]
                    continue
                try:
                    rows.append(self.row(recipient, address))
                except ValidationError as exc:
                    result.refused[key] = exc.messages[0]
        if rows:
            self.write(rows, now, domain)
        for key in twice:
            if key in result.queued or key in result.existing:
                result.existing.setdefault(key, result.queued.get(key))

    def suppressed(self, addresses: list[str]) -> dict[str, str]:
        """The reason each suppressed address of ``addresses`` is refused, in the user's
        language: a bounce for every message, an unsubscription for marketing ones."""
        reasons = [Suppression.Reason.BOUNCED] + (
            [Suppression.Reason.UNSUBSCRIBED] if self.marketing else []
        )
        found: dict[str, str] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT address, reason, created_at FROM crm_suppression"
                " WHERE address = ANY(%s) AND reason = ANY(%s) ORDER BY reason",
                [addresses, reasons],
            )
            for address, reason, created_at in cursor.fetchall():
                if reason == Suppression.Reason.BOUNCED:
                    found[address] = _(
                        "%(address)s bounced on %(date)s, so no more messages go to it. Correct"
                        " the address first."
                    ) % {"address": address, "date": timezone.localdate(created_at)}
                else:
                    found.setdefault(
                        address,
                        _("%(address)s unsubscribed from marketing messages.")
                        % {"address": address},
                    )
        return found

    def row(self, recipient: BulkRecipient, address: str) -> tuple:
        language = recipient.language or self.language
        template_id = None
        if self.fixed is not None:
            subject, html, text = self.fixed
        else:
            compiled = self.compiled_for(language)
            template_id = compiled.template.pk
            if translation.get_language() != compiled.template.language:
                translation.activate(compiled.template.language)
            subject, html, text = compiled.render(recipient.context or {})
            html = sanitise_html(html)
        size = len(subject.encode()) + len(html.encode()) + len(text.encode())
        if size > settings.MESSAGING_MAX_BYTES:
            raise too_big_error(size)
        if self.channel == Channel.SMS and not text:
            raise ValidationError(_("An SMS needs a text."), code="empty")
        about = recipient.about
        # As message_queue: the given owner, else the record's, else the sender.
        owner_id = recipient.owner.pk if recipient.owner else self.owner_id
        if owner_id is None:
            owner = getattr(about, "owner", None)
            owner_id = owner.pk if owner else self.created_by_id
        return (
            address,
            subject,
            text,
            html,
            template_id,
            language,
            ContentType.objects.get_for_model(about).pk if about is not None else None,
            str(about.pk) if about is not None else "",
            recipient.idempotency_key,
            new_token(),
            size,
            owner_id,
        )

    def write(self, rows: list[tuple], now, domain: str) -> None:
        with connection.cursor() as cursor:
            if not self.staged:
                cursor.execute(_STAGE_SQL)
                cursor.execute("TRUNCATE crm_message_stage")
                self.staged = True
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY crm_message_stage ({_STAGED}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            params = {
                "sms": self.channel == Channel.SMS,
                "domain": domain,
                "channel": self.channel,
                "sender": self.sender,
                "marketing": self.marketing,
                "now": now,
                "company": self.company_id,
                "created_by": self.created_by_id,
            }
            cursor.execute(_INSERT_SQL, params)
            added = {key: pk for pk, key in cursor.fetchall()}
            cursor.execute("TRUNCATE crm_message_stage")
        lost = [row[8] for row in rows if row[8] not in added]
        if lost:  # queued meanwhile by another transaction
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT idempotency_key, id FROM crm_message WHERE idempotency_key = ANY(%s)",
                    [lost],
                )
                self.result.existing.update(dict(cursor.fetchall()))
        self.result.queued.update(added)
        _schedule_sends(sorted(added.values()))
