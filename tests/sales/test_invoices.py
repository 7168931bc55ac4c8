"""Invoices (the end of the chain): made from a delivery or an order without typing a line
twice, in parts whose values add up to the order, never for more than was delivered or ordered,
numbered per company and year without gaps or repeats even when saved at once, cancelled only
by a storno invoice, and two users invoicing one delivery at once get one invoice between them."""

import datetime
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from sales.invoices import (
    invoice_cancel,
    invoice_from_delivery,
    invoice_from_order,
    invoice_set_status,
    invoiceable_from_delivery,
)
from sales.models import Counter, Invoice, InvoiceLine, InvoiceSettings, InvoiceStatus

from .invoice_kit import deliver, make_buyer, make_chain, seller

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def english():
    """The messages are asserted in English (the users read them in Hungarian too)."""
    with translation.override("en"):
        yield


def _number(n: int) -> str:
    return f"SZ-{YEAR}-{n:04d}"


def test_a_delivery_is_invoiced_with_its_quantities_and_the_hungarian_invoice_data(org):
    order, (boiler, pipe) = make_chain(org)
    delivery = deliver(org.owner, order, {boiler: "1", pipe: "10"})
    invoice = invoice_from_delivery(user=org.owner, delivery=delivery)
    assert invoice.number == _number(1)
    assert invoice.status == InvoiceStatus.ISSUED
    assert [(line.name, line.quantity, line.value) for line in invoice.lines.all()] == [
        ("Kazán", D(1), D(689000)),
        ("Cső", D(10), D(12345)),  # 10 × 1 234,50
    ]
    assert all(line.delivery_line.delivery_id == delivery.pk for line in invoice.lines.all())
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        D(701345),
        D(186030) + D(3333),  # 27 % of 689 000 and of 12 345 (3 333,15)
        D(701345) + D(189363),
    )
    assert invoice.vat_total_huf == invoice.vat_total
    # what the law asks an invoice to carry, copied on the day of issue
    assert invoice.seller_name == org.company.name
    assert invoice.seller_tax_number == org.company.tax_number
    assert invoice.seller_address == "1037 Budapest, Bécsi út 100."
    assert invoice.buyer_name == order.partner.name
    assert invoice.buyer_tax_number == order.partner.tax_number
    assert invoice.buyer_address == "6720 Szeged, Kárász utca 1."
    assert invoice.fulfilled_on == delivery.delivered_on
    assert invoice.issued_on == timezone.localdate()
    assert invoice.due_on == timezone.localdate() + datetime.timedelta(days=8)
    assert invoice.owner == order.owner and invoice.created_by == org.owner
    assert invoice.order == order and invoice.delivery == delivery
    # the partner moves: the issued invoice keeps the address it was issued with
    order.partner.street = "Tisza Lajos körút 2."
    order.partner.save()
    invoice.refresh_from_db()
    assert invoice.buyer_address == "6720 Szeged, Kárász utca 1."


