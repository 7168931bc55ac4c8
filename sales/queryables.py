"""Opportunities, quotes, their lines and the products as the query builder offers them
(registered in ``SalesConfig.ready``). Opportunities, quotes and their lines start from
``visible_to``; the prices a line was given (its base or list price, discount, where they came
from, what the discount took off) are need-to-know: only users who may read the discount rules
are offered them. (The catalogue has no cost prices yet, so there is no margin to offer; when
one comes, it goes behind the same function.) Orders, their lines and invoices are registered
the same way, an order line's discount behind the same function."""

from django.db.models import Case, DecimalField, ExpressionWrapper, F, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.querybuilder.registry import Entity, Field, Relation, queryables

from .models import (
    Currency,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LostReason,
    Opportunity,
    OpportunityLine,
    OpportunityStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Product,
    ProductCategory,
    ProductKind,
    Quote,
    QuoteLine,
    QuoteStatus,
    Source,
    Stage,
    Unit,
    VatRate,
)

DISCOUNTS = "sales.view_discountrule"


def _stages():
    return [(s.pk, str(s)) for s in Stage.objects.order_by("company_id", "order", "pk")]


def _categories():
    return [(c.pk, str(c)) for c in ProductCategory.objects.all()]


def _weighted(context, prefix):
    return ExpressionWrapper(
        F(prefix + "value") * F(prefix + "probability") / 100,
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )


OPPORTUNITY_FIELDS = [
    Field("name", _("Name"), "text"),
    Field("stage", _("Stage"), "choice", path="stage_id", choices=_stages),
    Field("status", _("Status"), "choice", choices=OpportunityStatus.choices),
    Field("owner", _("Owner"), "user", path="owner_id"),
    Field("probability", _("Probability (%)"), "number"),
    Field("expected_close", _("Expected close"), "date"),
    Field("currency", _("Currency"), "choice", choices=Currency.choices),
    Field("value", _("Value"), "money"),
    Field("weighted_value", _("Weighted value"), "money", expression=_weighted),
    Field("source", _("Source"), "choice", choices=Source.choices),
    Field("source_detail", _("Source campaign or detail"), "text"),
    Field("lost_reason", _("Reason lost"), "choice", choices=LostReason.choices),
    Field("closed_on", _("Closed on"), "date"),
    Field("created_at", _("Created"), "datetime"),
]

LINE_FIELDS = [
    Field("quantity", _("Quantity offered"), "number"),
    Field("quantity_fulfilled", _("Quantity fulfilled"), "number"),
    Field("unit", _("Unit"), "choice", choices=Unit.choices),
    Field("vat_rate", _("VAT"), "choice", choices=VatRate.choices),
    Field("unit_price", _("Unit price"), "money"),
    Field("value", _("Value"), "money"),
    Field("base_price", _("Base price"), "money", permission=DISCOUNTS),
    Field("discount_percent", _("Discount (%)"), "number", permission=DISCOUNTS),
    Field("price_source", _("Price from"), "text", permission=DISCOUNTS, groupable=False),
    Field("manual", _("Priced by hand"), "boolean", permission=DISCOUNTS),
]


