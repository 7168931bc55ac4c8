"""What pricing needs from the database, in a constant number of queries: the base price of
each product for a buyer (the most specific valid price list, else the list price), the
company's valid discount rules and its pricing setting. ``sales.pricing`` does the sums."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from partners.models import PartnerTag

from . import pricing
from .models import DiscountRule, PriceList, PriceListItem, Product, SalesSettings


@dataclass
class Inputs:
    buyer: pricing.Buyer
    rules: list
    mode: str
    limit: Decimal
    currency: str
    bases: dict  # product id → (price, source)

    def line(self, product: Product, quantity: Decimal) -> pricing.Line | None:
        """The pricing line of ``quantity`` of ``product``; None when it has no price in the
        currency (no EUR list price, no EUR price list)."""
        base = self.bases.get(product.pk)
        if base is None:
            return None
        return pricing.Line(
            product_id=product.pk,
            category_id=product.category_id,
            quantity=quantity,
            base_price=base[0],
            base_source=base[1],
        )


def base_prices(
    *, company_id: int, buyer: pricing.Buyer, currency: str, day, products: list
) -> dict:
    """product id → (base price, where it comes from): the buyer's own price list, else its
    group's, else the company's general list (of ``currency``, valid on ``day``; of several,
    the latest started); without any, the product's list price in the currency."""
    ids = [product.pk for product in products]
    audience = Q(price_list__partner__isnull=True, price_list__tag__isnull=True)
    if buyer.partner_id:
        audience |= Q(price_list__partner_id=buyer.partner_id)
    if buyer.tag_ids:
        audience |= Q(price_list__tag_id__in=sorted(buyer.tag_ids))
    valid = PriceList.objects.filter(company_id=company_id, currency=currency).valid_on(day)
    rows = PriceListItem.objects.filter(audience, product_id__in=ids, price_list__in=valid).values(
        "product_id",
        "price",
        "price_list__name",
        "price_list__partner_id",
        "price_list__tag_id",
        "price_list__valid_from",
    )
    best: dict[int, tuple] = {}
    for row in rows:
        rank = (
            0 if row["price_list__partner_id"] else 1 if row["price_list__tag_id"] else 2,
            -(row["price_list__valid_from"] or datetime.date.min).toordinal(),
        )
        if row["product_id"] not in best or rank < best[row["product_id"]][0]:
            best[row["product_id"]] = (rank, row["price"], row["price_list__name"])
    found = {}
    for product in products:
        if product.pk in best:
            found[product.pk] = (
                best[product.pk][1],
                _("Price list: %(name)s") % {"name": best[product.pk][2]},
            )
        elif product.list_price(currency) is not None:
            found[product.pk] = (product.list_price(currency), _("List price"))
    return found


def company_rules(company_id: int, day) -> list:
    rows = DiscountRule.objects.filter(company_id=company_id).valid_on(day)
    return [
        pricing.Rule(
            id=rule.pk,
            name=rule.name,
            kind=rule.kind,
            percent=rule.percent,
            product_id=rule.product_id,
            category_id=rule.category_id,
            partner_id=rule.partner_id,
            tag_id=rule.tag_id,
            min_quantity=rule.min_quantity,
            with_product_id=rule.with_product_id,
        )
        for rule in rows
    ]


def inputs(*, company_id: int, partner_id: int | None, currency: str, day, products) -> Inputs:
    tags = (
        frozenset(PartnerTag.objects.filter(partner_id=partner_id).values_list("tag_id", flat=True))
        if partner_id
        else frozenset()
    )
    buyer = pricing.Buyer(partner_id=partner_id, tag_ids=tags)
    settings = SalesSettings.of(company_id)
    return Inputs(
        buyer=buyer,
        rules=company_rules(company_id, day),
        mode=settings.discount_mode,
        limit=settings.manual_discount_limit,
        currency=currency,
        bases=base_prices(
            company_id=company_id, buyer=buyer, currency=currency, day=day, products=list(products)
        ),
    )