def test_a_delivery_invoiced_in_two_parts_adds_up_to_the_order_and_then_refuses(org):
    order, (boiler, pipe) = make_chain(org, boilers="3", pipes="7")
    delivery = deliver(org.owner, order, {boiler: "3", pipe: "7"})
    lines = {item.order_line.pk: item for item in invoiceable_from_delivery(delivery)}
    first = invoice_from_delivery(
        user=org.owner,
        delivery=delivery,
        quantities={lines[boiler.pk].key: "2", lines[pipe.pk].key: "3,5"},
    )
    assert [line.value for line in first.lines.all()] == [D(1378000), D(4321)]  # 4 320,75
    second = invoice_from_delivery(user=org.owner, delivery=delivery)
    assert second.number == _number(2)
    assert [(line.quantity, line.value) for line in second.lines.all()] == [
        (D(1), D(689000)),
        (D("3.5"), D(4321)),  # what is left of the order line's 8 642 (8 641,50 rounded)
    ]
    pipe.refresh_from_db()
    assert first.lines.get(order_line=pipe).value + second.lines.get(order_line=pipe).value == (
        pipe.value
    )
    with pytest.raises(ValidationError) as refused:
        invoice_from_delivery(user=org.owner, delivery=delivery)
    message = " ".join(refused.value.messages)
    assert delivery.number in message and _number(1) in message and _number(2) in message
    assert Invoice.objects.count() == 2


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4", "at most 3"),
        ("-1", "cannot be negative"),
        ("abc", "Type a number"),
        ("0", "at least one line"),
    ],
)
def test_an_invoice_for_more_than_was_delivered_or_nonsense_is_refused(org, typed, expected):
    order, (boiler, _pipe) = make_chain(org, boilers="5")
    delivery = deliver(org.owner, order, {boiler: "3"})
    key = invoiceable_from_delivery(delivery)[0].key
    with pytest.raises(ValidationError) as refused:
        invoice_from_delivery(user=org.owner, delivery=delivery, quantities={key: typed})
    assert expected in " ".join(refused.value.messages)
    assert not Invoice.objects.exists()
    assert not Counter.objects.filter(kind="invoice", last__gt=0).exists()


def test_an_order_is_invoiced_up_to_what_was_ordered_and_its_deliveries_count_it(org):
    order, (boiler, pipe) = make_chain(org, boilers="2", pipes="4")
    advance = invoice_from_order(
        user=org.owner,
        order=order,
        quantities={boiler.pk: "2"},
        fulfilled_on=timezone.localdate(),
    )
    assert advance.delivery is None and advance.lines.get().quantity == D(2)
    with pytest.raises(ValidationError) as refused:
        invoice_from_order(user=org.owner, order=order, quantities={boiler.pk: "1"})
    assert "at most 0" in " ".join(refused.value.messages)
    # the boilers are delivered later: invoiced already through the order, only the pipes are left
    delivery = deliver(org.owner, order, {boiler: "2", pipe: "1"})
    left = {item.order_line.pk: item.remaining for item in invoiceable_from_delivery(delivery)}
    assert left == {boiler.pk: D(0), pipe.pk: D(1)}
    rest = invoice_from_delivery(user=org.owner, delivery=delivery)
    assert [(line.order_line_id, line.quantity) for line in rest.lines.all()] == [(pipe.pk, D(1))]
    final = invoice_from_order(user=org.owner, order=order)
    assert [(line.order_line_id, line.quantity) for line in final.lines.all()] == [(pipe.pk, D(3))]
    assert sum(i.net_total for i in Invoice.objects.all()) == order.net_total


def test_a_storno_invoice_cancels_and_gives_the_quantities_back(org):
    order, (boiler, pipe) = make_chain(org)
    delivery = deliver(org.owner, order, {boiler: "1", pipe: "10"})
    invoice = invoice_from_delivery(user=org.owner, delivery=delivery)
    with pytest.raises(ValidationError):
        invoice_cancel(user=org.supervisor, invoice=invoice, reason="  ")
    storno = invoice_cancel(user=org.supervisor, invoice=invoice, reason="Hibás cím")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert storno.number == _number(2) and storno.storno_of == invoice and storno.is_storno
    assert (storno.net_total, storno.vat_total, storno.gross_total) == (
        -invoice.net_total,
        -invoice.vat_total,
        -invoice.gross_total,
    )
    assert [line.quantity for line in storno.lines.all()] == [D(-1), D(-10)]
    assert storno.fulfilled_on == invoice.fulfilled_on
    # the quantities are free again: a new invoice of the same delivery
    again = invoice_from_delivery(user=org.owner, delivery=delivery)
    assert again.number == _number(3) and again.gross_total == invoice.gross_total
    with pytest.raises(ValidationError) as twice:
        invoice_cancel(user=org.supervisor, invoice=invoice, reason="Még egyszer")
    assert storno.number in " ".join(twice.value.messages)
    with pytest.raises(ValidationError):
        invoice_cancel(user=org.supervisor, invoice=storno, reason="Sztornó sztornója")
    with pytest.raises(ValidationError):
        invoice_set_status(user=org.supervisor, invoice=invoice, status="cancelled")
    # a rep issues invoices but does not cancel them
    with pytest.raises(PermissionDenied):
        invoice_cancel(user=org.owner, invoice=again, reason="Nem")
    assert Invoice.objects.count() == 3 and InvoiceLine.objects.count() == 6


