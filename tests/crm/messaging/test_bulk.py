"""Queueing a newsletter at once (crm.messaging.bulk.message_queue_many): the rules of
message_queue, set-based, and the mails that reach a real SMTP server on loopback."""

import pytest
from django.utils import translation

from crm.messaging import services
from crm.messaging.bulk import BulkRecipient, message_queue_many
from crm.messaging.models import Message, MessageEvent, MessageTemplate, Status, Suppression
from crm.models import Company
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")


@pytest.fixture
def user(company):
    return UserFactory(username="kampany")


@pytest.fixture
def offer():
    MessageTemplate.objects.create(
        key="tavaszi-ajanlat",
        language="en",
        subject="An offer for you, {{ name }}",
        body_text="Dear {{ name }}, 15 % off.",
        body_html="<p>Dear <b>{{ name }}</b>, 15 % off.</p>",
    )
    return MessageTemplate.objects.create(
        key="tavaszi-ajanlat",
        language="hu",
        subject="Ajánlat Önnek, {{ name }}",
        body_text="Kedves {{ name }}! 15 % kedvezmény.",
        body_html="<p>Kedves <b>{{ name }}</b>! 15 % kedvezmény.</p>",
    )


def people(*numbers, prefix="hirlevel"):
    return [
        BulkRecipient(
            recipient=f"vevo{n}@pelda.hu",
            idempotency_key=f"{prefix}-{n}",
            context={"name": f"Vevő {n}"},
        )
        for n in numbers
    ]


def queue_many(company, user, recipients, **kwargs):
    defaults = {"channel": "email", "template": "tavaszi-ajanlat", "marketing": True}
    defaults.update(kwargs)
    return message_queue_many(recipients=recipients, company=company, created_by=user, **defaults)


def test_each_recipient_of_a_newsletter_gets_their_own_name_in_the_mail(
    company, user, offer, smtp_server
):
    result = queue_many(company, user, people(1, 2, 3))
    assert sorted(result.queued) == ["hirlevel-1", "hirlevel-2", "hirlevel-3"]
    assert not result.existing and not result.refused
    assert services.deliver() == 3
    mails = {m["To"]: m for m in smtp_server.parsed()}
    assert set(mails) == {"vevo1@pelda.hu", "vevo2@pelda.hu", "vevo3@pelda.hu"}
    for n in (1, 2, 3):
        mail = mails[f"vevo{n}@pelda.hu"]
        assert mail["Subject"] == f"Ajánlat Önnek, Vevő {n}"
        assert f"Kedves Vevő {n}!" in mail.get_body(("plain",)).get_content()
        assert f"<b>Vevő {n}</b>" in mail.get_body(("html",)).get_content()
        assert "/messages/u/" in mail["List-Unsubscribe"]
    row = Message.objects.get(idempotency_key="hirlevel-2")
    assert row.template == offer and row.owner == user and row.status == Status.SENT
    log = MessageEvent.objects.filter(message=row).values_list("to_status", flat=True)
    assert list(log) == ["queued", "sending", "sent"]


def test_a_name_is_escaped_in_the_html_but_not_in_the_text(company, user, offer):
    recipient = BulkRecipient(
        recipient="vevo@pelda.hu", idempotency_key="k1", context={"name": "<script>X&Y"}
    )
    queue_many(company, user, [recipient])
    row = Message.objects.get()
    assert "<script>" not in row.body_html and "&lt;script&gt;X&amp;Y" in row.body_html
    assert row.body_text == "Kedves <script>X&Y! 15 % kedvezmény."


def test_each_recipient_gets_the_template_in_their_language_or_the_hungarian_one(
    company, user, offer
):
    recipients = [
        BulkRecipient("en@pelda.hu", "k-en", {"name": "Ann"}, language="en"),
        BulkRecipient("de@pelda.hu", "k-de", {"name": "Hans"}, language="de"),
        BulkRecipient("hu@pelda.hu", "k-hu", {"name": "Anna"}),
    ]
    with translation.override("hu"):
        queue_many(company, user, recipients)
    subjects = dict(Message.objects.values_list("recipient", "subject"))
    assert subjects == {
        "en@pelda.hu": "An offer for you, Ann",
        "de@pelda.hu": "Ajánlat Önnek, Hans",
        "hu@pelda.hu": "Ajánlat Önnek, Anna",
    }


