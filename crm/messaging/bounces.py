"""Bounces: the reports mail servers send back when an e-mail could not be delivered.

Each outgoing mail leaves with the envelope sender ``bounce+<token>@<MESSAGING_BOUNCE_DOMAIN>``
(VERP), so a bounce comes back to an address that names its message. They arrive either piped
by the mail server into ``manage.py process_bounce`` (one mail on standard input) or in an IMAP
mailbox that the periodic task ``crm.messaging.fetch_bounces`` empties (``fetch_from_imap``).

``parse_bounce`` reads RFC 3464 delivery status notifications itself (Action / Status /
Diagnostic-Code per recipient) and leaves the many non-standard formats (qmail, Exim, Exchange,
...) to ``flufl.bounce``. A message is found by, in this order: the VERP token in the address
the bounce was delivered to; the Message-ID of the original mail quoted in the bounce; the
failed address (the latest mail sent to it).
"""

import contextlib
import email
import email.policy
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from email.message import Message as EmailMessage
from email.parser import HeaderParser
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import InterfaceError, OperationalError
from flufl.bounce import all_failures

from .models import Channel, Message
from .services import mark_bounced

logger = logging.getLogger(__name__)

IMAP_TIMEOUT = 30
REASON_MAX = 300

# Headers that carry the address the bounce was delivered to (the VERP address).
ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
TOKEN_RE = re.compile(r"\bbounce\+([0-9a-f]{8,32})@", re.IGNORECASE)
MESSAGE_ID_RE = re.compile(r"<[^<>\s\x00]{1,250}>")
# A Message-ID line quoted in a plain-text bounce (possibly folded onto the next line).
BODY_MESSAGE_ID_RE = re.compile(
    r"^[ \t>]*Message-ID:[ \t]*(?:\r?\n[ \t>]+)?(<[^<>\s]{1,250}>)", re.I | re.M
)
ADDRESS_RE = re.compile(r"^[^@\s<>\x00]{1,64}@[^@\s<>\x00]{1,253}$")
STATUS_RE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
SMTP_CODE_RE = re.compile(r"(?<![\w.])[45]\d\d(?=[ -])")
# Where a plain-text bounce starts quoting the original mail.
QUOTE_START_RE = re.compile(
    r"^\s*-{2,}.*(copy of|original message|undelivered message|below this line)", re.I | re.M
)

DELIVERY_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
HEADERS_TYPES = (
    "text/rfc822-headers",
    "text/rfc822-header",
    "message/rfc822-headers",
    "message/global-headers",
)
ORIGINAL_TYPES = ("message/rfc822", "message/global")


@dataclass(frozen=True)
class Bounce:
    """One failed recipient reported by a bounce, with what identifies our message."""

    recipient: str
    permanent: bool
    reason: str
    token: str = ""
    message_ids: tuple[str, ...] = ()
    status: str = ""


# --- parsing ------------------------------------------------------------------------------


