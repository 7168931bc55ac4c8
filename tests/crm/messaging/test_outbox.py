"""The outbox against real protocols: SMTP (aiosmtpd on loopback) and an HTTP SMS gateway
(pytest-httpserver), with retries, permanent failures, idempotency and rate limits."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from crm.messaging import services
from crm.messaging.models import Message, MessageEvent, MessageTemplate, Status, Suppression
from crm.messaging.states import transition
from crm.models import Company
from tests.conftest import free_port
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")


@pytest.fixture
def sender_user(company):
    return UserFactory(username="kuldo")


@pytest.fixture
def queue(company, sender_user):
    counter = iter(range(1, 10_000))

    def make(**kwargs):
        defaults = {
            "channel": "email",
            "recipient": "vevo@pelda.hu",
            "company": company,
            "created_by": sender_user,
            "subject": "Árajánlat",
            "text": "Tisztelt Vevő!",
            "html": "<p>Tisztelt <b>Vevő</b>!</p>",
            "idempotency_key": f"test-{next(counter)}",
        }
        defaults.update(kwargs)
        return services.message_queue(**defaults)

    return make


def status_of(message) -> str:
    return Message.objects.get(pk=message.pk).status


def make_due(message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_an_email_goes_out_multipart_with_its_message_id_and_return_path(
    queue, smtp_server, settings
):
    settings.MESSAGING_BOUNCE_DOMAIN = "bounces.pelda.hu"
    message = queue(marketing=True)
    assert services.deliver() == 1
    assert status_of(message) == Status.SENT

    envelope = smtp_server.messages[0]
    assert envelope.mail_from == f"bounce+{message.token}@bounces.pelda.hu"
    assert envelope.rcpt_tos == ["vevo@pelda.hu"]
    mail = smtp_server.parsed()[0]
    assert mail["Message-ID"] == Message.objects.get(pk=message.pk).provider_id
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL
    assert mail["Subject"] == "Árajánlat"
    assert f"/messages/u/{message.token}/" in mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Tisztelt Vevő!" in plain
    assert "<b>Vevő</b>" in html and f"/messages/o/{message.token}.gif" in html
    log = list(MessageEvent.objects.filter(message=message).values_list("to_status", flat=True))
    assert log == ["queued", "sending", "sent"]


def test_attachments_and_inline_images(queue, smtp_server):
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b40000000049454e44ae426082"
    )
    queue(
        html='<p>Logó: <img src="cid:logo"></p>',
        attachments=(
            ("ajanlat.pdf", b"%PDF-1.4 minta", "application/pdf"),
            ("logo.png", png, "image/png", "logo"),
        ),
    )
    services.deliver()
    mail = smtp_server.parsed()[0]
    parts = {part.get_filename(): part for part in mail.walk() if part.get_filename()}
    assert parts["ajanlat.pdf"].get_content() == b"%PDF-1.4 minta"
    assert parts["logo.png"]["Content-ID"] == "<logo>"
    assert parts["logo.png"].get_content_disposition() == "inline"


def test_a_451_is_retried_later_and_then_sent(queue, smtp_server):
    smtp_server.answers = ["451 4.3.0 Try again later"]
    message = queue()
    services.deliver()
    row = Message.objects.get(pk=message.pk)
    assert row.status == Status.QUEUED
    assert row.attempts == 1
    assert row.last_error.startswith("451")
    assert row.next_attempt_at > timezone.now() + datetime.timedelta(seconds=30)
    assert services.deliver() == 0  # not due yet
    make_due(message)
    assert services.deliver() == 1
    assert status_of(message) == Status.SENT
    assert len(smtp_server.messages) == 1


def test_a_554_fails_the_message_with_the_reason(queue, smtp_server):
    smtp_server.refuse_with = "554 5.7.1 Message rejected"
    message = queue()
    services.deliver()
    row = Message.objects.get(pk=message.pk)
    assert row.status == Status.FAILED
    assert row.last_error == "554 5.7.1 Message rejected"
    assert row.failed_at is not None


def test_the_smtp_server_down_is_transient(queue, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2
    message = queue()
    services.deliver()
    row = Message.objects.get(pk=message.pk)
    assert row.status == Status.QUEUED and "ConnectionRefusedError" in row.last_error


def test_transient_errors_give_up_after_the_last_attempt(queue, smtp_server, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 2
    smtp_server.refuse_with = "421 4.7.0 Too busy"
    message = queue()
    services.deliver()
    make_due(message)
    services.deliver()
    row = Message.objects.get(pk=message.pk)
    assert row.status == Status.FAILED
    assert row.last_error == "2 próbálkozás után feladva: 421 4.7.0 Too busy"


def test_queuing_the_same_key_twice_sends_once(queue, smtp_server):
    first = queue(idempotency_key="ajanlat-42-kuldes")
    second = queue(idempotency_key="ajanlat-42-kuldes", subject="Más tárgy")
    assert first.pk == second.pk
    services.deliver()
    services.deliver()
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("channel", "recipient", "message"),
    [
        ("email", "nem-cim", "nem-cim is not a valid e-mail address"),
        ("sms", "123", "123 is not a valid phone number"),
        ("sms", "06 1 234 5678", "is not a mobile number"),
        ("fax", "hello", "hello is not a valid phone number"),
    ],
)
def test_bad_addresses_are_refused_at_queue_time(queue, channel, recipient, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        queue(channel=channel, recipient=recipient)
    assert message in error.value.messages[0]
    assert not Message.objects.exists()


def test_a_bad_address_is_refused_in_hungarian(queue):
    with translation.override("hu"), pytest.raises(ValidationError) as error:
        queue(recipient="rossz@")
    assert "nem érvényes e-mail-cím" in error.value.messages[0]


def test_phone_numbers_are_normalised(queue):
    message = queue(channel="sms", recipient="06 30 123 4567", subject="", html="")
    assert message.recipient == "+36301234567"


def test_a_message_over_the_limit_is_refused_not_truncated(queue, settings):
    settings.MESSAGING_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        queue(attachments=(("nagy.bin", b"x" * 2000, "application/octet-stream"),))
    assert error.value.code == "too_big"
    assert not Message.objects.exists()


def test_suppressed_addresses(queue):
    Suppression.objects.create(address="vevo@pelda.hu", reason="unsubscribed")
    assert queue()  # not marketing: fine
    with pytest.raises(ValidationError, match="unsubscribed|leiratkozott"):
        queue(marketing=True)
    Suppression.objects.create(address="vevo@pelda.hu", reason="bounced")
    with pytest.raises(ValidationError):
        queue()


def test_html_is_sanitised(queue):
    message = queue(
        html='<p onclick="x()">Szia<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">link</a>'
    )
    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    assert "javascript" not in message.body_html
    assert "<p>Szia</p>" in message.body_html


def test_templates_render_per_language_with_fallback(queue, smtp_server):
    MessageTemplate.objects.create(
        key="koszonto",
        language="hu",
        subject="Üdv, {{ name }}!",
        body_text="Kedves {{ name }}!",
        body_html="<p>{{ name }}</p>",
    )
    hu = queue(
        template="koszonto",
        context={"name": "<Kiss> Anna"},
        language="hu",
        subject="",
        text="",
        html="",
    )
    assert hu.subject == "Üdv, <Kiss> Anna!"
    assert "&lt;Kiss&gt; Anna" in hu.body_html
    en = queue(template="koszonto", context={"name": "Anna"}, language="en")
    assert en.subject == "Üdv, Anna!"  # no English version: the Hungarian one


def test_a_template_with_a_syntax_error_is_refused_with_the_line():
    template = MessageTemplate(
        key="hibas", language="hu", subject="Tárgy", body_text="Első sor\nMásodik {% if %} sor\n"
    )
    with translation.override("en"), pytest.raises(ValidationError) as error:
        template.full_clean()
    assert "line 2" in str(error.value.message_dict["body_text"])


def test_the_open_pixel_marks_opened_once(client, queue, smtp_server):
    message = queue()
    services.deliver()
    url = f"/messages/o/{message.token}.gif"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    client.get(url)
    assert status_of(message) == Status.OPENED
    assert MessageEvent.objects.filter(message=message, to_status="opened").count() == 1


def test_unsubscribe_page_and_one_click(client, queue, smtp_server):
    message = queue(marketing=True)
    page = client.get(f"/messages/u/{message.token}/")
    assert page.status_code == 200 and "vevo@pelda.hu" in page.content.decode()
    done = client.post(f"/messages/u/{message.token}/")
    assert 'data-testid="unsubscribed"' in done.content.decode()
    assert "nem küldünk több marketingüzenetet" in done.content.decode()
    assert Suppression.objects.filter(address="vevo@pelda.hu", reason="unsubscribed").exists()
    with pytest.raises(ValidationError):
        queue(marketing=True)
    assert client.get("/messages/u/nincs-ilyen/").status_code == 404


def test_an_sms_through_the_http_gateway_and_its_signed_delivery_report(
    queue, httpserver, settings, client
):
    settings.MESSAGING_SMS_GATEWAY_URL = httpserver.url_for("/send")
    settings.MESSAGING_SMS_GATEWAY_TOKEN = "titkos-token"
    httpserver.expect_request("/send", method="POST").respond_with_json({"id": "gw-123"})
    message = queue(
        channel="sms",
        recipient="+36 30 123 4567",
        subject="",
        html="",
        text="Holnap 10-kor találkozunk.",
    )
    assert services.deliver() == 1
    request, _response = httpserver.log[0]
    assert request.headers["Authorization"] == "Bearer titkos-token"
    payload = request.get_json()
    assert payload["to"] == "+36301234567" and payload["text"] == "Holnap 10-kor találkozunk."
    row = Message.objects.get(pk=message.pk)
    assert row.status == Status.SENT and row.provider_id == "gw-123"

    callback = payload["callback_url"].removeprefix(settings.SITE_URL)
    forged = callback.split("?")[0] + "?sig=hamis"
    assert (
        client.post(forged, {"status": "delivered"}, content_type="application/json").status_code
        == 403
    )
    response = client.post(callback, {"status": "delivered"}, content_type="application/json")
    assert response.status_code == 200
    assert status_of(message) == Status.DELIVERED


@pytest.mark.parametrize(("code", "expected"), [(503, Status.QUEUED), (400, Status.FAILED)])
def test_sms_gateway_errors(queue, httpserver, settings, code, expected):
    settings.MESSAGING_SMS_GATEWAY_URL = httpserver.url_for("/send")
    httpserver.expect_request("/send").respond_with_data("hiba", status=code)
    message = queue(channel="sms", recipient="+36301234567", text="x")
    services.deliver()
    assert status_of(message) == expected


def test_a_fax_goes_to_the_email_to_fax_gateway(queue, smtp_server, settings):
    settings.MESSAGING_FAX_ADDRESS = "{number}@fax.pelda.hu"
    queue(channel="fax", recipient="06 1 234 5678", subject="Megrendelés")
    services.deliver()
    assert smtp_server.messages[0].rcpt_tos == ["3612345678@fax.pelda.hu"]


def test_the_rate_limit_defers_the_rest_to_the_next_minute(queue, smtp_server, settings):
    settings.MESSAGING_RATE_PER_MINUTE = {"email": 3, "sms": 0, "fax": 0}
    for _ in range(5):
        queue()
    assert services.deliver() == 3
    waiting = Message.objects.filter(status=Status.QUEUED)
    assert waiting.count() == 2
    assert all(m.next_attempt_at.second == 0 and m.attempts == 0 for m in waiting)


def test_a_stuck_message_is_queued_again_and_resent_with_the_same_message_id(
    queue, smtp_server, settings
):
    settings.MESSAGING_STUCK_AFTER_SECONDS = 60
    message = queue()
    claimed = services.claim(limit=10)
    assert claimed == [message.pk]
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    assert services.reconcile_stuck() == 1
    assert services.deliver() == 1
    mail = smtp_server.parsed()[0]
    assert mail["Message-ID"] == Message.objects.get(pk=message.pk).provider_id


def test_resend_needs_the_function_and_a_failed_message(queue, smtp_server):
    from django.contrib.auth.models import Permission

    smtp_server.refuse_with = "550 No such user"
    message = queue()
    services.deliver()
    peer = UserFactory()
    with pytest.raises(ValidationError):
        services.message_resend(Message.objects.get(pk=message.pk), user=peer)
    peer.user_permissions.add(Permission.objects.get(codename="resend_message"))
    peer = type(peer).objects.get(pk=peer.pk)
    assert services.message_resend(Message.objects.get(pk=message.pk), user=peer)
    assert status_of(message) == Status.QUEUED


def test_the_state_machine_refuses_a_jump():
    from crm.messaging.states import TransitionRefused

    with pytest.raises(TransitionRefused):
        transition(1, to=Status.OPENED, frm=Status.QUEUED)


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_message(company, sender_user):
    for n in range(40):
        services.message_queue(
            channel="email",
            recipient=f"v{n}@pelda.hu",
            company=company,
            created_by=sender_user,
            text="x",
            idempotency_key=f"k{n}",
        )
    results: list[list[int]] = []

    def worker():
        results.append(services.claim(limit=25))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = results
    assert not set(first) & set(second)
    assert len(first) + len(second) == 40


def test_one_transaction_sends_one_task_per_chunk(
    queue, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MESSAGING_BATCH_SIZE = 20
    chunks: list[list[int]] = []
    monkeypatch.setattr(services, "_enqueue_send", chunks.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        made = [queue(recipient=f"v{n}@pelda.hu") for n in range(45)]
    assert len(callbacks) == 1
    assert [len(chunk) for chunk in chunks] == [20, 20, 5]
    assert sum(chunks, []) == [m.pk for m in made]


def test_a_rolled_back_transaction_sends_nothing(
    queue, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction as tx

    chunks: list[list[int]] = []
    monkeypatch.setattr(services, "_enqueue_send", chunks.append)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with tx.atomic():
                queue()
                raise RuntimeError("the caller's work failed")
        except RuntimeError:
            pass
    assert chunks == [] and not Message.objects.exists()


def test_the_fast_path_builds_the_same_mail_as_djangos_classes(queue, settings):
    import email
    from email import policy

    from crm.messaging.channels import build_email, fast_email_bytes

    settings.MESSAGING_BOUNCE_DOMAIN = "bounces.pelda.hu"
    settings.DEFAULT_FROM_EMAIL = "Példa Kereskedelmi Kft. <crm@pelda.hu>"
    message = queue(
        marketing=True,
        subject="Őszi ajánlat: árvíztűrő tükörfúrógép – " + "nagyon hosszú tárgy " * 6,
        text="Tisztelt Ügyfelünk!\n" + "Hosszú sor ékezetekkel őű " * 20,
        html="<p>Tisztelt <b>Ügyfelünk</b>!</p>",
    )
    envelope, data = fast_email_bytes(message, to=message.recipient)
    fast = email.message_from_bytes(data, policy=policy.default)
    slow = email.message_from_bytes(
        build_email(message).message().as_bytes(), policy=policy.default
    )
    assert envelope == f"bounce+{message.token}@bounces.pelda.hu"
    for header in (
        "Subject",
        "From",
        "To",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ):
        assert str(fast[header]).strip() == str(slow[header]).strip(), header
    for kind in ("plain", "html"):  # on the wire both use CRLF; compare the text itself
        assert fast.get_body((kind,)).get_content().replace("\r\n", "\n") == (
            slow.get_body((kind,)).get_content().replace("\r\n", "\n")
        )
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_a_subject_cannot_carry_extra_headers(queue, smtp_server):
    message = queue(subject="Ajánlat\r\nBcc: titkos@pelda.hu")
    services.deliver()
    mail = smtp_server.parsed()[0]
    assert mail["Bcc"] is None and smtp_server.messages[0].rcpt_tos == [message.recipient]
    assert mail["Subject"] == "Ajánlat Bcc: titkos@pelda.hu"


def test_a_backend_other_than_smtp_gets_the_built_message(queue, settings):
    """`make run` prints mail with Django's console backend; tests keep it in memory: both
    must receive the message (the raw SMTP path needs an SMTP connection)."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    message = queue(recipient="konzol@pelda.hu", subject="Konzolra")
    services.deliver()
    assert status_of(message) == Status.SENT
    assert [(m.to, m.subject) for m in mail.outbox] == [(["konzol@pelda.hu"], "Konzolra")]


def test_status_changes_skip_the_visibility_trigger_only_for_themselves(queue, smtp_server):
    """Claiming and sending hold the visibility index's update trigger off (owner and company
    do not change); an owner change later in the same transaction still moves the index."""
    from django.db import transaction

    from crm.models import Visibility
    from crm.scoping import table_id

    first, second = queue(), queue()
    make_due(first)
    make_due(second)
    entries = Visibility.objects.filter(tab=table_id(Message), record_id=second.pk)
    before = sorted(entries.values_list("viewer_id", flat=True))
    assert before, "a queued message is in the visibility index"
    other = UserFactory(username="masik_tulaj")
    with transaction.atomic():
        assert [m.pk for m in services.claim_messages(limit=1, ids=[first.pk])] == [first.pk]
        Message.objects.filter(pk=second.pk).update(owner=other)
    assert other.pk in entries.values_list("viewer_id", flat=True)
    assert services.deliver(ids=[first.pk]) == 0  # already claimed: sending, not due
    with connection.cursor() as cursor:
        cursor.execute("SHOW pgtrigger.ignore")
        assert cursor.fetchone()[0] in ("{}", "")
