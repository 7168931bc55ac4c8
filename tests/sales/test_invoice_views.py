"""Invoice screens: every one tried by each persona (those who do not see the order get a 404
and change nothing), bad input answered with a message and never a 500, the list's filters and
its constant number of queries, and the numbered PDF read back."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sales.invoices import invoice_from_delivery, invoice_from_order, invoiceable_from_delivery
from sales.models import Invoice, InvoiceStatus
from tests.access import check_access
from tests.documents.generator_kit import pdf_text

from .invoice_kit import deliver, make_buyer, make_chain

pytestmark = pytest.mark.django_db
SEE = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}
SETTLE = {"supervisor", "second_supervisor", "boss", "superuser"}  # reps issue, managers settle


def _page(client, url, **data) -> str:
    response = client.get(url, data)
    assert response.status_code == 200
    return response.content.decode()


def test_the_invoice_screens_are_for_those_who_see_the_order(org, client):
    order, (boiler, pipe) = make_chain(org, boilers="4", pipes="10")
    delivery = deliver(org.owner, order, {boiler: "2", pipe: "10"})
    form_url = reverse("sales:invoice-from-delivery", args=[delivery.pk])
    check_access(client, org, form_url, allowed=SEE)
    key = invoiceable_from_delivery(delivery)[0].key

    def one_boiler():  # each allowed persona invoices one of the two boilers delivered… once
        return form_url, None

    outcome = check_access(
        client,
        org,
        one_boiler,
        allowed=SEE,
        method="post",
        data={f"q_{key}": "0,25", "payment_method": "transfer"},
    )
    assert set(outcome.values()) <= {200, 302, 404}
    invoice = Invoice.objects.order_by("pk").first()
    check_access(client, org, reverse("sales:invoice", args=[invoice.pk]), allowed=SEE)
    check_access(client, org, reverse("sales:invoice-pdf", args=[invoice.pk]), allowed=SEE)
    check_access(client, org, reverse("sales:invoice-from-order", args=[order.pk]), allowed=SEE)
    # payment and cancellation: a rep sees the invoice but may not settle it (403)
    check_access(
        client,
        org,
        reverse("sales:invoice-status", args=[invoice.pk]),
        allowed=SEE,
        method="post",
        data={"status": "nonsense"},
        ok_status=(302, 403),
        row=invoice,
    )
    check_access(
        client,
        org,
        reverse("sales:invoice-cancel", args=[invoice.pk]),
        allowed=SEE,
        method="post",
        data={"reason": ""},
        ok_status=(302, 403),
        row=invoice,
    )
    client.force_login(org.owner)
    response = client.post(reverse("sales:invoice-status", args=[invoice.pk]), {"status": "paid"})
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    # the list shows one's own and one's team's invoices only
    client.force_login(org.peer)
    assert invoice.number not in _page(client, reverse("sales:invoices"))
    client.force_login(org.other_company_user)
    assert invoice.number not in _page(client, reverse("sales:invoices"))
    client.force_login(org.outsider)
    assert client.get(reverse("sales:invoices")).status_code == 403
    client.force_login(org.boss)
    assert invoice.number in _page(client, reverse("sales:invoices"))


def test_a_delivery_is_invoiced_from_its_form_in_two_parts(org, client):
    order, (boiler, pipe) = make_chain(org, boilers="3", pipes="7")
    delivery = deliver(org.owner, order, {boiler: "3", pipe: "7"})
    keys = {i.order_line.pk: i.key for i in invoiceable_from_delivery(delivery)}
    url = reverse("sales:invoice-from-delivery", args=[delivery.pk])
    client.force_login(org.owner)
    page = _page(client, url)
    assert 'value="3"' in page and 'value="7"' in page  # what is left, filled in
    response = client.post(
        url,
        {
            f"q_{keys[boiler.pk]}": "2",
            f"q_{keys[pipe.pk]}": "3,5",
            "payment_method": "cash",
            "notes": "Első részszámla",
        },
    )
    first = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/invoices/{first.pk}/")
    assert first.payment_method == "cash" and first.due_on == first.issued_on
    page = _page(client, reverse("sales:invoice", args=[first.pk]))
    assert first.number in page and "1\xa0382\xa0321\xa0Ft" in page  # 1 378 000 + 4 321 net
    assert order.partner.tax_number in page and "1037 Budapest" in page
    page = _page(client, url)
    assert 'value="1"' in page and 'value="3,5"' in page and first.number in page
    client.post(
        url,
        {f"q_{keys[boiler.pk]}": "1", f"q_{keys[pipe.pk]}": "3,5", "payment_method": "transfer"},
    )
    assert Invoice.objects.count() == 2
    assert 'data-testid="nothing-left"' in _page(client, url)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Számot írjon"),
        ("-2", "vagy nagyobb"),
        ("3", "legfeljebb 2"),
        ("0", "legalább egy"),
        ("1e9999", "Számot írjon"),
    ],
)
def test_bad_quantities_get_a_message_and_no_invoice(org, client, typed, message):
    order, (boiler, _pipe) = make_chain(org, boilers="2")
    delivery = deliver(org.owner, order, {boiler: "2"})
    key = invoiceable_from_delivery(delivery)[0].key
    client.force_login(org.owner)
    response = client.post(
        reverse("sales:invoice-from-delivery", args=[delivery.pk]),
        {f"q_{key}": typed, "payment_method": "transfer"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


def test_bad_terms_get_a_message(org, client):
    order, (boiler, pipe) = make_chain(org, currency="EUR")
    url = reverse("sales:invoice-from-order", args=[order.pk])
    client.force_login(org.owner)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    lines = {f"q_{boiler.pk}": "1", f"q_{pipe.pk}": "10"}
    for data, message in (
        ({"payment_method": "barter"}, "Válasszon"),
        ({"payment_method": "transfer"}, "árfolyam"),
        ({"payment_method": "transfer", "exchange_rate": "-3"}, "vagy nagyobb"),
        ({"payment_method": "transfer", "exchange_rate": "0"}, "nagyobbnak kell lennie"),
        (
            {"payment_method": "transfer", "exchange_rate": "391,25", "due_on": str(yesterday)},
            "kiállítás napja előtt",
        ),
        ({"payment_method": "transfer", "due_on": "tegnap"}, "érvényes dátum"),
    ):
        response = client.post(url, {**lines, **data})
        assert response.status_code == 200, data
        assert message in response.content.decode(), data
    assert not Invoice.objects.exists()
    client.post(url, {**lines, "payment_method": "transfer", "exchange_rate": "391,25"})
    assert Invoice.objects.get().exchange_rate == D("391.25")


def test_paid_and_cancelled_from_the_invoice_page(org, client):
    order, (boiler, _pipe) = make_chain(org)
    invoice = invoice_from_order(user=org.owner, order=order, quantities={boiler.pk: "1"})
    url = reverse("sales:invoice", args=[invoice.pk])
    client.force_login(org.supervisor)
    page = _page(client, url)
    assert 'data-testid="invoice-mark-paid"' in page
    client.post(
        reverse("sales:invoice-status", args=[invoice.pk]), {"status": "paid", "paid_on": "soha"}
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    client.post(
        reverse("sales:invoice-status", args=[invoice.pk]),
        {"status": "paid", "paid_on": str(timezone.localdate())},
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    response = client.post(reverse("sales:invoice-cancel", args=[invoice.pk]), {"reason": ""})
    assert response.status_code == 302
    assert not Invoice.objects.filter(storno_of=invoice).exists()
    response = client.post(
        reverse("sales:invoice-cancel", args=[invoice.pk]), {"reason": "Rossz vevő"}
    )
    storno = Invoice.objects.get(storno_of=invoice)
    assert response["Location"].endswith(f"/invoices/{storno.pk}/")
    page = _page(client, reverse("sales:invoice", args=[storno.pk]))
    assert "Sztornó számla" in page and invoice.number in page and "-689\xa0000" in page
    assert storno.number in _page(client, url)


def test_the_list_filters_open_overdue_and_paid_at_a_constant_number_of_queries(org, client):
    order, (boiler, pipe) = make_chain(org, boilers="60", pipes="10")
    first = invoice_from_order(user=org.owner, order=order, quantities={boiler.pk: "1"})
    client.force_login(org.supervisor)
    url = reverse("sales:invoices")
    _page(client, url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    one = queries()
    for _n in range(49):
        invoice_from_order(user=org.owner, order=order, quantities={boiler.pk: "1"})
    assert queries() == one
    assert len(client.get(url).context["rows"]) == 50
    # one overdue, one paid
    Invoice.objects.filter(pk=first.pk).update(
        issued_on=timezone.localdate() - datetime.timedelta(days=20),
        due_on=timezone.localdate() - datetime.timedelta(days=12),
    )
    last = Invoice.objects.order_by("-pk").first()
    Invoice.objects.filter(pk=last.pk).update(status="paid", paid_on=timezone.localdate())
    overdue = client.get(url, {"state": "overdue"}).context["rows"]
    assert [i.number for i in overdue] == [first.number]
    assert [i.pk for i in client.get(url, {"state": "paid"}).context["rows"]] == [last.pk]
    assert len(client.get(url, {"state": "open"}).context["rows"]) == 49
    assert client.get(url, {"state": "nonsense", "after": "garbage"}).status_code == 200
    assert [i.pk for i in client.get(url, {"q": last.number}).context["rows"]] == [last.pk]


def test_the_pdf_is_numbered_and_carries_the_hungarian_invoice_data(org, client):
    order, (boiler, pipe) = make_chain(org)
    delivery = deliver(org.owner, order, {boiler: "1", pipe: "10"})
    invoice = invoice_from_delivery(user=org.owner, delivery=delivery)
    client.force_login(org.owner)
    response = client.get(reverse("sales:invoice-pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content).replace("\xa0", " ")
    for expected in (
        "Számla",
        invoice.number,
        "Első Kft.",
        "10773381-2-44",
        "1037 Budapest, Bécsi út 100.",
        "Szegedi Fűtéstechnika Kft.",
        "24893059-2-06",
        "6720 Szeged, Kárász utca 1.",
        "átutalás",
        f"{invoice.fulfilled_on:%Y. %m. %d.}",
        f"{invoice.due_on:%Y. %m. %d.}",
        "689 000 Ft",
        "12 345 Ft",
        "189 363 Ft",  # 27 % of 701 345
        "890 708 Ft",  # gross
    ):
        assert expected in text, expected


def test_an_eur_and_a_reverse_charge_pdf_say_what_the_law_asks(org, client):
    partner = make_buyer(org.owner, name="Bécsi Bau GmbH", country="AT", tax_number=None)
    partner.eu_vat_number = "ATU12345675"
    partner.save()
    order, _lines = make_chain(org, partner=partner, currency="EUR", vat_rate="FAD")
    invoice = invoice_from_order(user=org.owner, order=order, exchange_rate=D("391.25"))
    client.force_login(org.owner)
    text = pdf_text(client.get(reverse("sales:invoice-pdf", args=[invoice.pk])).content)
    text = text.replace("\xa0", " ")
    assert "ATU12345675" in text and "142. §" in text and "fordított adózás" in text.lower()
    assert "391,25" in text and "EUR" in text


def test_invoices_in_the_query_builder_are_scoped_like_the_screens(org):
    from crm.querybuilder.engine import build
    from tests.crm.querybuilder.conftest import fresh

    order, (boiler, _pipe) = make_chain(org)
    invoice = invoice_from_order(user=org.owner, order=order, quantities={boiler.pk: "1"})
    spec = {
        "base": "invoices",
        "columns": ["number", "partner.name", "gross_total"],
        "filter": {"items": [{"field": "status", "op": "equals", "value": "issued"}]},
    }
    expected = [[invoice.number, order.partner.name, invoice.gross_total]]
    assert build(spec, fresh(org.supervisor)).page().rows == expected
    assert build(spec, fresh(org.peer)).page().rows == []
    assert build(spec, fresh(org.other_company_user)).page().rows == []
    lines = {"base": "invoice_lines", "columns": ["invoice.number", "quantity"]}
    assert build(lines, fresh(org.owner)).page().rows == [[invoice.number, D(1)]]
    assert build(lines, fresh(org.peer)).page().rows == []
