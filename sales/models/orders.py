"""Orders and deliveries (issue 25, item 5, the middle of the chain): an order made from an
accepted quote (its lines carried over, still editable while nothing is delivered), delivered in
parts. Each delivery's lines add to the order lines' ``quantity_delivered``, which the database
keeps between zero and the ordered quantity; the order's status follows (``sales.orders``).
Orders and deliveries are numbered per own company and year (``sales.numbering``)."""

import datetime
from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.scoping import ScopedModel

from .catalogue import MONEY, Currency, Unit, VatRate
from .opportunities import QUANTITY


class OrderStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("sales order", "Open")
    PARTLY_DELIVERED = "partly_delivered", pgettext_lazy("sales order", "Partly delivered")
    DELIVERED = "delivered", pgettext_lazy("sales order", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("sales order", "Cancelled")


ORDER_COLOURS = {
    OrderStatus.OPEN: "primary",
    OrderStatus.PARTLY_DELIVERED: "warning",
    OrderStatus.DELIVERED: "success",
    OrderStatus.CANCELLED: "secondary",
}


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)
class Order(ScopedModel):
    """A partner's order, made from an accepted quote (or typed): what is to be delivered.
    ``status`` follows the deliveries (``sales.orders.TRANSITIONS``); its changes and their
    authors are in its history (``events``, django-pghistory)."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    quote = models.ForeignKey(
        "sales.Quote",
        verbose_name=_("quote"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.HUF
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    ordered_on = models.DateField(_("ordered on"), default=datetime.date.today)
    requested_delivery_on = models.DateField(_("requested delivery date"), null=True, blank=True)
    customer_reference = models.CharField(
        _("customer's order number"),
        max_length=100,
        blank=True,
        help_text=_("The purchase order number the customer gave, printed on the documents."),
    )
    delivery_address = models.TextField(_("delivery address"), blank=True)
    net_total = models.DecimalField(_("net total"), default=Decimal(0), **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=Decimal(0), **MONEY)
    gross_total = models.DecimalField(_("gross total"), default=Decimal(0), **MONEY)
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ScopedModel.Meta):
        verbose_name = pgettext_lazy("sales order", "order")
        verbose_name_plural = _("orders")
        indexes = [
            *ScopedModel.Meta.indexes,
            models.Index(fields=["partner", "company", "-id"], name="sales_order_partner"),
            models.Index(fields=["company", "status", "-id"], name="sales_order_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="sales_order_number"),
            # one live order per quote: a second click makes no second order
            models.UniqueConstraint(
                fields=["quote"],
                condition=Q(quote__isnull=False) & ~Q(status="cancelled"),
                name="sales_order_one_per_quote",
                violation_error_message=_("An order was already made from this quote."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def status_colour(self) -> str:
        return ORDER_COLOURS.get(self.status, "secondary")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class OrderLine(models.Model):
    """A line of an order, copied from the quote's line; ``quantity_delivered`` is the sum of
    the delivered (not cancelled) deliveries' lines, kept by ``sales.orders``."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    quote_line = models.ForeignKey(
        "sales.QuoteLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity_line = models.ForeignKey(
        "sales.OpportunityLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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
    quantity_delivered = models.DecimalField(
        _("quantity delivered"), default=Decimal(0), editable=False, **QUANTITY
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="sales_orderline_qty",
                violation_error_message=_("The quantity must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(quantity_delivered__gte=0) & Q(quantity_delivered__lte=F("quantity")),
                name="sales_orderline_delivered",
                violation_error_message=_("More cannot be delivered than was ordered."),
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="sales_orderline_discount",
                violation_error_message=_("The discount is between 0 and 100 %."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"

    @property
    def quantity_remaining(self) -> Decimal:
        return self.quantity - self.quantity_delivered


class DeliveryStatus(models.TextChoices):
    DELIVERED = "delivered", pgettext_lazy("sales order", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("sales order", "Cancelled")


DELIVERY_COLOURS = {
    DeliveryStatus.DELIVERED: "success",
    DeliveryStatus.CANCELLED: "secondary",
}


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)
class Delivery(ScopedModel):
    """A part (or the whole) of an order handed over to the partner, with its delivery note.
    Cancelling it gives its quantities back to the order lines."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    order = models.ForeignKey(
        Order,
        verbose_name=pgettext_lazy("sales order", "order"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    delivered_on = models.DateField(_("delivered on"), default=datetime.date.today)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.DELIVERED,
    )
    received_by = models.CharField(_("received by"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta(ScopedModel.Meta):
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            *ScopedModel.Meta.indexes,
            models.Index(fields=["partner", "company", "-id"], name="sales_delivery_partner"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="sales_delivery_number"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def status_colour(self) -> str:
        return DELIVERY_COLOURS.get(self.status, "secondary")


class DeliveryLine(models.Model):
    """How much of one order line a delivery handed over."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="delivery_lines",
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)

    class Meta:
        ordering = ["order_line__position", "order_line_id"]
        verbose_name = _("delivery line")
        verbose_name_plural = _("delivery lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="sales_deliveryline_qty",
                violation_error_message=_("The quantity must be more than zero."),
            ),
            models.UniqueConstraint(
                fields=["delivery", "order_line"], name="sales_deliveryline_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"
