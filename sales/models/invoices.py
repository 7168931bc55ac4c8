"""Invoices (issue 25, item 5, the end of the chain): a partner is invoiced in parts for what a
delivery handed over or what an order still has un-invoiced. An invoice is numbered per own
company and year without gaps or repeats (``SZ-2026-0001``, ``sales.numbering``), carries what
a Hungarian invoice must (seller's and buyer's names, addresses and tax numbers as they were on
the day of issue, fulfilment, issue and due dates, payment method, the VAT summary per rate,
totals in whole forints, an EUR invoice's VAT in forints with the exchange rate used) and is
never deleted: cancelling one issues a storno invoice with the lines negated, which gives the
quantities back to the order and its deliveries (``sales.invoices``)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.scoping import ScopedModel

from .catalogue import MONEY, Currency, Unit, VatRate
from .opportunities import QUANTITY


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", pgettext_lazy("invoice status", "Issued")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled")


INVOICE_COLOURS = {
    InvoiceStatus.ISSUED: "primary",
    InvoiceStatus.PAID: "success",
    InvoiceStatus.CANCELLED: "secondary",
}


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    STORNO = "storno", _("Storno invoice")


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("bank transfer")
    CASH = "cash", _("cash")
    CARD = "card", _("bank card")


# What an invoice must say about a line without VAT (Act CXXVII of 2007 on VAT, "Áfa tv."):
# the legal ground, printed under the lines once per case.
VAT_NOTES = {
    VatRate.EXEMPT: _("Exempt from VAT – Áfa tv. 85. § (tárgyi adómentes)"),
    VatRate.SUBJECT_EXEMPT: _("Subjectively exempt – Áfa tv. 187. § (alanyi adómentes)"),
    VatRate.REVERSE_CHARGE: _(
        "Reverse charge: the buyer pays the VAT – Áfa tv. 142. § (fordított adózás)"
    ),
    VatRate.EU_SUPPLY: _(
        "VAT-exempt intra-community supply – Áfa tv. 89. § (Közösségen belüli adómentes "
        "termékértékesítés)"
    ),
}


class InvoiceSettings(models.Model):
    """What an own company's invoices say about the seller beyond ``crm.Company`` (name and
    tax number): its seat, its EU VAT number and bank account, and the default payment term.
    Edited in the admin; an invoice copies them on the day of issue."""

    company = models.OneToOneField(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    postcode = models.CharField(_("postcode"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    street = models.CharField(_("street address"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="HU")
    eu_vat_number = models.CharField(_("EU VAT number"), max_length=20, blank=True)
    bank_account = models.CharField(
        _("bank account"),
        max_length=50,
        blank=True,
        help_text=_("Like 11773016-11111018-00000000; printed on invoices paid by transfer."),
    )
    payment_days = models.PositiveSmallIntegerField(
        _("payment term (days)"), default=8, help_text=_("Due date of a bank transfer.")
    )

    class Meta:
        verbose_name = _("invoicing settings")
        verbose_name_plural = _("invoicing settings")

    def __str__(self) -> str:
        return str(self.company)

    @property
    def address(self) -> str:
        return ", ".join(p for p in (f"{self.postcode} {self.city}".strip(), self.street) if p)


class Invoice(ScopedModel):
    """An invoice of (part of) an order, made from one of its deliveries or from the order
    itself. Its seller and buyer data are copies: a partner's later move does not change an
    issued invoice. Totals are the VAT summary's (``sales.vat``)."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    kind = models.CharField(
        _("kind"), max_length=8, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    order = models.ForeignKey(
        "sales.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="invoices"
    )
    delivery = models.ForeignKey(
        "sales.Delivery",
        verbose_name=_("delivery"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    storno_of = models.OneToOneField(
        "self",
        verbose_name=_("cancels"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="storno",
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    seller_name = models.CharField(_("seller"), max_length=200)
    seller_address = models.CharField(_("seller's address"), max_length=300)
    seller_tax_number = models.CharField(_("seller's tax number"), max_length=13)
    seller_eu_vat_number = models.CharField(_("seller's EU VAT number"), max_length=20, blank=True)
    seller_bank_account = models.CharField(_("bank account"), max_length=50, blank=True)
    buyer_name = models.CharField(_("buyer"), max_length=300)
    buyer_address = models.CharField(_("buyer's address"), max_length=300)
    buyer_tax_number = models.CharField(_("buyer's tax number"), max_length=13, blank=True)
    buyer_eu_vat_number = models.CharField(_("buyer's EU VAT number"), max_length=20, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.HUF
    )
    exchange_rate = models.DecimalField(
        _("exchange rate (HUF)"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("Forints to one unit of the invoice's currency (the MNB rate of the day)."),
    )
    issued_on = models.DateField(_("issued on"), default=datetime.date.today)
    fulfilled_on = models.DateField(_("fulfilment date"))
    due_on = models.DateField(_("due date"))
    payment_method = models.CharField(
        _("payment method"),
        max_length=10,
        choices=PaymentMethod.choices,
        default=PaymentMethod.TRANSFER,
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    net_total = models.DecimalField(_("net total"), default=Decimal(0), **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=Decimal(0), **MONEY)
    gross_total = models.DecimalField(_("gross total"), default=Decimal(0), **MONEY)
    vat_total_huf = models.DecimalField(_("VAT in HUF"), default=Decimal(0), **MONEY)
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ScopedModel.Meta):
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        permissions = [
            ("view_all_invoice", _("See every invoice of the company")),
            ("cancel_invoice", _("Cancel invoices with a storno invoice")),
        ]
        indexes = [
            *ScopedModel.Meta.indexes,
            models.Index(fields=["partner", "company", "-id"], name="sales_invoice_partner"),
            models.Index(fields=["company", "status", "due_on"], name="sales_invoice_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="sales_invoice_number"),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("issued_on")),
                name="sales_invoice_due_after_issue",
                violation_error_message=_("An invoice cannot fall due before it is issued."),
            ),
            models.CheckConstraint(
                condition=Q(kind="storno", storno_of__isnull=False)
                | Q(kind="invoice", storno_of__isnull=True),
                name="sales_invoice_storno_of",
            ),
            models.CheckConstraint(
                condition=Q(currency="HUF") | Q(exchange_rate__gt=0),
                name="sales_invoice_rate",
                violation_error_message=_("An invoice in a foreign currency needs the rate."),
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True) | Q(status="paid") | Q(status="cancelled"),
                name="sales_invoice_paid_on",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def status_colour(self) -> str:
        return INVOICE_COLOURS.get(self.status, "secondary")

    @property
    def is_storno(self) -> bool:
        return self.kind == InvoiceKind.STORNO

    def is_overdue(self, today: datetime.date) -> bool:
        return (
            self.kind == InvoiceKind.INVOICE
            and self.status == InvoiceStatus.ISSUED
            and self.due_on < today
        )


class InvoiceLine(models.Model):
    """A line of an invoice: how much of an order line (and, from a delivery, of its delivery
    line) it invoices, at the order's price. A storno invoice's lines are the negatives of the
    cancelled invoice's, so the sums per order line stay what is invoiced."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    order_line = models.ForeignKey(
        "sales.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    delivery_line = models.ForeignKey(
        "sales.DeliveryLine",
        verbose_name=_("delivery line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=300)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    vat_rate = models.CharField(_("VAT"), max_length=5, choices=VatRate.choices)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal(0)
    )
    value = models.DecimalField(_("value"), **MONEY)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0),
                name="sales_invoiceline_qty",
                violation_error_message=_("An invoice line has a quantity."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class InvoiceEvent(models.Model):
    """What happened to an invoice (issued, paid, cancelled), by whom and when."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.status}"
