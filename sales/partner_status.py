"""Sales feed the partner status (issue 25, item 8): an order is an "order" event on its order
day, an invoice a "turnover" event on its fulfilment day with its net amount in forints, both
through ``partners.status.record_business_event``, the one function the partners app's
active / inactive rule reads (``partners/status.py``). A cancelled order or an invoice cancelled
by a storno withdraws its event (``forget_business_event``), so the rule sees live business
only. Called by the order and invoice services inside their transactions: a rolled-back save
records nothing."""

from decimal import ROUND_HALF_UP, Decimal

from crm.models import Company
from partners.models import EventKind, Partner
from partners.status import forget_business_event, record_business_event

ORDER_SOURCE = "sales.order"
INVOICE_SOURCE = "sales.invoice"


def _huf(amount: Decimal, rate: Decimal | None) -> Decimal:
    """An amount in forints, rounded to whole forints (the event's amount has no fraction)."""
    return (amount * (rate or Decimal(1))).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def order_recorded(order) -> None:
    """A new order counts as business with its partner from its order day. Its amount is
    left at zero: turnover comes from the invoices, so an order is not counted twice."""
    record_business_event(
        partner=Partner(pk=order.partner_id),
        company=Company(pk=order.company_id),
        kind=EventKind.ORDER,
        occurred_on=order.ordered_on,
        source=ORDER_SOURCE,
        reference=order.number,
        description=order.title,
    )


def order_withdrawn(order) -> None:
    forget_business_event(company_id=order.company_id, source=ORDER_SOURCE, reference=order.number)


def invoice_recorded(invoice) -> None:
    """An invoice (not a storno) is turnover on its fulfilment day, in forints."""
    if invoice.kind != "invoice":
        return
    record_business_event(
        partner=Partner(pk=invoice.partner_id),
        company=Company(pk=invoice.company_id),
        kind=EventKind.TURNOVER,
        occurred_on=invoice.fulfilled_on,
        source=INVOICE_SOURCE,
        reference=invoice.number,
        amount=_huf(invoice.net_total, invoice.exchange_rate),
        description=invoice.buyer_name,
    )


def invoice_withdrawn(invoice) -> None:
    """The invoice was cancelled by a storno invoice: its turnover no longer counts."""
    forget_business_event(
        company_id=invoice.company_id, source=INVOICE_SOURCE, reference=invoice.number
    )
