"""Bounces: parsed from real bounce formats, matched to real outbox messages, read from stdin
(``manage.py process_bounce``) and from a real IMAP mailbox (Dovecot)."""

import random
import subprocess

import pytest

from crm.messaging import services
from crm.messaging.bounces import fetch_from_imap, parse_bounce, process_bounce
from crm.messaging.channels import build_email
from crm.messaging.models import Message, Status, Suppression
from crm.messaging.services import message_queue
from crm.messaging.states import transition
from crm.models import Company
from tests.conftest import PYTHON, ROOT, subprocess_env
from tests.factories import UserFactory

from .dovecot import start_dovecot

BOUNCE_DOMAIN = "bounces.crm.example.hu"
ADDRESS = "nincs.ilyen@ceg.hu"


@pytest.fixture(autouse=True)
def _bounce_domain(settings):
    settings.MESSAGING_BOUNCE_DOMAIN = BOUNCE_DOMAIN
    settings.DEFAULT_FROM_EMAIL = "CRM <crm@example.hu>"


@pytest.fixture
def imap_server():
    """A real Dovecot on loopback (skipped when it is not installed, outside CI)."""
    with start_dovecot() as server:
        yield server


@pytest.fixture
def company(db):
    return Company.objects.create(name="A Kft.", tax_number="10773381-2-44")


@pytest.fixture
def owner(db):
    return UserFactory()


def sent_message(company, owner, *, recipient=ADDRESS, key=None) -> Message:
    """A message queued through the outbox and moved to sent, as the sender would."""
    message = message_queue(
        channel="email",
        recipient=recipient,
        company=company,
        owner=owner,
        idempotency_key=key or f"test-{random.random()}",
        subject="Árajánlat",
        text="Tisztelt Partnerünk!\n\nMellékelten küldjük az ajánlatot.",
    )
    assert transition(message.pk, to="sending", frm="queued")
    assert transition(message.pk, to="sent", frm="sending")
    message.refresh_from_db()
    assert message.status == Status.SENT
    return message


def original_mail(message: Message) -> bytes:
    """The mail exactly as the outbox sends it."""
    return build_email(message).message().as_bytes()


def original_headers(message: Message, *, with_return_path: bool = True) -> str:
    head = original_mail(message).decode().split("\n\n", 1)[0]
    if with_return_path:
        head = f"Return-Path: <bounce+{message.token}@{BOUNCE_DOMAIN}>\n" + head
    return head


def verp(message: Message) -> str:
    return f"bounce+{message.token}@{BOUNCE_DOMAIN}"


def dsn(
    *,
    to: str,
    recipient: str = ADDRESS,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = (
        "smtp; 550 5.1.1 <nincs.ilyen@ceg.hu>: Recipient address rejected:\n"
        "    User unknown in virtual mailbox table"
    ),
    headers: str = "",
) -> bytes:
    """An RFC 3464 delivery status notification as Postfix writes it."""
    text = f"""\
Return-Path: <>
Delivered-To: {to}
Received: by mx.crm.example.hu (Postfix) id 3F2A1C0123; Tue, 3 Mar 2026 10:15:02 +0100 (CET)
Date: Tue, 3 Mar 2026 10:15:02 +0100 (CET)
From: MAILER-DAEMON@mx.crm.example.hu (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="3F2A1C0123.1772529302/mx.crm.example.hu"
Message-Id: <20260303091502.3F2A1C0123@mx.crm.example.hu>

This is a MIME-encapsulated message.

--3F2A1C0123.1772529302/mx.crm.example.hu
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.crm.example.hu.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{recipient}>: host mx.ceg.hu[192.0.2.25] said: 550 5.1.1
    <{recipient}>: Recipient address rejected: User unknown

--3F2A1C0123.1772529302/mx.crm.example.hu
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.crm.example.hu
X-Postfix-Queue-ID: 3F2A1C0123
X-Postfix-Sender: rfc822; {to}
Arrival-Date: Tue,  3 Mar 2026 10:15:01 +0100 (CET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.ceg.hu
Diagnostic-Code: {diagnostic}

--3F2A1C0123.1772529302/mx.crm.example.hu
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{headers}

--3F2A1C0123.1772529302/mx.crm.example.hu--
"""
    return text.encode()


def qmail_bounce(recipient: str = ADDRESS) -> bytes:
    """A qmail-send bounce (QSBMF): plain text, no DSN, no copy of the original."""
    return f"""\
Return-Path: <>
Delivered-To: crm@example.hu
Date: 3 Mar 2026 09:20:11 -0000
From: MAILER-DAEMON@mail.ceg.hu
To: crm@example.hu
Subject: failure notice

Hi. This is the qmail-send program at mail.ceg.hu.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{recipient}>:
192.0.2.25 does not like recipient.
Remote host said: 550 5.1.1 <{recipient}>... User unknown
Giving up on 192.0.2.25.

""".encode()