def parse_bounce(raw: bytes) -> list[Bounce]:
    """The failed recipients a bounce reports. Delays (``Action: delayed``) and anything that
    is not a bounce give an empty list."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    token = find_token(msg)
    message_ids = find_message_ids(msg)
    dsn_parts = [p for p in msg.walk() if p.get_content_type() in DELIVERY_STATUS_TYPES]
    if dsn_parts:
        failures = []
        for part in dsn_parts:
            failures.extend(_dsn_failures(part))
    else:
        failures = _heuristic_failures(msg)
    return [
        Bounce(
            recipient=recipient,
            permanent=permanent,
            reason=reason,
            token=token,
            message_ids=message_ids,
            status=status,
        )
        for recipient, permanent, reason, status in failures
    ]


def find_token(msg: EmailMessage) -> str:
    """The token of ``bounce+<token>@...`` in the headers the bounce was delivered with."""
    for header in ENVELOPE_HEADERS:
        for value in msg.get_all(header, []):
            match = TOKEN_RE.search(str(value))
            if match:
                return match.group(1).lower()
    return ""


def find_message_ids(msg: EmailMessage) -> tuple[str, ...]:
    """Message-IDs that may be our original mail's, most reliable first: the attached original
    (or its headers), a Message-ID line quoted in the text, In-Reply-To and References."""
    found: list[str] = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ORIGINAL_TYPES:
            payload = part.get_payload()
            originals = payload if isinstance(payload, list) else []
            for original in originals:
                found.extend(MESSAGE_ID_RE.findall(str(original.get("Message-ID", ""))))
        elif kind in HEADERS_TYPES:
            headers = HeaderParser(policy=email.policy.compat32).parsestr(_text_of(part))
            found.extend(MESSAGE_ID_RE.findall(str(headers.get("Message-ID", ""))))
    for text in _bounce_texts(msg):
        found.extend(BODY_MESSAGE_ID_RE.findall(text))
    for header in ("In-Reply-To", "References"):
        for value in msg.get_all(header, []):
            found.extend(MESSAGE_ID_RE.findall(str(value)))
    return tuple(dict.fromkeys(found))


def _dsn_failures(part: EmailMessage) -> list[tuple[str, bool, str, str]]:
    """(recipient, permanent, reason, status) of each failed recipient of a delivery-status
    part. ``Action: delayed`` (and delivered, relayed, expanded) is not a failure."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = payload
    else:
        # Not parsed into header blocks (encoded, or message/global-delivery-status).
        parser = HeaderParser(policy=email.policy.compat32)
        text = _text_of(part).replace("\r\n", "\n")
        blocks = [parser.parsestr(block) for block in re.split(r"\n[ \t]*\n", text)]
    failures = []
    # The first block is about the whole message (Reporting-MTA, ...): no Action, skipped.
    for block in blocks:
        action = str(block.get("Action", "")).strip().lower()
        status_match = STATUS_RE.search(str(block.get("Status", "")))
        status = status_match.group(0) if status_match else ""
        if action:
            if not action.startswith(("failed", "error")):
                continue
        elif not status.startswith("5"):
            continue
        recipient = ""
        for header in ("Original-Recipient", "X-Actual-Recipient", "Final-Recipient"):
            recipient = _dsn_address(block.get(header))
            if recipient:
                break
        if not recipient:
            continue
        permanent = not status.startswith("4")
        diagnostic = _oneline(str(block.get("Diagnostic-Code", "")))
        kind, sep, rest = diagnostic.partition(";")
        if sep and kind.strip().lower() in ("smtp", "x-postfix", "x-unix", "x-local", "x-exim"):
            diagnostic = rest.strip()
        reason = " ".join(filter(None, [status, diagnostic])) or f"action: {action}"
        failures.append((recipient, permanent, reason[:REASON_MAX], status))
    return failures


def _dsn_address(value) -> str:
    """The address of ``rfc822; someone@example.hu`` (or a bare ``<someone@example.hu>``)."""
    if not value:
        return ""
    text = str(value)
    kind, sep, address = text.partition(";")
    if sep and kind.strip().lower() not in ("rfc822", "utf-8"):
        return ""
    address = (address if sep else text).strip().strip("<>").strip()
    return address if ADDRESS_RE.match(address) else ""


def _heuristic_failures(msg: EmailMessage) -> list[tuple[str, bool, str, str]]:
    """Non-standard bounces: flufl.bounce's detectors find the permanently failed addresses
    (its temporary failures are delays, which are ignored)."""
    try:
        _temporary, permanent = all_failures(msg)
    except Exception:  # noqa: BLE001 - a detector choking on a strange mail is not a bounce
        logger.warning("bounce: flufl.bounce could not read a message", exc_info=True)
        return []
    texts = _bounce_texts(msg)
    failures = []
    for raw_address in sorted(permanent):
        address = raw_address.decode("ascii", "replace").strip().strip("<>")
        if not ADDRESS_RE.match(address):
            continue
        reason, status = _reason_from_text(texts, address)
        failures.append((address, True, reason, status))
    return failures


def _reason_from_text(texts: list[str], address: str) -> tuple[str, str]:
    """The SMTP answer a plain-text bounce quotes for ``address``: the first line from the
    address on (at most 10 lines) with a 5xx / 5.x.x code. Returns (reason, status)."""
    for text in texts:
        cut = QUOTE_START_RE.search(text)
        if cut:
            text = text[: cut.start()]
        lines = text.splitlines()
        start = next((i for i, line in enumerate(lines) if address.lower() in line.lower()), None)
        if start is None:
            continue
        for line in lines[start : start + 10]:
            status_match = STATUS_RE.search(line)
            if status_match or SMTP_CODE_RE.search(line):
                status = status_match.group(0) if status_match else ""
                return _oneline(line)[:REASON_MAX], status
        return _oneline(" ".join(lines[start : start + 3]))[:REASON_MAX], ""
    return f"undeliverable: {address}", ""


def _bounce_texts(msg: EmailMessage) -> list[str]:
    """The text/plain parts of the bounce itself (not of the original mail it quotes)."""
    texts = []

    def visit(part: EmailMessage) -> None:
        if part.get_content_maintype() == "message" and part is not msg:
            return
        if part.is_multipart():
            payload = part.get_payload()
            for sub in payload if isinstance(payload, list) else []:
                visit(sub)
        elif part.get_content_type() == "text/plain":
            texts.append(_text_of(part))

    visit(msg)
    return texts


