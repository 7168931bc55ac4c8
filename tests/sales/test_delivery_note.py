"""A delivery note's PDF through the document generator, from the template shipped in
sales/data: the delivery's and the order's numbers, the quantities delivered and remaining,
stored and linked to the delivery; the generator's page reaches a delivery only for those who
see it."""

from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse

from documents import generator
from documents.models import DocumentLink
from sales.orders import delivery_create, order_from_quote
from tests.documents.generator_kit import make_template, output, pdf_text

from .test_orders import accepted_quote

pytestmark = pytest.mark.django_db
TEMPLATE = Path(__file__).resolve().parents[2] / "sales" / "data" / "delivery_note_template.html"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()


def test_a_delivery_note_pdf_shows_what_was_delivered_and_what_remains(org, client):
    quote = accepted_quote(org.owner, lines=[("KAZ", "689000", "2"), ("CSO", "1500", "1234.5")])
    order = order_from_quote(user=org.owner, quote=quote)
    order.customer_reference = "PO-4711"
    order.save(update_fields=["customer_reference"])
    kazan, cso = order.lines.all()
    delivery = delivery_create(
        user=org.owner,
        order=order,
        quantities={kazan.pk: D(1), cso.pk: D("1000.5")},
        received_by="Kiss János",
    )
    template = make_template(org.owner, "Szállítólevél", "szallitolevel.html", TEMPLATE.read_text())
    assert generator.template_problems(template) == []
    document = generator.generate(
        template=template, kind="delivery", record=delivery, user=org.owner
    )
    text = pdf_text(output(document)).replace("\xa0", " ")
    assert "Szállítólevél" in text and delivery.number in text and order.number in text
    assert "PO-4711" in text and "Kiss János" in text
    assert "1 000,5" in text  # delivered now, the Hungarian way
    assert "234" in text  # 1 234,5 − 1 000,5 remains
    assert order.partner.name in text
    assert DocumentLink.objects.filter(document=document, object_id=delivery.pk).exists()
    url = reverse("documents:generate") + f"?delivery={delivery.pk}"
    client.force_login(org.owner)
    assert client.get(url).status_code == 200
    client.force_login(org.peer)
    assert client.get(url).status_code == 404