def exim_bounce(message: Message) -> bytes:
    """An Exim bounce: X-Failed-Recipients, plain text, a copy of the original mail."""
    head = f"""\
Return-path: <>
Envelope-to: crm@example.hu
From: Mail Delivery System <Mailer-Daemon@mx.ceg.hu>
To: crm@example.hu
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1vXyZa-000Abc-7Q@mx.ceg.hu>
X-Failed-Recipients: {message.recipient}
Auto-Submitted: auto-replied
Date: Tue, 03 Mar 2026 10:21:44 +0100

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {message.recipient}
    host mx.ceg.hu [192.0.2.25]
    SMTP error from remote mail server after RCPT TO:<{message.recipient}>:
    550 5.2.1 The email account that you tried to reach is disabled.

------ This is a copy of the message, including all the headers. ------

"""
    return head.encode() + original_mail(message)


def status_of(message: Message) -> str:
    message.refresh_from_db()
    return message.status


# --- parsing and matching -----------------------------------------------------------------


def test_a_dsn_matched_by_the_verp_token_bounces_and_suppresses(company, owner):
    message = sent_message(company, owner)
    other = sent_message(company, owner, recipient="valaki@ceg.hu")
    raw = dsn(to=verp(message), headers=original_headers(message))

    [bounce] = parse_bounce(raw)
    assert bounce.token == message.token
    assert bounce.recipient == ADDRESS
    assert bounce.permanent
    assert bounce.reason.startswith("5.1.1 550 5.1.1 <nincs.ilyen@ceg.hu>: Recipient address")

    assert process_bounce(raw) == 1
    message.refresh_from_db()
    assert message.status == Status.BOUNCED
    assert message.bounced_at is not None
    assert "5.1.1" in message.last_error and "User unknown" in message.last_error
    assert Suppression.objects.filter(address=ADDRESS, reason="bounced").exists()
    assert status_of(other) == Status.SENT
    log = list(message.log.values_list("to_status", flat=True))
    assert log[-1] == Status.BOUNCED
    # The same bounce read again (a crash before it was deleted) changes nothing.
    assert process_bounce(raw) == 0
    assert message.log.count() == len(log)


def test_a_dsn_without_the_token_is_matched_by_the_original_message_id(company, owner):
    older = sent_message(company, owner)
    message = sent_message(company, owner)  # the latest to the address: must NOT be picked
    assert older.provider_id and older.provider_id != message.provider_id
    raw = dsn(to="crm@example.hu", headers=original_headers(older, with_return_path=False))

    [bounce] = parse_bounce(raw)
    assert bounce.token == ""
    assert older.provider_id in bounce.message_ids

    assert process_bounce(raw) == 1
    assert status_of(older) == Status.BOUNCED
    assert status_of(message) == Status.SENT


def test_a_delay_notice_is_not_a_bounce(company, owner):
    message = sent_message(company, owner)
    raw = dsn(
        to=verp(message),
        action="delayed",
        status="4.4.1",
        diagnostic="smtp; 451 4.4.1 mx.ceg.hu: Connection timed out",
        headers=original_headers(message),
    )
    assert parse_bounce(raw) == []
    assert process_bounce(raw) == 0
    assert status_of(message) == Status.SENT
    assert not Suppression.objects.exists()


def test_a_transient_failure_bounces_the_message_but_does_not_suppress_the_address(company, owner):
    message = sent_message(company, owner)
    raw = dsn(
        to=verp(message),
        status="4.4.7",
        diagnostic="X-Postfix; delivery temporarily suspended: connect to mx.ceg.hu timed out",
        headers=original_headers(message),
    )
    [bounce] = parse_bounce(raw)
    assert not bounce.permanent
    assert process_bounce(raw) == 1
    assert status_of(message) == Status.BOUNCED
    assert not Suppression.objects.exists()


def test_a_qmail_bounce_is_matched_by_the_failed_address(company, owner):
    older = sent_message(company, owner)
    latest = sent_message(company, owner)
    other = sent_message(company, owner, recipient="valaki@ceg.hu")
    raw = qmail_bounce()

    [bounce] = parse_bounce(raw)
    assert (bounce.token, bounce.message_ids) == ("", ())
    assert bounce.recipient == ADDRESS and bounce.permanent
    assert bounce.reason == "Remote host said: 550 5.1.1 <nincs.ilyen@ceg.hu>... User unknown"

    assert process_bounce(raw) == 1
    assert status_of(latest) == Status.BOUNCED
    assert status_of(older) == Status.SENT
    assert status_of(other) == Status.SENT
    assert Suppression.objects.filter(address=ADDRESS).count() == 1
    # Read again: the same (latest) message is found, nothing older is touched.
    assert process_bounce(raw) == 0
    assert status_of(older) == Status.SENT