def test_payment_is_recorded_and_taken_back_along_the_table(org):
    order, (boiler, _pipe) = make_chain(org)
    invoice = invoice_from_order(user=org.owner, order=order, quantities={boiler.pk: "1"})
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        invoice_set_status(user=org.supervisor, invoice=invoice, status="paid", paid_on=tomorrow)
    with pytest.raises(ValidationError):
        invoice_set_status(user=org.supervisor, invoice=invoice, status="nonsense")
    paid_on = timezone.localdate() - datetime.timedelta(days=2)
    invoice_set_status(user=org.supervisor, invoice=invoice, status="paid", paid_on=paid_on)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == (InvoiceStatus.PAID, paid_on)
    invoice_set_status(user=org.supervisor, invoice=invoice, status="issued")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == (InvoiceStatus.ISSUED, None)
    with pytest.raises(PermissionDenied):
        invoice_set_status(user=org.peer, invoice=invoice, status="paid")
    assert [e.status for e in invoice.events.order_by("pk")] == ["issued", "paid", "issued"]


def test_an_eur_invoice_shows_its_vat_in_forints_at_the_rate_given(org):
    order, (boiler, pipe) = make_chain(org, currency="EUR")
    with pytest.raises(ValidationError) as refused:
        invoice_from_order(user=org.owner, order=order)
    assert "exchange rate" in " ".join(refused.value.messages)
    invoice = invoice_from_order(user=org.owner, order=order, exchange_rate=D("391.25"))
    assert invoice.currency == "EUR" and invoice.exchange_rate == D("391.25")
    assert invoice.vat_total == (D("0.27") * invoice.net_total).quantize(D("0.01"))
    assert invoice.vat_total_huf == (invoice.vat_total * D("391.25")).quantize(D(1))


def test_no_invoice_without_the_sellers_address_or_the_buyers_tax_number(org):
    order, _lines = make_chain(org)
    InvoiceSettings.objects.all().delete()
    with pytest.raises(ValidationError) as refused:
        invoice_from_order(user=org.owner, order=order)
    assert "seat address" in " ".join(refused.value.messages)
    seller(org.company)
    partner = order.partner
    partner.tax_number = None
    partner.save()
    with pytest.raises(ValidationError) as refused:
        invoice_from_order(user=org.owner, order=order)
    assert "tax number" in " ".join(refused.value.messages)
    assert not Invoice.objects.exists()


def test_the_reverse_charge_and_intra_community_cases_need_their_data(org):
    partner = make_buyer(org.owner, name="Bécsi Bau GmbH", country="AT", tax_number=None)
    order, _lines = make_chain(org, partner=partner, vat_rate="EUFAD")
    with pytest.raises(ValidationError) as refused:
        invoice_from_order(user=org.owner, order=order)
    assert "EU VAT number" in " ".join(refused.value.messages)
    partner.eu_vat_number = "ATU12345675"
    partner.save()
    order.partner.refresh_from_db()
    invoice = invoice_from_order(user=org.owner, order=order)
    assert invoice.vat_total == 0 and invoice.buyer_eu_vat_number == "ATU12345675"


def test_only_those_who_see_the_delivery_invoice_it(org):
    order, (boiler, _pipe) = make_chain(org)
    delivery = deliver(org.owner, order, {boiler: "1"})
    for persona in ("peer", "outsider", "other_company_user"):
        with pytest.raises(PermissionDenied):
            invoice_from_delivery(user=getattr(org, persona), delivery=delivery)
        with pytest.raises(PermissionDenied):
            invoice_from_order(user=getattr(org, persona), order=order)
    assert invoice_from_delivery(user=org.supervisor, delivery=delivery).owner == org.owner


