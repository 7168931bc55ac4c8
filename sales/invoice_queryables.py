"""Invoices and their lines in the query builder (registered in ``SalesConfig.ready``):
invoices start from ``visible_to`` (finance sees its company's), lines from the invoices the
user sees. Open, overdue and paid are filters on the status and the due date."""

from django.utils.translation import gettext_lazy as _

from crm.querybuilder.registry import Entity, Field, Relation, queryables

from .models import (
    Currency,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentMethod,
    Unit,
    VatRate,
)

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
    Field("vat_total_huf", _("VAT in HUF"), "money"),
]

INVOICE_LINE_FIELDS = [
    Field("name", _("Name"), "text"),
    Field("quantity", _("Quantity"), "number"),
    Field("unit", _("Unit"), "choice", choices=Unit.choices),
    Field("vat_rate", _("VAT"), "choice", choices=VatRate.choices),
    Field("unit_price", _("Unit price"), "money"),
    Field("value", _("Value"), "money"),
]


def register() -> None:
    queryables.register(
        Entity(
            key="invoices",
            label=_("Invoices"),
            model=Invoice,
            base=True,
            order=47,
            fields=INVOICE_FIELDS,
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation("lines", _("Lines"), "invoice_lines", "lines", many=True, back="invoice"),
            ],
            default_columns=(
                "number",
                "buyer_name",
                "issued_on",
                "due_on",
                "gross_total",
                "status",
            ),
            audience={"partner": "partner_id"},
        )
    )
    queryables.register(
        Entity(
            key="invoice_lines",
            label=_("Invoice lines"),
            model=InvoiceLine,
            base=True,
            order=48,
            fields=INVOICE_LINE_FIELDS,
            scope=lambda user: InvoiceLine.objects.filter(
                invoice__in=Invoice.objects.visible_to(user).values("pk")
            ),
            permission="sales.view_invoice",
            relations=[
                Relation("invoice", _("Invoice"), "invoices", "invoice"),
                Relation("product", _("Product"), "products", "product"),
            ],
            default_columns=("invoice.number", "name", "quantity", "unit_price", "value"),
            audience={"partner": "invoice__partner_id"},
        )
    )