def test_an_exim_bounce_is_matched_by_the_message_id_in_the_quoted_copy(company, owner):
    message = sent_message(company, owner)
    latest = sent_message(company, owner)
    raw = exim_bounce(message)

    [bounce] = parse_bounce(raw)
    assert bounce.recipient == ADDRESS and bounce.permanent
    assert bounce.message_ids[0] == message.provider_id
    assert bounce.reason.startswith("550 5.2.1 The email account")

    assert process_bounce(raw) == 1
    assert status_of(message) == Status.BOUNCED
    assert status_of(latest) == Status.SENT


def test_a_bounce_of_an_unknown_message_marks_nothing(company, owner):
    message = sent_message(company, owner)
    raw = qmail_bounce("senki@masik.hu")
    assert process_bounce(raw) == 0
    assert status_of(message) == Status.SENT


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe" * 200,
        b"not an e-mail at all",
        bytes(random.Random(42).getrandbits(8) for _ in range(4096)),
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n"
        b"Content-Type: message/delivery-status\n\nAction: failed\nStatus: 5.1.1\n"
        b"Final-Recipient: rfc822; \x00\xff@@\n--x--\n",
        b"Delivered-To: bounce+zz@x\nContent-Type: text/plain; charset=no-such-charset\n"
        b"Content-Transfer-Encoding: base64\n\n!!!not base64",
    ],
)
def test_garbage_is_no_bounce_and_raises_nothing(company, owner, raw):
    message = sent_message(company, owner)
    assert process_bounce(raw) == 0
    assert status_of(message) == Status.SENT


# --- the management command, fed through a real stdin ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_command_reads_a_bounce_from_stdin(company, owner, monkeypatch):
    # Committed rows would enqueue a real Celery send; nothing is sent in this test.
    monkeypatch.setattr(services, "_enqueue_send", lambda pk: None)
    message = sent_message(company, owner)
    env = subprocess_env(MESSAGING_BOUNCE_DOMAIN=BOUNCE_DOMAIN)

    def run(raw: bytes) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PYTHON, "manage.py", "process_bounce"],
            cwd=ROOT,
            env=env,
            input=raw,
            capture_output=True,
            timeout=120,
            check=False,
        )

    result = run(dsn(to=verp(message), headers=original_headers(message)))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("1 message(s) marked bounced")
    assert status_of(message) == Status.BOUNCED
    assert Suppression.objects.filter(address=ADDRESS).exists()

    # Nothing matched (the same bounce again, and garbage): still exit code 0.
    for raw in (dsn(to=verp(message), headers=original_headers(message)), b"\xff\x00junk"):
        result = run(raw)
        assert result.returncode == 0, result.stderr.decode()
        assert result.stdout.decode().startswith("0 message(s) marked bounced")


# --- the bounce mailbox over IMAP -----------------------------------------------------------


def test_without_an_imap_url_nothing_is_fetched(settings):
    settings.MESSAGING_BOUNCE_IMAP_URL = ""
    assert fetch_from_imap() == 0


def test_fetch_from_imap_processes_and_deletes_the_bounces(company, owner, settings, imap_server):
    first = sent_message(company, owner)
    second = sent_message(company, owner, recipient="megszunt@masik.hu")
    untouched = sent_message(company, owner, recipient="valaki@ceg.hu")
    imap_server.append(dsn(to=verp(first), headers=original_headers(first)))
    imap_server.append(qmail_bounce("megszunt@masik.hu"))
    imap_server.append(b"\xff\x00 not a mail")
    assert imap_server.count() == 3
    settings.MESSAGING_BOUNCE_IMAP_URL = imap_server.url

    assert fetch_from_imap() == 2

    assert status_of(first) == Status.BOUNCED
    assert status_of(second) == Status.BOUNCED
    assert status_of(untouched) == Status.SENT
    assert set(Suppression.objects.values_list("address", flat=True)) == {
        ADDRESS,
        "megszunt@masik.hu",
    }
    assert imap_server.count() == 0
    # Nothing left to read.
    assert fetch_from_imap() == 0


def test_a_mail_is_not_deleted_when_the_database_fails(
    company,
    owner,
    settings,
    imap_server,
    monkeypatch,
):
    from django.db import OperationalError

    from crm.messaging import bounces

    message = sent_message(company, owner)
    imap_server.append(dsn(to=verp(message), headers=original_headers(message)))
    settings.MESSAGING_BOUNCE_IMAP_URL = imap_server.url

    def down(bounce):
        raise OperationalError("the database is down")

    monkeypatch.setattr(bounces, "find_message", down)
    with pytest.raises(OperationalError):
        fetch_from_imap()
    assert imap_server.count() == 1  # kept, unread: the next run reads it again
    monkeypatch.undo()
    assert fetch_from_imap() == 1
    assert status_of(message) == Status.BOUNCED
    assert imap_server.count() == 0