# ------------------------------------------------------------------------ at once, for real


def _at_once(workers) -> list:
    """Runs the callables at the same moment, each in its own thread and database connection;
    their results or exceptions, in order."""
    results = [None] * len(workers)
    start = threading.Barrier(len(workers))

    def run(n, work):
        try:
            start.wait()
            results[n] = work()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, w)) for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_users_invoicing_one_delivery_at_once_get_one_invoice_and_a_reason(org):
    from django.contrib.auth import get_user_model

    order, (boiler, pipe) = make_chain(org)
    delivery = deliver(org.owner, order, {boiler: "1", pipe: "10"})
    users = get_user_model().objects
    first, second = users.get(pk=org.owner.pk), users.get(pk=org.supervisor.pk)
    results = _at_once(
        [
            lambda: invoice_from_delivery(user=first, delivery=delivery),
            lambda: invoice_from_delivery(user=second, delivery=delivery),
        ]
    )
    made = [r for r in results if isinstance(r, Invoice)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1 and len(refused) == 1, results
    message = " ".join(refused[0].messages)
    assert made[0].number in message and delivery.number in message
    assert Invoice.objects.count() == 1
    assert Counter.objects.get(kind="invoice").last == 1


@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_saved_at_once_never_skip_nor_repeat(org):
    """Six users' invoices of six deliveries at once, one of them refused mid-way (more than
    delivered): five invoices, numbered 1 to 5."""
    chains = [make_chain(org, name=f"Csarnok {n}") for n in range(6)]
    deliveries = [deliver(org.owner, order, {lines[0]: "1"}) for order, lines in chains]
    keys = [invoiceable_from_delivery(d)[0].key for d in deliveries]

    def work(n):
        quantity = "2" if n == 3 else "1"  # the fourth asks for more than was delivered
        return lambda: invoice_from_delivery(
            user=org.owner, delivery=deliveries[n], quantities={keys[n]: quantity}
        )

    results = _at_once([work(n) for n in range(6)])
    assert isinstance(results[3], ValidationError)
    numbers = sorted(r.number for r in results if isinstance(r, Invoice))
    assert numbers == [_number(n) for n in range(1, 6)]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == numbers


def test_an_invoiced_delivery_or_order_is_not_cancelled_until_its_invoices_are(org):
    from sales.orders import delivery_cancel, order_cancel

    order, (boiler, pipe) = make_chain(org)
    delivery = deliver(org.owner, order, {boiler: "1"})
    invoice = invoice_from_delivery(user=org.owner, delivery=delivery)
    with pytest.raises(ValidationError) as refused:
        delivery_cancel(user=org.owner, delivery=delivery, reason="Tévedés")
    assert invoice.number in " ".join(refused.value.messages)
    invoice_cancel(user=org.supervisor, invoice=invoice, reason="Tévedés")
    delivery_cancel(user=org.owner, delivery=delivery, reason="Tévedés")
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"
    # an advance invoice keeps the order
    advance = invoice_from_order(user=org.owner, order=order, quantities={pipe.pk: "2"})
    order.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        order_cancel(user=org.owner, order=order, expected_version=order.version)
    assert advance.number in " ".join(refused.value.messages)


def test_the_demo_shows_a_partly_invoiced_delivery_and_loads_once():
    from django.core.management import call_command

    call_command("load_demo")
    invoice = Invoice.objects.select_related("delivery").get()
    assert InvoiceSettings.objects.count() == 2
    assert invoice.number == _number(1) and invoice.delivery is not None
    left = [item.remaining for item in invoiceable_from_delivery(invoice.delivery)]
    assert any(left), "the demo leaves part of the delivery to invoice"
    call_command("load_demo")
    assert Invoice.objects.count() == 1
