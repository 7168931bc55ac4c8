"""Quotes (issue 25, item 5, first part): an offer to a partner, made from an opportunity (its
lines carried over) or from scratch, numbered per own company and year without gaps
(``Counter``), with a validity date and a status. The VAT summary is ``sales.vat``'s."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.scoping import ScopedModel

from .catalogue import MONEY, Currency, Unit, VatRate
from .opportunities import QUANTITY, LostReason


class Counter(models.Model):
    """The last number given of a kind of document, per own company and year. Numbers are
    taken with ``SELECT … FOR UPDATE`` of this row in the saving transaction, so two saves at
    once wait for each other and a rolled-back save gives its number back: no gaps, no
    repeats (``sales.numbering``)."""

    company = models.ForeignKey("crm.Company", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "year"], name="sales_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    # a newer version (revision) of the quote replaced it
    SUPERSEDED = "superseded", _("Superseded")


QUOTE_COLOURS = {
    QuoteStatus.DRAFT: "secondary",
    QuoteStatus.SENT: "primary",
    QuoteStatus.ACCEPTED: "success",
    QuoteStatus.REJECTED: "danger",
    QuoteStatus.SUPERSEDED: "light",
}


def _in_thirty_days() -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=30)  # noqa: DTZ011 - a default day


class Quote(ScopedModel):
    number = models.CharField(_("number"), max_length=30, editable=False)
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quotes",
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
    issued_on = models.DateField(_("issued on"), default=datetime.date.today)
    valid_until = models.DateField(_("valid until"), default=_in_thirty_days)
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    # a new version of a quote keeps its number and says which one it replaces
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    net_total = models.DecimalField(_("net total"), default=Decimal(0), **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=Decimal(0), **MONEY)
    gross_total = models.DecimalField(_("gross total"), default=Decimal(0), **MONEY)
    notes = models.TextField(_("notes"), blank=True)
    # why the partner said no (the opportunity's reasons lost), and the note of the decision
    rejection_reason = models.CharField(
        _("reason rejected"), max_length=12, choices=LostReason.choices, blank=True
    )
    decision_note = models.CharField(_("note of the decision"), max_length=300, blank=True)

    class Meta(ScopedModel.Meta):
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [
            *ScopedModel.Meta.indexes,
            # the list filtered by status or by partner, newest first
            models.Index(fields=["company", "status", "-id"], name="sales_quote_status"),
            models.Index(fields=["partner", "company", "-id"], name="sales_quote_partner"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number", "revision"], name="sales_quote_number"
            ),
            # of a quote's versions only the newest one is alive: two "new version" clicks at
            # once make one
            models.UniqueConstraint(
                fields=["company", "number"],
                condition=~Q(status="superseded"),
                name="sales_quote_one_alive",
                violation_error_message=_("This quote has a newer version already."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("issued_on")),
                name="sales_quote_valid_after_issue",
                violation_error_message=_("A quote cannot expire before it is issued."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}/{self.revision}" if self.revision > 1 else self.number

    @property
    def status_colour(self) -> str:
        return QUOTE_COLOURS.get(self.status, "secondary")

    @property
    def is_draft(self) -> bool:
        return self.status == QuoteStatus.DRAFT

    def clean(self):
        if self.contact_id and self.partner_id and self.contact.partner_id != self.partner_id:
            raise ValidationError({"contact": _("The contact belongs to another partner.")})


class QuoteLine(models.Model):
    """A line of a quote: what the opportunity's line said when the quote was made (product,
    quantity, price, discount, VAT), so later changes of the catalogue do not change it."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
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
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(-1000)), MaxValueValidator(Decimal(100))],
    )
    value = models.DecimalField(_("value"), **MONEY)
    # how the price came about, as on the opportunity's lines (``sales.pricing``)
    base_price = models.DecimalField(_("base price"), default=Decimal(0), **MONEY)
    price_source = models.CharField(_("price from"), max_length=500, blank=True)
    manual = models.BooleanField(_("priced by hand"), default=False)
    manual_reason = models.CharField(
        _("reason of the hand-typed price"), max_length=300, blank=True
    )
    manual_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("priced by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_quoteline_qty")
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class QuoteEvent(models.Model):
    """What happened to a quote (made, sent, accepted, rejected, superseded), by whom and
    when; a send by mail keeps its outbox message (whose delivery the page shows) and the PDF
    that went out."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=QuoteStatus.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(
        "crm.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.quote_id} {self.status}"
