"""Demo invoicing for ``make run``: each demo company's seat and bank account (what its
invoices print), and the half-delivered demo order's delivery invoiced in part, so the chain
quote → order → partial delivery → partial invoice shows. Registered after the orders' demo
(``SalesConfig.ready()``); it makes nothing once any invoice exists."""

from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError

from crm.models import Company

from .invoices import invoice_from_delivery, invoiceable_from_delivery
from .models import Delivery, Invoice, InvoiceSettings

SEATS = [
    ("1037", "Budapest", "Bécsi út 100.", "11773016-11111018-00000000"),
    ("6720", "Szeged", "Kárász utca 12.", "10402805-50526770-12341008"),
]


def load_invoices() -> None:
    companies = list(Company.objects.order_by("pk")[: len(SEATS)])
    for company, (postcode, city, street, account) in zip(companies, SEATS, strict=False):
        InvoiceSettings.objects.get_or_create(
            company=company,
            defaults={
                "postcode": postcode,
                "city": city,
                "street": street,
                "bank_account": account,
            },
        )
    if not companies or Invoice.objects.filter(company=companies[0]).exists():
        return
    delivery = (
        Delivery.objects.filter(company=companies[0], status="delivered")
        .select_related("owner")
        .order_by("pk")
        .first()
    )
    if delivery is None:
        return
    # half of what was delivered: the rest stays to invoice in the demo
    quantities = {
        item.key: (item.remaining / 2).quantize(Decimal(1), rounding=ROUND_DOWN)
        for item in invoiceable_from_delivery(delivery)
    }
    if not any(quantities.values()):
        quantities = None
    try:
        invoice_from_delivery(user=delivery.owner, delivery=delivery, quantities=quantities)
    except ValidationError:
        return  # a demo partner without a tax number or address: no demo invoice