def _list_price(context, prefix):
    """The product's list price in the quote's currency (the unit price when it has none)."""
    return Coalesce(
        Case(
            When(
                **{prefix + "quote__currency": Currency.EUR}, then=F(prefix + "product__price_eur")
            ),
            default=F(prefix + "product__price_huf"),
        ),
        F(prefix + "unit_price"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _quote_discount(context, prefix):
    """What the line's price took off its list value: quantity × list price − value."""
    return ExpressionWrapper(
        F(prefix + "quantity") * _list_price(context, prefix) - F(prefix + "value"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )


QUOTE_FIELDS = [
    Field("number", _("Number"), "text"),
    Field("revision", _("Revision"), "number"),
    Field("title", _("Title"), "text"),
    Field("status", _("Status"), "choice", choices=QuoteStatus.choices),
    Field("owner", _("Owner"), "user", path="owner_id"),
    Field("issued_on", _("Issued on"), "date"),
    Field("valid_until", _("Valid until"), "date"),
    Field("currency", _("Currency"), "choice", choices=Currency.choices),
    Field("net_total", _("Net total"), "money"),
    Field("vat_total", _("VAT"), "money"),
    Field("gross_total", _("Gross total"), "money"),
    Field("created_at", _("Created"), "datetime"),
]

QUOTE_LINE_FIELDS = [
    Field("name", _("Name"), "text"),
    Field("quantity", _("Quantity"), "number"),
    Field("unit", _("Unit"), "choice", choices=Unit.choices),
    Field("vat_rate", _("VAT"), "choice", choices=VatRate.choices),
    Field("unit_price", _("Unit price"), "money"),
    Field("value", _("Value"), "money"),
    Field("discount_percent", _("Discount (%)"), "number", permission=DISCOUNTS),
    Field("list_price", _("List price"), "money", expression=_list_price, permission=DISCOUNTS),
    Field(
        "discount_amount",
        _("Discount given"),
        "money",
        expression=_quote_discount,
        permission=DISCOUNTS,
    ),
]

ORDER_FIELDS = [
    Field("number", _("Number"), "text"),
    Field("title", _("Title"), "text"),
    Field("status", _("Status"), "choice", choices=OrderStatus.choices),
    Field("owner", _("Owner"), "user", path="owner_id"),
    Field("ordered_on", _("Ordered on"), "date"),
    Field("requested_delivery_on", _("Requested delivery date"), "date"),
    Field("customer_reference", _("Customer's reference"), "text"),
    Field("currency", _("Currency"), "choice", choices=Currency.choices),
    Field("net_total", _("Net total"), "money"),
    Field("vat_total", _("VAT"), "money"),
    Field("gross_total", _("Gross total"), "money"),
]

ORDER_LINE_FIELDS = [
    Field("name", _("Name"), "text"),
    Field("quantity", _("Quantity"), "number"),
    Field("quantity_delivered", _("Quantity delivered"), "number"),
    Field("unit", _("Unit"), "choice", choices=Unit.choices),
    Field("unit_price", _("Unit price"), "money"),
    Field("value", _("Value"), "money"),
    Field("discount_percent", _("Discount (%)"), "number", permission=DISCOUNTS),
]

INVOICE_FIELDS = [
    Field("number", _("Number"), "text"),
    Field("kind", _("Kind"), "choice", choices=InvoiceKind.choices),
    Field("status", _("Status"), "choice", choices=InvoiceStatus.choices),
    Field("owner", _("Owner"), "user", path="owner_id"),
    Field("buyer_name", _("Buyer"), "text"),
    Field("buyer_tax_number", _("Buyer's tax number"), "text"),
    Field("issued_on", _("Issued on"), "date"),
    Field("fulfilled_on", _("Fulfilment date"), "date"),
    Field("due_on", _("Due date"), "date"),
    Field("paid_on", _("Paid on"), "date"),
    Field("payment_method", _("Payment method"), "choice", choices=PaymentMethod.choices),
    Field("currency", _("Currency"), "choice", choices=Currency.choices),
    Field("net_total", _("Net total"), "money"),
    Field("vat_total", _("VAT"), "money"),
    Field("gross_total", _("Gross total"), "money"),
]

PRODUCT_FIELDS = [
    Field("code", _("Code"), "text"),
    Field("name_hu", _("Name"), "text"),
    Field("kind", _("Kind"), "choice", choices=ProductKind.choices),
    Field("unit", _("Unit"), "choice", choices=Unit.choices),
    Field("vat_rate", _("VAT"), "choice", choices=VatRate.choices),
    Field("category", _("Category"), "choice", path="category_id", choices=_categories),
    Field("price_huf", _("List price (HUF)"), "money"),
    Field("price_eur", _("List price (EUR)"), "money"),
    Field("active", _("Active"), "boolean"),
]


def register() -> None:
    queryables.register(
        Entity(
            key="opportunities",
            label=_("Opportunities"),
            model=Opportunity,
            base=True,
            order=40,
            fields=OPPORTUNITY_FIELDS,
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation("contact", _("Contact"), "contacts", "contact"),
                Relation(
                    "lines",
                    _("Lines"),
                    "opportunity_lines",
                    "lines",
                    many=True,
                    back="opportunity",
                ),
                Relation(
                    "quotes",
                    _("Quotes"),
                    "quotes",
                    "quotes",
                    many=True,
                    back="opportunity",
                    permission="sales.view_quote",
                ),
            ],
            default_columns=(
                "name",
                "partner.name",
                "stage",
                "owner",
                "expected_close",
                "value",
                "weighted_value",
            ),
            audience={"partner": "partner_id", "contact": "contact_id"},
        )
    )
    queryables.register(
        Entity(
            key="opportunity_lines",
            label=_("Opportunity lines"),
            model=OpportunityLine,
            base=True,
            order=41,
            fields=LINE_FIELDS,
            scope=lambda user: OpportunityLine.objects.filter(
                opportunity__in=Opportunity.objects.visible_to(user).values("pk")
            ),
            permission="sales.view_opportunity",
            relations=[
                Relation("opportunity", _("Opportunity"), "opportunities", "opportunity"),
                Relation("product", _("Product"), "products", "product"),
            ],
            default_columns=(
                "opportunity.name",
                "product.code",
                "product.name_hu",
                "quantity",
                "unit_price",
                "value",
            ),
            audience={"partner": "opportunity__partner_id"},
        )
    )
    queryables.register(
        Entity(
            key="quotes",
            label=_("Quotes"),
            model=Quote,
            base=True,
            order=42,
            fields=QUOTE_FIELDS,
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation("contact", _("Contact"), "contacts", "contact"),
                Relation("opportunity", _("Opportunity"), "opportunities", "opportunity"),
                Relation("lines", _("Lines"), "quote_lines", "lines", many=True, back="quote"),
            ],
            default_columns=(
                "number",
                "partner.name",
                "title",
                "status",
                "issued_on",
                "valid_until",
                "net_total",
            ),
            audience={"partner": "partner_id", "contact": "contact_id"},
        )
    )
    queryables.register(
        Entity(
            key="quote_lines",
            label=_("Quote lines"),
            model=QuoteLine,
            base=True,
            order=43,
            fields=QUOTE_LINE_FIELDS,
            scope=lambda user: QuoteLine.objects.filter(
                quote__in=Quote.objects.visible_to(user).values("pk")
            ),
            permission="sales.view_quote",
            relations=[
                Relation("quote", _("Quote"), "quotes", "quote"),
                Relation("product", _("Product"), "products", "product"),
            ],
            default_columns=("quote.number", "name", "quantity", "unit_price", "value"),
            audience={"partner": "quote__partner_id"},
        )
    )
    queryables.register(
        Entity(
            key="orders",
            label=_("Orders"),
            model=Order,
            base=True,
            order=44,
            fields=ORDER_FIELDS,
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation("quote", _("Quote"), "quotes", "quote"),
                Relation("opportunity", _("Opportunity"), "opportunities", "opportunity"),
                Relation("lines", _("Lines"), "order_lines", "lines", many=True, back="order"),
            ],
            default_columns=(
                "number",
                "partner.name",
                "title",
                "status",
                "ordered_on",
                "net_total",
            ),
            audience={"partner": "partner_id", "contact": "contact_id"},
        )
    )
    queryables.register(
        Entity(
            key="order_lines",
            label=_("Order lines"),
            model=OrderLine,
            base=True,
            order=45,
            fields=ORDER_LINE_FIELDS,
            scope=lambda user: OrderLine.objects.filter(
                order__in=Order.objects.visible_to(user).values("pk")
            ),
            permission="sales.view_order",
            relations=[
                Relation("order", _("Order"), "orders", "order"),
                Relation("product", _("Product"), "products", "product"),
            ],
            default_columns=("order.number", "name", "quantity", "quantity_delivered", "value"),
            audience={"partner": "order__partner_id"},
        )
    )
    queryables.register(
        Entity(
            key="invoices",
            label=_("Invoices"),
            model=Invoice,
            base=True,
            order=46,
            fields=INVOICE_FIELDS,
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation("order", _("Order"), "orders", "order"),
            ],
            default_columns=(
                "number",
                "buyer_name",
                "issued_on",
                "due_on",
                "status",
                "gross_total",
            ),
            audience={"partner": "partner_id"},
        )
    )
    queryables.register(
        Entity(
            key="products",
            label=_("Products"),
            model=Product,
            base=True,
            order=47,
            fields=PRODUCT_FIELDS,
            scope=lambda user: Product.objects.all(),
            default_columns=("code", "name_hu", "unit", "vat_rate", "price_huf"),
        )
    )
