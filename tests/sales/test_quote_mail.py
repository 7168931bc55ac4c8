"""A quote sent by mail: its PDF drawn by the document generator, attached to a mail of the
outbox that a real SMTP server on loopback receives, the send recorded on the quote (with the
message's delivery) and on the partner's timeline, the quote sent and its opportunity quoted;
the same form posted twice sends once; bad input is refused with nothing recorded."""

from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from activities.defaults import ensure_defaults
from activities.models import Activity
from crm.messaging.models import Message
from crm.messaging.services import deliver
from documents.models import DocumentLink, DocumentType
from sales.models import Quote, QuoteEvent
from sales.quotes import quote_from_opportunity
from tests.documents.generator_kit import make_template, pdf_text, templates_folder
from tests.partners.conftest import make_contact, make_partner

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db
TEMPLATE = Path(__file__).resolve().parents[2] / "sales" / "data" / "quote_template.html"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()


@pytest.fixture
def sendable(org):
    """A quote of an opportunity with a contact, and the company's quote template that the
    reps may read."""
    ensure_defaults(django_apps)  # a transactional test before may have flushed the types
    partner = make_partner(org.owner, name="Alföld-Gépészeti Kft.")
    contact = make_contact(partner, "Kovács", "Anna", emails=["kovacs.anna@alfold.hu"])
    opp = make_opportunity(org.owner, partner=partner, name="Kazáncsere", contact=contact)
    add_line(org.owner, opp, make_product("KAZ", price="689000", name_hu="Kazán"), quantity="2")
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    folder = templates_folder(org.company, readers=[org.owner, org.supervisor])
    template = make_template(
        org.boss,
        "Árajánlat (PDF)",
        "arajanlat.html",
        TEMPLATE.read_text(),
        folder=folder,
        output_type=DocumentType.OFFER,
    )
    return quote, template


