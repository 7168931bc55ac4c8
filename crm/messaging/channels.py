"""How each channel reaches the outside world. A channel sends a batch over one connection and
answers, for every message, one ``Outcome``: sent (with the provider's id), a transient error
(retried later) or a permanent one (the message fails with the reason)."""

import base64
import binascii
import hmac
import secrets
import smtplib
from dataclasses import dataclass
from email.mime.image import MIMEImage
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from .models import Channel, Message


@dataclass(frozen=True)
class Outcome:
    ok: bool
    transient: bool = False
    error: str = ""
    provider_id: str = ""


SENT = Outcome(ok=True)


def transient(error: str) -> Outcome:
    return Outcome(ok=False, transient=True, error=error)


def permanent(error: str) -> Outcome:
    return Outcome(ok=False, transient=False, error=error)


# --- e-mail -------------------------------------------------------------------------------


def message_id_for(message: Message) -> str:
    """The Message-ID, fixed when the message is queued, so a resend after a crash carries the
    same one and the receiving side can tell it is the same mail."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "crm.local"
    return f"<{message.token}@{domain}>"


def bounce_address(message: Message) -> str | None:
    """The envelope sender (Return-Path): bounce+<token>@<bounce domain> (VERP)."""
    domain = settings.MESSAGING_BOUNCE_DOMAIN
    return f"bounce+{message.token}@{domain}" if domain else None


def build_email(message: Message, *, to: str | None = None) -> EmailMultiAlternatives:
    from .links import open_pixel_url, unsubscribe_url

    headers = {"Message-ID": message.provider_id or message_id_for(message)}
    sender = message.sender or settings.DEFAULT_FROM_EMAIL
    envelope = bounce_address(message)
    if envelope:
        headers["From"] = sender
    if message.marketing:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url(message)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=envelope or sender,
        to=[to or message.recipient],
        headers=headers,
    )
    if message.body_html:
        pixel = f'<img src="{open_pixel_url(message)}" width="1" height="1" alt="">'
        html = message.body_html
        html = html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel
        email.attach_alternative(html, "text/html")
    attachments = list(message.attachments.all()) if message.pk else []
    if any(a.content_id for a in attachments):
        email.mixed_subtype = "related"
    for attachment in attachments:
        if attachment.content_id:
            maintype, _, subtype = attachment.mimetype.partition("/")
            image = MIMEImage(bytes(attachment.content), _subtype=subtype or "png")
            image.add_header("Content-ID", f"<{attachment.content_id}>")
            image.add_header("Content-Disposition", "inline", filename=attachment.filename)
            email.attach(image)
        else:
            email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _header(value: str) -> str:
    """A header value: ASCII as it is, anything else as RFC 2047 base64 encoded words of at
    most 75 characters, cut on character boundaries, on folded lines."""
    if value.isascii():
        return value
    words, chunk = [], b""
    for char in value:
        encoded = char.encode()
        if len(chunk) + len(encoded) > 45:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


@lru_cache(maxsize=64)
def _from_header(sender: str) -> tuple[str, str]:
    """(From header, bare address) of a sender, parsed once per sender, not once per mail."""
    name, address = parseaddr(sender)
    return (formataddr((name, address), charset="utf-8") if name else address), address


def _quoted_printable(text: str) -> bytes:
    data = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    return data.replace(b"\n", b"\r\n")


def fast_email_bytes(message: Message, *, to: str) -> tuple[str, bytes]:
    """(envelope sender, MIME bytes) of a text + HTML mail without attachments, built
    directly: Django's mail classes cost about half of a batch's CPU. The same headers and
    bodies as ``build_email`` (a test compares both)."""
    from .links import open_pixel_url, unsubscribe_url

    from_header, address = _from_header(message.sender or settings.DEFAULT_FROM_EMAIL)
    envelope = bounce_address(message) or address
    boundary = "=_" + secrets.token_hex(16)
    head = [
        f"Subject: {_header(message.subject)}",
        f"From: {from_header}",
        f"To: {to}",
        f"Date: {formatdate(localtime=True)}",
        f"Message-ID: {message.provider_id or message_id_for(message)}",
    ]
    if message.marketing:
        head.append(f"List-Unsubscribe: <{unsubscribe_url(message)}>")
        head.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    head += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"']
    parts = [("\r\n".join(head) + "\r\n\r\n").encode()]
    bodies = [("plain", message.body_text)]
    if message.body_html:
        pixel = f'<img src="{open_pixel_url(message)}" width="1" height="1" alt="">'
        html = message.body_html
        html = html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel
        bodies.append(("html", html))
    for subtype, body in bodies:
        parts.append(
            f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        )
        parts.append(_quoted_printable(body) + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return envelope, b"".join(parts)


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def classify_smtp_error(exc: BaseException) -> Outcome:
    """4xx and network trouble are transient; 5xx is permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        text = "; ".join(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        )
        return permanent(text) if codes and min(codes) >= 500 else transient(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        return permanent(text) if exc.smtp_code >= 500 else transient(text)
    return transient(f"{type(exc).__name__}: {exc}")


def send_email_batch(messages: list[Message], *, to_for=None) -> list[Outcome]:
    """Sends over one SMTP connection; a broken connection is reopened for the rest."""
    outcomes: list[Outcome] = []
    connection = get_connection(fail_silently=False)
    opened = False
    try:
        for message in messages:
            try:
                if not opened:
                    connection.open()
                    opened = True
                to = to_for(message) if to_for else message.recipient
                # The raw SMTP path needs an SMTP backend; any other (the console one of
                # `make run`, files, memory) is given the built message.
                if message.attachments.all() or not isinstance(connection, SMTPBackend):
                    email = build_email(message, to=to)
                    email.connection = connection
                    email.send()
                else:
                    envelope, data = fast_email_bytes(message, to=to)
                    connection.connection.sendmail(envelope, [to], data)
                outcomes.append(
                    Outcome(ok=True, provider_id=message.provider_id or message_id_for(message))
                )
            except (TimeoutError, smtplib.SMTPException, OSError) as exc:
                outcomes.append(classify_smtp_error(exc))
                if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                    # The connection may be gone; the next message opens a new one.
                    opened = False
                    _close_quietly(connection)
    finally:
        _close_quietly(connection)
    return outcomes


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        connection.connection = None


# --- fax: through an e-mail-to-fax gateway ------------------------------------------------


def fax_address(message: Message) -> str:
    return settings.MESSAGING_FAX_ADDRESS.format(number=message.recipient.lstrip("+"))


def send_fax_batch(messages: list[Message]) -> list[Outcome]:
    return send_email_batch(messages, to_for=fax_address)


# --- SMS: an HTTP gateway ------------------------------------------------------------------


def sms_callback_signature(message_token: str) -> str:
    key = settings.MESSAGING_SMS_CALLBACK_SECRET.encode()
    return hmac.new(key, message_token.encode(), "sha256").hexdigest()


def send_sms_batch(messages: list[Message]) -> list[Outcome]:
    """POSTs each message as JSON to the gateway (``MESSAGING_SMS_GATEWAY_URL``):
    ``{"to", "from", "text", "reference", "callback_url"}``; the gateway answers
    ``{"id": ...}`` and later calls ``callback_url`` with the delivery status."""
    from .links import sms_callback_url

    url = settings.MESSAGING_SMS_GATEWAY_URL
    if not url:
        return [transient("MESSAGING_SMS_GATEWAY_URL is not set") for _ in messages]
    outcomes = []
    with requests.Session() as session:
        if settings.MESSAGING_SMS_GATEWAY_TOKEN:
            session.headers["Authorization"] = f"Bearer {settings.MESSAGING_SMS_GATEWAY_TOKEN}"
        for message in messages:
            payload = {
                "to": message.recipient,
                "from": message.sender or settings.MESSAGING_SMS_SENDER,
                "text": message.body_text,
                "reference": message.token,
                "callback_url": sms_callback_url(message),
            }
            try:
                response = session.post(url, json=payload, timeout=10)
            except requests.RequestException as exc:
                outcomes.append(transient(f"{type(exc).__name__}: {exc}"))
                continue
            if response.status_code >= 500 or response.status_code == 429:
                outcomes.append(transient(f"HTTP {response.status_code}: {response.text[:200]}"))
            elif response.status_code >= 400:
                outcomes.append(permanent(f"HTTP {response.status_code}: {response.text[:200]}"))
            else:
                try:
                    provider_id = str(response.json().get("id", ""))
                except ValueError:
                    provider_id = ""
                outcomes.append(Outcome(ok=True, provider_id=provider_id))
    return outcomes


SENDERS = {
    Channel.EMAIL: send_email_batch,
    Channel.SMS: send_sms_batch,
    Channel.FAX: send_fax_batch,
}
