"""Builders of the chain an invoice comes from (quote → order → delivery), through the
services, and the seller's invoicing settings."""

from decimal import Decimal as D

from partners.models import Partner
from sales.models import InvoiceSettings, Product
from sales.orders import delivery_create, order_from_quote
from sales.quotes import quote_from_opportunity, quote_set_status
from tests.partners.conftest import make_partner

from .helpers import add_line, make_opportunity

BUYER_TAX_NUMBER = "24893059-2-06"


def seller(company) -> InvoiceSettings:
    settings, _created = InvoiceSettings.objects.update_or_create(
        company=company,
        defaults={
            "postcode": "1037",
            "city": "Budapest",
            "street": "Bécsi út 100.",
            "bank_account": "11773016-11111018-00000000",
            "payment_days": 8,
        },
    )
    return settings


def make_buyer(owner, name="Szegedi Fűtéstechnika Kft.", **fields) -> Partner:
    fields.setdefault("tax_number", BUYER_TAX_NUMBER)
    fields.setdefault("postcode", "6720")
    fields.setdefault("street", "Kárász utca 1.")
    if fields["tax_number"]:
        found = Partner.objects.filter(tax_number=fields["tax_number"]).first()
        if found is not None:
            return found
    return make_partner(owner, name=name, **fields)


def _product(code, name, price, vat_rate) -> Product:
    product, _created = Product.objects.get_or_create(
        code=f"{code}-{vat_rate}",
        defaults={
            "name_hu": name,
            "price_huf": D(price),
            "price_eur": (D(price) / 400).quantize(D("0.01")),
            "vat_rate": vat_rate,
        },
    )
    return product


def make_order(owner, partner, lines, *, name="Kazáncsere", currency="HUF"):
    """An order of ``lines`` (product, quantity) for ``partner``, through an accepted quote."""
    opportunity = make_opportunity(owner, partner=partner, name=name, currency=currency)
    for product, quantity in lines:
        add_line(owner, opportunity, product, quantity=quantity)
    quote = quote_from_opportunity(user=owner, opportunity=opportunity)
    quote_set_status(user=owner, quote=quote, status="sent")
    quote_set_status(user=owner, quote=quote, status="accepted")
    return order_from_quote(user=owner, quote=quote)


def make_chain(
    org, *, boilers="1", pipes="10", currency="HUF", partner=None, vat_rate="27", name="Kazáncsere"
):
    """An order of org.owner's: boilers (689 000 Ft) and pipes (1 234,50 Ft a metre), the
    seller's settings in place. Returns the order and its two lines."""
    seller(org.company)
    partner = partner or make_buyer(org.owner)
    order = make_order(
        org.owner,
        partner,
        [
            (_product("KAZ", "Kazán", "689000", vat_rate), boilers),
            (_product("CSO", "Cső", "1234.50", vat_rate), pipes),
        ],
        name=name,
        currency=currency,
    )
    return order, list(order.lines.order_by("position", "pk"))


def deliver(owner, order, quantities: dict, **kwargs):
    """A delivery of ``{order line: quantity}``."""
    return delivery_create(
        user=owner,
        order=order,
        quantities={line.pk: D(str(q).replace(",", ".")) for line, q in quantities.items()},
        **kwargs,
    )
