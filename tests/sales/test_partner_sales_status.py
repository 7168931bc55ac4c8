"""Orders and invoices feed the partner's active / inactive status through the one function
the partners app reads (``partners.status.record_business_event``): an order makes a potential
partner active, an invoice adds its turnover in forints, cancelling either withdraws it."""

from decimal import Decimal as D

import pytest
from django.utils import timezone

from partners.models import BusinessEvent, PartnerStatus
from sales.invoices import invoice_cancel, invoice_from_delivery
from sales.orders import order_cancel

from .invoice_kit import deliver, make_buyer, make_chain

pytestmark = pytest.mark.django_db


def _status(partner, company):
    row = PartnerStatus.objects.filter(partner=partner, company=company).first()
    return (row.status, row.period_turnover, row.period_events) if row else ("potential", 0, 0)


def test_an_order_makes_the_partner_active_and_its_cancellation_potential_again(org):
    partner = make_buyer(org.owner)
    assert _status(partner, org.company)[0] == "potential"
    order, _lines = make_chain(org, partner=partner)
    assert _status(partner, org.company) == ("active", 0, 1)
    event = BusinessEvent.objects.get(partner=partner)
    assert (event.kind, event.reference, event.occurred_on, event.source) == (
        "order",
        order.number,
        order.ordered_on,
        "sales.order",
    )
    # per own company: the other company still has the partner as potential
    assert _status(partner, org.other_company)[0] == "potential"
    order_cancel(user=org.owner, order=order, expected_version=order.version)
    assert _status(partner, org.company)[0] == "potential"
    assert not BusinessEvent.objects.exists()


def test_an_invoice_adds_its_turnover_and_a_storno_takes_it_back(org):
    partner = make_buyer(org.owner)
    order, (boiler, pipe) = make_chain(org, partner=partner)
    delivery = deliver(org.owner, order, {boiler: "1", pipe: "10"})
    invoice = invoice_from_delivery(user=org.owner, delivery=delivery)
    assert _status(partner, org.company) == ("active", D(701345), 2)  # the order and the invoice
    turnover = BusinessEvent.objects.get(kind="turnover")
    assert (turnover.reference, turnover.occurred_on) == (invoice.number, invoice.fulfilled_on)
    invoice_cancel(user=org.supervisor, invoice=invoice, reason="Hibás cím")
    assert _status(partner, org.company) == ("active", 0, 1)  # the order still counts
    assert BusinessEvent.objects.filter(kind="turnover").count() == 0


def test_an_eur_invoice_counts_in_forints_at_its_rate(org):
    from sales.invoices import invoice_from_order

    partner = make_buyer(org.owner)
    order, (boiler, pipe) = make_chain(org, partner=partner, currency="EUR")
    invoice = invoice_from_order(
        user=org.owner,
        order=order,
        quantities={boiler.pk: D(1)},
        fulfilled_on=timezone.localdate(),
        exchange_rate=D("390.5"),
    )
    event = BusinessEvent.objects.get(kind="turnover")
    assert event.amount == (invoice.net_total * D("390.5")).quantize(D(1))