def test_a_suppressed_address_is_skipped_with_its_reason_and_the_others_are_queued(
    company, user, offer
):
    Suppression.objects.create(address="vevo2@pelda.hu", reason="unsubscribed")
    Suppression.objects.create(address="vevo3@pelda.hu", reason="bounced")
    with translation.override("en"):
        result = queue_many(company, user, people(1, 2, 3, 4))
    assert sorted(result.queued) == ["hirlevel-1", "hirlevel-4"]
    assert result.refused["hirlevel-2"] == "vevo2@pelda.hu unsubscribed from marketing messages."
    assert result.refused["hirlevel-3"].startswith("vevo3@pelda.hu bounced on ")
    assert set(Message.objects.values_list("recipient", flat=True)) == {
        "vevo1@pelda.hu",
        "vevo4@pelda.hu",
    }
    # Not marketing: an unsubscription does not stop it, a bounce does.
    result = queue_many(company, user, people(2, 3, prefix="szamla"), marketing=False)
    assert list(result.queued) == ["szamla-2"] and list(result.refused) == ["szamla-3"]


def test_queueing_the_same_keys_again_sends_each_mail_once(company, user, offer, smtp_server):
    first = queue_many(company, user, people(1, 2))
    again = queue_many(company, user, people(1, 2, 3) + people(3))
    assert again.existing == {**first.queued, "hirlevel-3": again.queued["hirlevel-3"]}
    assert list(again.queued) == ["hirlevel-3"]
    while services.deliver():
        pass
    assert sorted(e.rcpt_tos[0] for e in smtp_server.messages) == [
        "vevo1@pelda.hu",
        "vevo2@pelda.hu",
        "vevo3@pelda.hu",
    ]


def test_a_key_queued_one_by_one_before_is_not_queued_again_in_bulk(company, user, offer):
    single = services.message_queue(
        channel="email",
        recipient="vevo1@pelda.hu",
        company=company,
        created_by=user,
        text="Egyedi levél",
        idempotency_key="hirlevel-1",
    )
    result = queue_many(company, user, people(1, 2))
    assert result.existing == {"hirlevel-1": single.pk}
    assert Message.objects.get(pk=single.pk).body_text == "Egyedi levél"
    assert Message.objects.count() == 2


def test_a_message_over_the_size_limit_is_refused_not_truncated(company, user, offer, settings):
    settings.MESSAGING_MAX_BYTES = 300
    recipients = [*people(1), BulkRecipient("vevo2@pelda.hu", "nagy", {"name": "x" * 400})]
    with translation.override("en"):
        result = queue_many(company, user, recipients)
    assert list(result.queued) == ["hirlevel-1"]
    assert "more than the limit of" in result.refused["nagy"]
    assert not Message.objects.filter(idempotency_key="nagy").exists()


def test_an_invalid_address_is_refused_in_the_users_language(company, user, offer):
    with translation.override("hu"):
        result = queue_many(company, user, [BulkRecipient("rossz@", "k1", {"name": "A"})])
    assert "nem érvényes e-mail-cím" in result.refused["k1"]
    assert not Message.objects.exists()


def test_the_commit_enqueues_one_task_per_batch_and_a_rollback_none(
    company, user, offer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction

    settings.MESSAGING_BATCH_SIZE = 20
    chunks: list[list[int]] = []
    monkeypatch.setattr(services, "_enqueue_send", chunks.append)
    with django_capture_on_commit_callbacks(execute=True):
        result = queue_many(company, user, people(*range(45)))
    assert [len(chunk) for chunk in chunks] == [20, 20, 5]
    assert sorted(sum(chunks, [])) == sorted(result.queued.values())
    chunks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                queue_many(company, user, people(*range(100, 110)))
                raise RuntimeError("the caller's work failed")
        except RuntimeError:
            pass
    assert chunks == [] and Message.objects.count() == 45


def test_queueing_costs_the_same_queries_for_3_or_300_recipients(
    company, user, offer, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for prefix, n in (("a", 3), ("b", 300)):
        with CaptureQueriesContext(connection) as queries:
            queue_many(company, user, people(*range(n), prefix=prefix))
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Message.objects.count() == 303
