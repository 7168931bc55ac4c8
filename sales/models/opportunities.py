"""Opportunities: a deal in the making with a partner, its product lines and their
subcontractors, moving through the own company's stages (``sales.pipeline`` moves it)."""

from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.scoping import ScopedModel, ScopedQuerySet
from partners.models import bilingual

from ..pricing import round_money
from .catalogue import MONEY, Currency, Unit, VatRate

QUANTITY = {"max_digits": 12, "decimal_places": 3}


class OpportunityStatus(models.TextChoices):
    """What a stage means: still open, won or lost. The state machine works on these
    (``sales.pipeline.TRANSITIONS``); the stages themselves are each company's own."""

    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


STATUS_COLOURS = {
    OpportunityStatus.OPEN: "primary",
    OpportunityStatus.WON: "success",
    OpportunityStatus.LOST: "secondary",
}


class Automation(models.TextChoices):
    """Stages that other records move an opportunity into (``pipeline.opportunity_mark_*``)."""

    NONE = "", _("moved by hand only")
    QUOTED = "quoted", _("reached when a quote is sent")
    WON = "won", _("reached when an order is made")


class Stage(models.Model):
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    name_hu = models.CharField(_("name (Hungarian)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    status = models.CharField(
        _("means"),
        max_length=4,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.OPEN,
    )
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), validators=[MaxValueValidator(100)]
    )
    automation = models.CharField(
        _("automation"), max_length=6, choices=Automation.choices, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["company", "order", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "automation"],
                condition=~Q(automation=""),
                name="sales_stage_one_automation",
                violation_error_message=_("Another stage of the company has this automation."),
            )
        ]

    def __str__(self) -> str:
        return bilingual(self.name_hu, self.name_en)

    @property
    def colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "primary")

    def clean(self):
        if self.automation == Automation.WON and self.status != OpportunityStatus.WON:
            raise ValidationError(_("Only a won stage can be reached by an order."))
        if self.automation == Automation.QUOTED and self.status != OpportunityStatus.OPEN:
            raise ValidationError(_("A stage reached by a quote must be an open one."))


class LostReason(models.TextChoices):
    PRICE = "price", _("Price too high")
    COMPETITOR = "competitor", _("A competitor won")
    BUDGET = "budget", _("No budget")
    NO_DECISION = "no_decision", _("No decision, postponed")
    REQUIREMENTS = "requirements", _("Our offer did not fit the needs")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    CAMPAIGN = "campaign", _("Marketing campaign")
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website")
    EXHIBITION = "exhibition", _("Exhibition or event")
    INBOUND = "inbound", _("Inbound call or e-mail")
    EXISTING = "existing", _("Existing customer")
    OTHER = "other", _("Other")


class Subcontractor(models.Model):
    """A partner registered by an own company as a subcontractor (a role the partner plays
    for that company): only these may be put on an opportunity's lines."""

    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="subcontractor_roles",
    )
    trade = models.CharField(_("trade"), max_length=120, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["partner__name"]
        verbose_name = _("subcontractor")
        verbose_name_plural = _("subcontractors")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "partner"], name="sales_subcontractor_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.name} ({self.trade})" if self.trade else self.partner.name


class OpportunityQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status=OpportunityStatus.OPEN)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)
class Opportunity(ScopedModel):
    """A deal in the making. Its ``owner`` is the sales rep handling it; ``value`` is the sum
    of its lines (kept by ``sales.lines``); ``status`` follows its stage."""

    name = models.CharField(_("name"), max_length=200)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, blank=True)
    # The campaign's name until the marketing app has campaigns to point at.
    source_detail = models.CharField(_("source campaign or detail"), max_length=200, blank=True)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=4,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.OPEN,
        editable=False,
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MaxValueValidator(100)]
    )
    # The probability was typed, not taken from the stage (a stage move resets it).
    probability_set = models.BooleanField(default=False, editable=False)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.HUF
    )
    competitors = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("competitors"),
        default=list,
        blank=True,
    )
    value = models.DecimalField(_("value"), default=Decimal(0), editable=False, **MONEY)
    description = models.TextField(_("description"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    lost_reason = models.CharField(
        _("reason lost"), max_length=12, choices=LostReason.choices, blank=True
    )
    close_note = models.CharField(_("closing note"), max_length=300, blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta(ScopedModel.Meta):
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        permissions = [("view_all_opportunity", _("See every opportunity of the company"))]
        indexes = [
            *ScopedModel.Meta.indexes,
            # the board: a company's open deals by stage
            models.Index(fields=["company", "stage", "-id"], name="sales_opportunity_board"),
            # the board's cards: a stage's first ones by expected close (sales.board)
            models.Index(
                "company",
                "stage",
                F("expected_close").asc(nulls_last=True),
                F("id").desc(),
                name="sales_opportunity_cards",
            ),
            # the board's column totals and the reports' sums, read from the index alone
            models.Index(
                fields=["company", "status", "currency"],
                include=["stage", "owner", "value", "probability", "expected_close", "closed_on"],
                name="sales_opportunity_sums",
            ),
            models.Index(fields=["partner", "company", "-id"], name="sales_opportunity_partner"),
            models.Index(
                fields=["company", "status", "expected_close"], name="sales_opportunity_close"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="lost") | ~Q(lost_reason=""),
                name="sales_opportunity_lost_with_reason",
                violation_error_message=_("A lost opportunity needs the reason."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_value(self) -> Decimal:
        return round_money(self.value * self.probability / 100, self.currency)

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "primary")

    @property
    def is_open(self) -> bool:
        return self.status == OpportunityStatus.OPEN

    def clean(self):
        if self.contact_id and self.partner_id and self.contact.partner_id != self.partner_id:
            raise ValidationError({"contact": _("The contact belongs to another partner.")})
        if self.stage_id and self.company_id and self.stage.company_id != self.company_id:
            raise ValidationError({"stage": _("The stage belongs to another company.")})


class OpportunityLine(models.Model):
    """One product on an opportunity: how much is offered and how much was fulfilled so far,
    its price (which price list and rules gave it, or typed by hand with a reason) and the
    subcontractors who do the work."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(
        _("quantity offered"), validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY
    )
    quantity_fulfilled = models.DecimalField(
        _("quantity fulfilled"),
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        **QUANTITY,
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    vat_rate = models.CharField(_("VAT"), max_length=5, choices=VatRate.choices)
    base_price = models.DecimalField(_("base price"), **MONEY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(-1000)), MaxValueValidator(Decimal(100))],
    )
    value = models.DecimalField(_("value"), **MONEY)
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
    subcontractors = models.ManyToManyField(
        Subcontractor, verbose_name=_("subcontractors"), blank=True, related_name="lines"
    )

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            # the discounts report sums the lines of many deals from the index alone
            models.Index(
                fields=["opportunity"],
                include=["quantity", "base_price", "value", "discount_percent", "manual"],
                name="sales_line_discounts",
            )
        ]
        verbose_name = _("opportunity line")
        verbose_name_plural = _("opportunity lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_line_quantity"),
            models.CheckConstraint(
                condition=Q(quantity_fulfilled__gte=0), name="sales_line_fulfilled"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    @property
    def remaining(self) -> Decimal:
        return max(self.quantity - self.quantity_fulfilled, Decimal(0))


class StageChange(models.Model):
    """One move of an opportunity between stages: who, when, why, by hand or by a quote or
    order (``automated``)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    automated = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(fields=["opportunity", "-changed_at"], name="sales_stagechange_opp")
        ]

    def __str__(self) -> str:
        return f"{self.from_stage_id} → {self.to_stage_id}"
