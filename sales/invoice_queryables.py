"""Invoice lines in the query builder (registered in ``SalesConfig.ready``), from the invoices
the user sees; the invoices themselves are registered in ``sales.queryables``."""

from django.utils.translation import gettext_lazy as _

from crm.querybuilder.registry import Entity, Field, Relation, queryables

from .models import Invoice, InvoiceLine, Unit, VatRate

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
