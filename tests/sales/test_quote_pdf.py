"""A quote's PDF through the document generator, from the template shipped in sales/data: the
Hungarian numbers, dates and VAT summary read back from the PDF, stored sealed and linked to
the quote; the generator's page reaches a quote only for those who see it."""

from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse

from documents import generator
from documents.models import DocumentLink
from sales.quotes import quote_from_opportunity
from tests.documents.generator_kit import make_template, output, pdf_text

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db
TEMPLATE = Path(__file__).resolve().parents[2] / "sales" / "data" / "quote_template.html"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()


def test_a_quote_pdf_has_its_lines_and_vat_summary_in_hungarian(org, client):
    opp = make_opportunity(org.owner, name="Kazáncsere")
    add_line(org.owner, opp, make_product("KAZ", price="689000", name_hu="Kazán"), quantity="2")
    add_line(
        org.owner,
        opp,
        make_product("SZ", price="1234.50", name_hu="Szerviz", vat_rate="AAM"),
        quantity="1.5",
    )
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    template = make_template(org.owner, "Árajánlat", "arajanlat.html", TEMPLATE.read_text())
    assert generator.template_problems(template) == []
    document = generator.generate(template=template, kind="quote", record=quote, user=org.owner)
    text = pdf_text(output(document)).replace("\xa0", " ")
    assert quote.number in text and "Kazáncsere" in text
    assert "1 378 000" in text  # 2 × 689 000
    assert "1 852" in text  # 1,5 × 1 234,50 = 1 851,75 → 1 852 Ft
    assert "372 060" in text  # 27 % of 1 378 000
    assert "1 751 912" in text  # gross: 1 378 000 + 372 060 + 1 852
    assert quote.gross_total == D(1751912)
    assert DocumentLink.objects.filter(document=document, object_id=quote.pk).exists()
    # the generator's page opens for the quote only to those who see it
    url = reverse("documents:generate") + f"?quote={quote.pk}"
    client.force_login(org.owner)
    assert client.get(url).status_code == 200
    client.force_login(org.peer)
    assert client.get(url).status_code == 404