def form_of(client, quote) -> dict:
    response = client.get(reverse("sales:quote-send", args=[quote.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


def test_sending_mails_the_pdf_and_records_it_everywhere(org, client, sendable, smtp_server):
    quote, template = sendable
    client.force_login(org.owner)
    fields = form_of(client, quote)
    assert fields["recipient"] == "kovacs.anna@alfold.hu"
    assert quote.number in fields["subject"] and "Kovács Anna" in fields["body"]
    assert fields["template"] == template.pk
    fields |= {"recipient": "anna.kovacs@alfold.hu", "subject": "Árajánlatunk a kazáncseréhez"}
    url = reverse("sales:quote-send", args=[quote.pk])
    response = client.post(url, fields)
    assert response.status_code == 302
    client.post(url, fields)  # the same form twice: sent once
    assert Message.objects.count() == 1
    deliver()

    (mail,) = smtp_server.parsed()
    assert mail["To"] == "anna.kovacs@alfold.hu"
    assert mail["Subject"] == "Árajánlatunk a kazáncseréhez"
    assert "Kovács Anna" in mail.get_body(("plain",)).get_content()
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename().endswith(".pdf")
    text = pdf_text(attachment.get_content()).replace("\xa0", " ")
    assert quote.number in text and "1 378 000" in text  # 2 × 689 000

    quote.refresh_from_db()
    assert quote.status == "sent" and quote.opportunity.stage.name_en == "Quoted"
    event = QuoteEvent.objects.get(quote=quote, status="sent")
    assert event.by == org.owner and event.message.recipient == "anna.kovacs@alfold.hu"
    assert event.document is not None
    assert DocumentLink.objects.filter(document=event.document, object_id=quote.pk).exists()
    (activity,) = Activity.objects.filter(partner=quote.partner)
    assert activity.type.code == "email" and activity.closed_at is not None
    assert quote.number in activity.subject and "anna.kovacs@alfold.hu" in activity.result_notes
    assert DocumentLink.objects.filter(document=event.document, object_id=activity.pk).exists()

    page = client.get(reverse("sales:quote", args=[quote.pk])).content.decode()
    assert 'data-testid="quote-mail"' in page and event.document.title in page
    timeline = client.get(
        reverse("partners:detail", args=[quote.partner_id]) + "?tab=timeline"
    ).content.decode()
    assert quote.number in timeline


def test_bad_input_is_refused_and_nothing_is_sent(org, client, sendable, smtp_server):
    quote, template = sendable
    client.force_login(org.owner)
    fields = form_of(client, quote)
    url = reverse("sales:quote-send", args=[quote.pk])
    for bad in (
        {"recipient": "nem egy cím"},
        {"recipient": ""},
        {"subject": "   "},
        {"template": 999999},
        {"token": ""},
    ):
        response = client.post(url, fields | bad)
        assert response.status_code == 400, bad
    assert not Message.objects.exists()
    # a deactivated product stops the send with its code
    product = quote.lines.get().product
    product.active = False
    product.save()
    response = client.post(url, fields)
    assert response.status_code == 400 and "KAZ" in response.content.decode()
    assert not Message.objects.exists()
    quote.refresh_from_db()
    assert quote.status == "draft" and not Activity.objects.exists()
    assert not QuoteEvent.objects.filter(status="sent").exists()


def test_without_a_template_the_page_says_what_to_do(org, client, smtp_server):
    opp = make_opportunity(org.owner)
    add_line(org.owner, opp, make_product())
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    client.force_login(org.owner)
    response = client.get(reverse("sales:quote-send", args=[quote.pk]))
    assert 'data-testid="quote-send-problem"' in response.content.decode()
    fields = {"recipient": "a@b.hu", "subject": "x", "body": "y", "token": "t"}
    response = client.post(reverse("sales:quote-send", args=[quote.pk]), fields)
    assert response.status_code == 400
    assert not Message.objects.exists()
    assert Quote.objects.get(pk=quote.pk).status == "draft"


def test_a_sent_quote_is_not_mailed_again(org, client, sendable, smtp_server):
    quote, _template = sendable
    client.force_login(org.owner)
    fields = form_of(client, quote)
    client.post(reverse("sales:quote-send", args=[quote.pk]), fields)
    fields["token"] = "another-form"
    response = client.post(reverse("sales:quote-send", args=[quote.pk]), fields)
    assert response.status_code == 400
    assert Message.objects.count() == 1


def test_the_quote_page_follows_the_mails_delivery(org, client, sendable, smtp_server):
    """A refused mail shows on the quote as failed, with the server's answer."""
    quote, _template = sendable
    smtp_server.refuse_with = "554 5.7.1 Mailbox unavailable"
    client.force_login(org.owner)
    client.post(reverse("sales:quote-send", args=[quote.pk]), form_of(client, quote))
    page = client.get(reverse("sales:quote", args=[quote.pk])).content.decode()
    assert "sorban áll" in page
    deliver()
    message = Message.objects.get()
    assert message.status == "failed"
    page = client.get(reverse("sales:quote", args=[quote.pk])).content.decode()
    assert "text-bg-danger" in page and "Mailbox unavailable" in page
    assert reverse("messaging:detail", args=[message.pk]) in page


def test_an_expired_draft_is_not_sent_until_its_validity_is_moved(org, client, sendable):
    import datetime

    quote, _template = sendable
    Quote.objects.filter(pk=quote.pk).update(
        issued_on=datetime.date(2025, 1, 2), valid_until=datetime.date(2025, 2, 1)
    )
    client.force_login(org.owner)
    fields = form_of(client, quote)
    page = client.get(reverse("sales:quote-send", args=[quote.pk])).content.decode()
    assert "2025. 02. 01." in page and 'data-testid="quote-send-problem"' in page
    response = client.post(reverse("sales:quote-send", args=[quote.pk]), fields)
    assert response.status_code == 400 and not Message.objects.exists()
    response = client.post(reverse("sales:quote-status", args=[quote.pk]), {"status": "sent"})
    assert Quote.objects.get(pk=quote.pk).status == "draft"