def _text_of(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _oneline(text: str) -> str:
    return " ".join(text.split())


# --- matching and marking -----------------------------------------------------------------


def find_message(bounce: Bounce) -> Message | None:
    """Our message a bounce concerns: by token, else by original Message-ID, else the latest
    e-mail sent to the failed address."""
    if bounce.token:
        message = Message.objects.filter(token=bounce.token).first()
        if message:
            return message
    if bounce.message_ids:
        candidates = {
            m.provider_id: m for m in Message.objects.filter(provider_id__in=bounce.message_ids)
        }
        for message_id in bounce.message_ids:
            if message_id in candidates:
                return candidates[message_id]
    if bounce.recipient:
        # The latest one ever sent, whatever its status now: a bounce read twice finds the same
        # message again (and changes nothing), never an older one.
        return (
            Message.objects.filter(
                channel=Channel.EMAIL, recipient__iexact=bounce.recipient, sent_at__isnull=False
            )
            .order_by("-sent_at", "-pk")
            .first()
        )
    return None


def process_bounce(raw: bytes) -> int:
    """Marks the messages a bounce reports as failed; returns how many were marked. A mail
    that is not a bounce, or concerns no message of ours, gives 0. Only a database that cannot
    be reached raises (so the mail is read again later)."""
    try:
        bounces = parse_bounce(raw)
    except Exception:  # noqa: BLE001 - garbage in the bounce mailbox must not stop the rest
        logger.exception("bounce: could not parse a message of %s bytes", len(raw or b""))
        return 0
    # A permanent failure wins over a transient one reported for the same message.
    bounces.sort(key=lambda b: not b.permanent)
    seen: set[int] = set()
    marked = 0
    for bounce in bounces:
        try:
            message = find_message(bounce)
            if message is None:
                logger.info("bounce: no message found for %s (%s)", bounce.recipient, bounce.reason)
                continue
            if message.pk in seen:
                continue
            seen.add(message.pk)
            if mark_bounced(message, reason=bounce.reason, permanent=bounce.permanent):
                marked += 1
                logger.info(
                    "bounce: message %s to %s bounced: %s",
                    message.pk,
                    message.recipient,
                    bounce.reason,
                )
        except (OperationalError, InterfaceError):
            raise
        except Exception:  # noqa: BLE001 - one odd recipient must not stop the others
            logger.exception("bounce: could not record the bounce of %s", bounce.recipient)
    return marked


# --- the bounce mailbox -------------------------------------------------------------------


def _quote_mailbox(name: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./-]+", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_connect(url: str) -> tuple[imaplib.IMAP4, str]:
    """A logged-in connection to ``imap://`` or ``imaps://user:password@host:port/Mailbox``
    and the mailbox name (INBOX when the URL names none)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("MESSAGING_BOUNCE_IMAP_URL must look like imap(s)://user:pass@host/INBOX")
    if scheme == "imaps":
        conn = imaplib.IMAP4_SSL(
            parts.hostname,
            parts.port or 993,
            ssl_context=ssl.create_default_context(),
            timeout=IMAP_TIMEOUT,
        )
    else:
        conn = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=IMAP_TIMEOUT)
    try:
        conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
    except Exception:
        _logout_quietly(conn)
        raise
    return conn, unquote(parts.path.lstrip("/")) or "INBOX"


def fetch_from_imap() -> int:
    """Processes every unread mail of the bounce mailbox (``MESSAGING_BOUNCE_IMAP_URL``) and
    deletes it once processed; returns how many messages were marked bounced. A mail is
    fetched with BODY.PEEK (it stays unread) and flagged \\Seen \\Deleted only after it was
    processed, so a crash in between means it is read again next time, which is harmless."""
    url = settings.MESSAGING_BOUNCE_IMAP_URL
    if not url:
        return 0
    conn, mailbox = imap_connect(url)
    marked = processed = 0
    try:
        typ, data = conn.select(_quote_mailbox(mailbox))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select {mailbox}: {data!r}")
        typ, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        try:
            for uid in uids:
                typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((item[1] for item in data or [] if isinstance(item, tuple)), None)
                if typ != "OK" or raw is None:
                    logger.warning("bounce: could not fetch message uid %s", uid)
                    continue
                marked += process_bounce(raw)
                conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen \Deleted)")
                processed += 1
        finally:
            if processed:
                conn.expunge()
    finally:
        _logout_quietly(conn)
    logger.info(
        "bounce: %s mails read from the bounce mailbox, %s messages bounced", processed, marked
    )
    return marked


def _logout_quietly(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        conn.logout()
